"""The root options, and `ops-console` with no command: the console (or a summary without a terminal)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ops_console.cli.common import console, guarded, local_time, print_json, state
from ops_console.domain.types import Status
from ops_console.i18n import t


def register(app: typer.Typer) -> None:
    @app.callback()
    def root(
        ctx: typer.Context,
        config: Annotated[str | None, typer.Option("--config", help=t("cli.opt.config"))] = None,
        operator: Annotated[str | None, typer.Option("--operator", help=t("cli.opt.operator"))] = None,
        demo: Annotated[bool, typer.Option("--demo", help=t("cli.opt.demo"))] = False,
    ) -> None:
        state.reset()
        state.config_path = config
        state.operator = operator
        state.demo = demo
        if ctx.invoked_subcommand is None:
            open_console()

    @app.command("status", help=t("cli.status.help"))
    @guarded
    def status_cmd(as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        show_summary(as_json)


@guarded
def open_console() -> None:
    try:
        from ops_console.tui.app import run_console  # lazily: CLI commands start fast
    except ImportError:
        show_summary(False)
        return
    run_console(state)


def show_summary(as_json: bool) -> None:
    from ops_console.services.summary import summarize

    ctx = state.ctx()
    summary = summarize(ctx)
    if as_json:
        print_json({"now": summary.now.isoformat(), "statuses": summary.statuses, "masters": summary.masters,
                    "backlog_minutes": summary.backlog_minutes})
        return
    console.print(f"[bold]{t('summary.title')}[/]  {ctx.settings.database.url}  {local_time(ctx, summary.now)}")
    masters = Table(show_header=True, header_style="bold")
    for key in summary.masters:
        masters.add_column(t(f"summary.{key}"), justify="right")
    masters.add_row(*(str(v) for v in summary.masters.values()))
    console.print(masters)
    table = Table(show_header=True, header_style="bold")
    table.add_column(t("summary.status"))
    table.add_column(t("summary.orders"), justify="right")
    for status in Status:
        n = summary.statuses.get(status.value, 0)
        if n:
            table.add_row(t(f"status.{status.value}"), str(n))
    console.print(table)
    if summary.backlog_minutes is not None:
        console.print(t("summary.backlog", minutes=f"{summary.backlog_minutes:.0f}"))
