"""The root options, and `ops-console` with no command: the console (or a summary without a terminal)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from ops_console.cli.common import console, err_console, fail, guarded, local_time, print_json, state
from ops_console.domain.types import Status
from ops_console.i18n import t
from ops_console.services.operators import any_operators


def register(app: typer.Typer) -> None:
    @app.callback()
    def root(
        ctx: typer.Context,
        config: Annotated[str | None, typer.Option("--config", help=t("cli.opt.config"))] = None,
        operator: Annotated[str | None, typer.Option("--operator", help=t("cli.opt.operator"))] = None,
        pin_file: Annotated[str | None, typer.Option("--pin-file", help=t("cli.opt.pin_file"))] = None,
        demo: Annotated[bool, typer.Option("--demo", help=t("cli.opt.demo"))] = False,
    ) -> None:
        state.reset()
        state.config_path = config
        state.operator = operator
        state.pin_file = pin_file
        state.demo = demo
        if ctx.invoked_subcommand is None:
            open_console()

    @app.command("login", help=t("cli.login.help"))
    @guarded
    def login(op_id: Annotated[str | None, typer.Argument(help=t("cli.arg.operator_id"))] = None) -> None:
        from ops_console.services.operators import sign_in
        from ops_console.services.sessions import open_session

        ctx = state.ctx()
        op_id = (op_id or state.operator or os.environ.get("OPS_OPERATOR") or "").strip()
        if not op_id and sys.stdin.isatty():
            op_id = typer.prompt(t("auth.operator_prompt")).strip()
        if not op_id:
            fail(t("operators.required"), 2)
        actor = sign_in(ctx, op_id, state.pin_for(op_id))
        session = open_session(ctx, actor, state.session_file())
        console.print(t("auth.signed_in", id=actor.id, name=actor.name, role=t(f"role.{actor.role}"),
                        until=local_time(ctx, session.expires)))

    @app.command("logout", help=t("cli.logout.help"))
    @guarded
    def logout() -> None:
        from ops_console.services.sessions import close_session

        console.print(t("auth.signed_out" if close_session(state.session_file()) else "auth.no_session"))

    @app.command("status", help=t("cli.status.help"))
    @guarded
    def status_cmd(as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        show_summary(as_json)


@guarded
def open_console() -> None:
    if state.demo:
        fill_demo_city()
    try:
        from ops_console.tui.app import run_console  # lazily: CLI commands start fast
    except ImportError:
        show_summary(False)
        return
    run_console(state)


def fill_demo_city() -> None:
    """`--demo` on an empty or missing demo database: fill the demo city first, so the sign-in that
    follows has operators to sign in (the README prints their PINs)."""
    from ops_console.services.demo import init_demo

    ctx = state.ctx()
    if not any_operators(ctx):
        err_console.print(t("demo.filling_first"))
        init_demo(ctx)


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
