"""`ops-console watch [--once] [--json]` and `ops-console reminders list|ack`."""

from __future__ import annotations

import sys
import threading
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, err_console, guarded, local_time, print_json, state
from ops_console.i18n import t

_MARK = {"raised": "▲", "re_raised": "△", "acknowledged": "✓", "closed": "▽"}
_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def register(app: typer.Typer) -> None:
    @app.command("watch", help=t("cli.watch.help"))
    @guarded
    def watch(
        once: Annotated[bool, typer.Option("--once", help=t("cli.watch.once"))] = False,
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.watch.json"))] = False,
    ) -> None:
        from ops_console.services.reminders import ReminderChange, run_checks

        ctx = state.ctx()
        lock = threading.Lock()

        def show(changes: list[ReminderChange]) -> None:
            with lock:
                for change in changes:
                    _print_change(change, as_json)
                sys.stdout.flush()

        if once:
            from ops_console.services.appointments import release_due_holds

            release_due_holds(ctx)
            show(run_checks(ctx))
            return

        from ops_console.services.scheduler import run_blocking

        def report(exc: Exception) -> None:
            err_console.print(f"[bold red]✗[/] {escape(t('reminders.run_failed', error=str(exc)))}")

        if not as_json:
            err_console.print(t("cli.watch.started", seconds=ctx.settings.reminders.check_seconds,
                                url=ctx.engine.url.render_as_string(hide_password=True)))
        run_blocking(ctx, show, report)

    rem = typer.Typer(help=t("cli.reminders.help"), no_args_is_help=True)
    app.add_typer(rem, name="reminders")

    @rem.command("list", help=t("cli.reminders.list.help"))
    @guarded
    def list_(
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
        include_closed: Annotated[bool, typer.Option("--all", help=t("cli.reminders.all"))] = False,
    ) -> None:
        from ops_console.services.reminders import list_reminders

        ctx = state.ctx()
        rows = list_reminders(ctx, include_closed=include_closed)
        if as_json:
            print_json([r.to_json() | {"acknowledged_by_name": r.acknowledged_by_name} for r in rows])
            return
        if not rows:
            console.print(t("reminders.none"))
            return
        table = Table(header_style="bold")
        for key in ("col.id", "reminders.col.severity", "reminders.col.kind", "reminders.col.status",
                    "reminders.col.raised_at", "reminders.col.count", "reminders.col.acknowledged",
                    "reminders.col.message"):
            table.add_column(t(key))
        for r in rows:
            ack = f"{r.acknowledged_by_name or r.acknowledged_by} {local_time(ctx, r.acknowledged_at, '%H:%M')}" \
                if r.acknowledged_by else ""
            table.add_row(
                str(r.id),
                f"[{_STYLE.get(r.severity, '')}]{t(f'reminders.severity.{r.severity}')}[/]",
                r.title(),
                t(f"reminders.status.{r.status}"),
                local_time(ctx, r.raised_at, "%m-%d %H:%M"),
                str(r.raise_count),
                escape(ack),
                escape(r.message()),
            )
        console.print(table)

    @rem.command("ack", help=t("cli.reminders.ack.help"))
    @guarded
    def ack(reminder_id: Annotated[int, typer.Argument(help=t("cli.reminders.arg.id"))]) -> None:
        from ops_console.services.reminders import acknowledge

        view = acknowledge(state.ctx(), reminder_id, state.actor())
        console.print(t("reminders.acknowledged", id=view.id, message=escape(view.message())))


def _print_change(change: object, as_json: bool) -> None:
    from ops_console.services.reminders import ReminderChange

    assert isinstance(change, ReminderChange)
    if as_json:
        print_json(change.to_json())
        return
    r = change.reminder
    ctx = state.ctx()
    when = local_time(ctx, change.at, "%Y-%m-%d %H:%M:%S")
    style = _STYLE.get(r.severity, "")
    count = f" {t('reminders.times_raised', count=r.raise_count)}" if change.change == "re_raised" else ""
    line = (f"{when} {_MARK.get(change.change, '·')} #{r.id} [{style}]{t(f'reminders.severity.{r.severity}')}[/] "
            f"{escape(t(f'reminders.change.{change.change}'))}{escape(count)} · {escape(r.title())}: "
            f"{escape(r.message())}")
    console.print(line, soft_wrap=True)
