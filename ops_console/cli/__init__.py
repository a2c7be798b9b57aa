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
    # Imported here, not at module level, so the language is set before their help texts are built.
    from ops_console.cli import (
        anomalies,
        backup,
        cash,
        closeout,
        db,
        demo,
        intake,
        masterdata,
        match,
        operators,
        orders,
        reminders,
        replenish,
        report,
        root,
        service,
    )

    app = typer.Typer(
        help=t("cli.help"),
        no_args_is_help=False,
        invoke_without_command=True,
        add_completion=False,
        rich_markup_mode="rich",
        pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for module in (root, operators, orders, db, masterdata, intake, match, demo, reminders, service, cash,
                   anomalies, replenish, closeout, report, backup):
        module.register(app)
    return app


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


__all__ = ["build_app", "main", "os", "state"]
