"""The import-linter contracts (pyproject.toml) hold on the tree and fail on the mistakes they exist for.

Each broken case copies the package to a temporary directory, adds one deliberate mistake and runs
`lint-imports` there (the copy is found first on PYTHONPATH), so `make lint` is known to catch it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Layers: cli | tui -> services -> storage -> config -> demo -> domain -> clock | i18n"


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project), "COLUMNS": "250"}  # contract names on one line
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def broken_copy(tmp_path: Path, module: str, line: str) -> Path:
    """The package and its contracts in `tmp_path`, with `line` appended to `module`."""
    shutil.copytree(ROOT / "ops_console", tmp_path / "ops_console", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / (module.replace(".", "/") + ".py")
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return tmp_path


def status_of(report: str, contract: str) -> str | None:
    """KEPT or BROKEN for the contract named (the name as written in pyproject.toml)."""
    flat = re.sub(r"\s+", " ", report)
    found = re.search(re.escape(contract) + r" (KEPT|BROKEN)", flat)
    return found.group(1) if found else None


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
    assert status_of(result.stdout, LAYERS) == "KEPT"
    assert "Contracts: 6 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # The engine's lookups importing receiving closes receiving -> lifecycle -> lookup -> receiving.
        ("ops_console.services.lookup", "from ops_console.services import receiving  # noqa",
         "No import cycles between sibling modules or packages"),
        # An upward arrow: a pure rule importing a service.
        ("ops_console.domain.money", "from ops_console.services import context  # noqa",
         LAYERS),
        # The rules reading the settings object (domain/reminders.py used to).
        ("ops_console.domain.reminders", "from ops_console import config  # noqa",
         LAYERS),
        # The console importing the CLI: the two front ends are independent.
        ("ops_console.tui.header", "from ops_console.cli import common  # noqa",
         LAYERS),
        # SQL in a front end.
        ("ops_console.tui.header", "import sqlalchemy  # noqa", "Front ends use services, never SQL"),
    ],
    ids=["cycle", "domain-imports-services", "domain-imports-config", "tui-imports-cli", "sql-in-tui"],
)
def test_a_deliberate_mistake_fails_the_lint(tmp_path: Path, module: str, line: str, contract: str) -> None:
    result = lint_imports(broken_copy(tmp_path, module, line))
    assert result.returncode != 0, result.stdout
    assert status_of(result.stdout, contract) == "BROKEN", result.stdout
