"""`ops-console backup` (prints the file's path) and `ops-console restore FILE [--force]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ops_console.cli.common import console, guarded, print_json, state
from ops_console.i18n import t


def register(app: typer.Typer) -> None:
    @app.command("backup", help=t("cli.backup.help"))
    @guarded
    def backup_cmd(as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        from ops_console.services.backup import backup

        done = backup(state.ctx())
        if as_json:
            print_json({"path": str(done.path), "orders": done.orders, "removed": [str(p) for p in done.removed]})
            return
        # The path alone on stdout, so scripts can take it; the rest on stderr-free extra lines.
        console.print(escape(str(done.path)), soft_wrap=True)

    @app.command("restore", help=t("cli.restore.help"))
    @guarded
    def restore_cmd(
        file: Annotated[Path, typer.Argument(help=t("cli.restore.file"))],
        force: Annotated[bool, typer.Option("--force", help=t("cli.restore.force"))] = False,
    ) -> None:
        from ops_console.services.backup import restore

        ctx = state.ctx(migrate=False)
        orders = restore(ctx, file, force=force)
        console.print(f"[bold green]✓[/] {escape(t('backup.restored', file=str(file), target=state.db_label(), orders=orders))}")
