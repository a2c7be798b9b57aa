"""`ops-console anomalies list|show|ack|own|resolve|silence|report`: the alert feed from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, fail, guarded, local_time, print_json, state
from ops_console.clock import ClockError, parse_instant
from ops_console.i18n import t

_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
IdArg = Annotated[int, typer.Argument(help=t("cli.anomalies.arg.id"))]


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text, state.settings().tz)
    except ClockError as exc:
        fail(t("cli.anomalies.bad_time", value=text, error=str(exc)), 2)


def register(app: typer.Typer) -> None:
    an = typer.Typer(help=t("cli.anomalies.help"), no_args_is_help=True)
    app.add_typer(an, name="anomalies")

    @an.command("list", help=t("cli.anomalies.list.help"))
    @guarded
    def list_(
        include_all: Annotated[bool, typer.Option("--all", help=t("cli.anomalies.opt.all"))] = False,
        rule: Annotated[str | None, typer.Option("--rule", help=t("cli.anomalies.opt.rule"))] = None,
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
    ) -> None:
        from ops_console.services.anomalies import list_alerts

        ctx = state.ctx()
        rows = list_alerts(ctx, include_all=include_all, rule=rule)
        if as_json:
            print_json([r.to_json() for r in rows])
            return
        if not rows:
            console.print(t("anomalies.none"))
            return
        table = Table(header_style="bold")
        for key in ("col.id", "anomalies.col.severity", "anomalies.col.rule", "anomalies.col.status",
                    "anomalies.col.count", "anomalies.col.last_seen", "anomalies.col.owner", "anomalies.col.message"):
            table.add_column(t(key))
        for r in rows:
            table.add_row(str(r.id), f"[{_STYLE.get(r.severity, '')}]{t(f'reminders.severity.{r.severity}')}[/]",
                          r.title(), t(f"anomalies.status.{r.status}"), str(r.count),
                          local_time(ctx, r.last_seen, "%m-%d %H:%M"), escape(r.owner or ""), escape(r.message()))
        console.print(table)

    @an.command("show", help=t("cli.anomalies.show.help"))
    @guarded
    def show(alert_id: IdArg, as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        from ops_console.services.anomalies import get_alert

        ctx = state.ctx()
        view, events, names = get_alert(ctx, alert_id)
        if as_json:
            print_json(view.to_json() | {"history": [
                {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "actor_name": names.get(e.actor),
                 "action": e.action, "from": e.from_status, "to": e.to_status, "detail": e.detail} for e in events]})
            return
        header = t("anomalies.show.header", id=view.id, rule=view.title(),
                   severity=t(f"reminders.severity.{view.severity}"), status=t(f"anomalies.status.{view.status}"),
                   count=view.count)
        console.print(f"[bold]{escape(header)}[/]")
        console.print(escape(view.message()))
        if view.status == "silenced" and view.silenced_until:
            console.print(escape(t("anomalies.show.silenced", until=local_time(ctx, view.silenced_until),
                                   reason=view.silence_reason or "")))
        if view.escalated_to:
            console.print(escape(t("anomalies.show.escalated", role=t(f"role.{view.escalated_to}"))))
        if view.resolution:
            informed = "-" if view.customer_informed is None else ("✓" if view.customer_informed else "✗")
            console.print(escape(t("anomalies.show.resolution", text=view.resolution, informed=informed)))
        table = Table(header_style="bold")
        for col in ("at", "actor", "action", "from", "to"):
            table.add_column(t(f"col.{col}"))
        table.add_column(t("anomalies.col.message"))
        for e in events:
            who = names.get(e.actor) or (t("role.system") if e.actor == "system" else e.actor)
            detail = {k: v for k, v in e.detail.items() if k not in ("params", "rule", "key")}
            table.add_row(local_time(ctx, e.at, "%m-%d %H:%M:%S"), escape(who), t(f"anomalies.action.{e.action}"),
                          t(f"anomalies.status.{e.from_status}") if e.from_status else "",
                          t(f"anomalies.status.{e.to_status}") if e.to_status else "",
                          escape(", ".join(f"{k}={v}" for k, v in detail.items() if v not in (None, ""))))
        console.print(table)

    @an.command("ack", help=t("cli.anomalies.ack.help"))
    @guarded
    def ack(alert_id: IdArg) -> None:
        from ops_console.services.anomalies import acknowledge

        view = acknowledge(state.ctx(), alert_id, state.actor())
        console.print(escape(t("anomalies.done.acknowledged", id=view.id, message=view.message())))

    @an.command("own", help=t("cli.anomalies.own.help"))
    @guarded
    def own(alert_id: IdArg,
            deadline: Annotated[str | None, typer.Option("--deadline", help=t("cli.anomalies.opt.deadline"))] = None,
            ) -> None:
        from ops_console.services.anomalies import take_ownership

        ctx = state.ctx()
        view = take_ownership(ctx, alert_id, state.actor(), _when(deadline))
        console.print(escape(t("anomalies.done.owned", id=view.id, deadline=local_time(ctx, view.deadline) or "-")))

    @an.command("resolve", help=t("cli.anomalies.resolve.help"))
    @guarded
    def resolve(alert_id: IdArg,
                text: Annotated[str, typer.Option("--text", help=t("cli.anomalies.opt.text"))],
                informed: Annotated[bool, typer.Option("--informed", help=t("cli.anomalies.opt.informed"))] = False,
                ) -> None:
        from ops_console.services import anomalies

        view = anomalies.resolve(state.ctx(), alert_id, state.actor(), text, informed)
        console.print(escape(t("anomalies.done.resolved", id=view.id)))

    @an.command("silence", help=t("cli.anomalies.silence.help"))
    @guarded
    def silence(alert_id: IdArg,
                until: Annotated[str, typer.Option("--until", help=t("cli.anomalies.opt.until"))],
                reason: Annotated[str, typer.Option("--reason", help=t("cli.anomalies.opt.reason"))]) -> None:
        from ops_console.services import anomalies

        ctx = state.ctx()
        when = _when(until)
        assert when is not None
        view = anomalies.silence(ctx, alert_id, state.actor(), when, reason)
        console.print(escape(t("anomalies.done.silenced", id=view.id, until=local_time(ctx, view.silenced_until))))

    @an.command("report", help=t("cli.anomalies.report.help"))
    @guarded
    def report(ref: Annotated[str, typer.Argument(help=t("cli.anomalies.arg.ref"))],
               text: Annotated[str, typer.Option("--text", help=t("cli.anomalies.opt.text"))],
               kind: Annotated[str, typer.Option("--kind", help=t("cli.anomalies.opt.kind"))] = "other") -> None:
        from ops_console.domain.anomaly.inspection import STAFF_REPORT_KINDS
        from ops_console.services import anomalies

        if kind not in STAFF_REPORT_KINDS:
            fail(t("cli.anomalies.bad_kind", kind=kind, known=", ".join(STAFF_REPORT_KINDS)), 2)
        view = anomalies.report(state.ctx(), ref, text, state.actor(), kind)
        console.print(escape(t("anomalies.done.reported", id=view.id, count=view.count)))

    @an.command("orphans", help=t("cli.anomalies.orphans.help"))
    @guarded
    def orphans(as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False) -> None:
        from ops_console.services.payments import orphaned

        ctx = state.ctx()
        rows = orphaned(ctx)
        if as_json:
            print_json(rows)
            return
        if not rows:
            console.print(t("anomalies.no_orphans"))
            return
        for r in rows:
            console.print(escape(t("anomalies.orphan", kind=r["kind"], channel=r["channel"], order=r["order_no"],
                                   status=r["status"], received=r["received_at"] or "-",
                                   ref=r.get("payment_ref", ""), amount=r.get("amount", ""))))
