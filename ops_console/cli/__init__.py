"""The supervisors' command line: `ops-console …`. Help texts come from the message catalog, in the
configured language, so the app is built after the settings are read."""

from __future__ import annotations

import contextlib
import os
import sys

import typer

from ops_console.cli.common import err_console, state
from ops_console.config import SettingsError, load_settings
from ops_console.i18n import set_language, t


def build_app() -> typer.Typer:
    from ops_console.cli import db, operators, orders, root

    app = typer.Typer(
        help=t("cli.help"),
        no_args_is_help=False,
        invoke_without_command=True,
        add_completion=False,
        rich_markup_mode="rich",
        pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root.register(app)
    operators.register(app)
    orders.register(app)
    db.register(app)
    for module in _optional_modules():
        module.register(app)
    return app


def _optional_modules() -> list:
    """Command groups of other capabilities, each in its own module with `register(app)`."""
    import importlib

    found = []
    for name in ("masterdata", "intake", "match", "demo", "reminders", "closeout", "report", "backup"):
        try:
            found.append(importlib.import_module(f"ops_console.cli.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"ops_console.cli.{name}":
                raise
    return found


def _early_language(argv: list[str]) -> None:
    """Pick the language before the help texts are built; a bad config is reported by the command."""
    config = None
    if "--config" in argv:
        i = argv.index("--config")
        config = argv[i + 1] if i + 1 < len(argv) else None
    with contextlib.suppress(SettingsError, OSError):
        set_language(load_settings(config).ui.language)


def main() -> None:
    _early_language(sys.argv[1:])
    app = build_app()
    try:
        app()
    except SettingsError as exc:  # raised while typer resolves callbacks
        err_console.print(f"[bold red]✗[/] {exc}")
        raise SystemExit(2) from None


__all__ = ["build_app", "main", "state", "os"]
