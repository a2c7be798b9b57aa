# Two commands: `make run` (demo city in the console) and `make test` (the whole suite).
# Both create .venv and install from requirements.lock; nothing is assumed pre-installed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install lint bench lock clean-venv

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/ops-console --demo demo init
	$(BIN)/ops-console --demo

lint: install
	$(BIN)/ruff check ops_console tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest -q -p no:cacheprovider
	$(BIN)/python -m bench --quick
	@if command -v tmux >/dev/null 2>&1 && [ -x tests/e2e/tmux_smoke.sh ]; then tests/e2e/tmux_smoke.sh; else echo "tmux smoke skipped (no tmux or no script)"; fi

bench: install
	$(BIN)/python -m bench

# Re-pin after changing pyproject.toml: exact versions for every fresh clone.
lock:
	$(BIN)/python -m piptools compile --quiet --strip-extras --extra dev --no-header -o requirements.lock pyproject.toml
