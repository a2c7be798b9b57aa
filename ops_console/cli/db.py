"""`ops-console db upgrade`: apply the schema migrations (they also run at start-up)."""

from __future__ import annotations

import typer

from ops_console.cli.common import console, guarded, state
from ops_console.i18n import t


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help=t("cli.db.help"), no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade", help=t("cli.db.upgrade.help"))
    @guarded
    def upgrade_cmd() -> None:
        from ops_console.storage.migrate import current_revision, upgrade

        ctx = state.ctx(migrate=False)
        before = current_revision(ctx.engine)
        upgrade(ctx.engine)
        after = current_revision(ctx.engine)
        console.print(t("cli.db.upgraded", before=before or "-", after=after or "-"))
