"""Run the real Typer app in-process, against a temporary database named by the environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops_console.cli import build_app
from ops_console.cli.common import state


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("OPS_DATABASE__URL", f"sqlite:///{db}")
    monkeypatch.setenv("OPS_NOW", "2026-11-24T10:00:00+08:00")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
        result = runner.invoke(build_app(), list(args), env=env, input=input, catch_exceptions=False)
        state.reset()
        return result

    return run


SEED_PIN = "1234"  # every operator tests.factories.seed_city creates


@pytest.fixture
def seed_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prove the acting operator with the seeded PIN (`OPS_PIN`), as a script would; tests of the
    proof itself (tests/cli/test_auth_cli.py) do not use it."""
    monkeypatch.setenv("OPS_PIN", SEED_PIN)
