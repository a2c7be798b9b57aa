"""The console reaches the database only through services: no SQLAlchemy or SQLModel in tui/."""

from __future__ import annotations

import ast
from pathlib import Path

import ops_console.tui

TUI = Path(ops_console.tui.__file__).parent


def test_no_sql_library_is_imported_by_the_console() -> None:
    offenders = []
    for path in TUI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("sqlalchemy", "sqlmodel")]
    assert offenders == []


def test_every_console_file_stays_under_500_lines() -> None:
    long = {p.name: n for p in TUI.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) >= 500}
    assert long == {}
