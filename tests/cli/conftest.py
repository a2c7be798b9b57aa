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
