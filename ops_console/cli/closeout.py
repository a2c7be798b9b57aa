"""`ops-console closeout [--date D] …` and `ops-console reopen --date D --reason TEXT` (supervisors)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ops_console.cli.common import console, err_console, fail, guarded, print_json, state
from ops_console.i18n import t


def register(app: typer.Typer) -> None:
    @app.command("closeout", help=t("cli.closeout.help"))
    @guarded
    def closeout_cmd(
        day: Annotated[str | None, typer.Option("--date", help=t("cli.closeout.date"))] = None,
        cash: Annotated[list[str] | None, typer.Option("--cash", help=t("cli.closeout.cash"))] = None,
        cash_file: Annotated[Path | None, typer.Option("--cash-file", help=t("cli.closeout.cash_file"))] = None,
        carry_over: Annotated[bool, typer.Option("--carry-over", help=t("cli.closeout.carry_over"))] = False,
        accept_difference: Annotated[bool, typer.Option("--accept-difference",
                                                        help=t("cli.closeout.accept_difference"))] = False,
        reason: Annotated[str | None, typer.Option("--reason", help=t("cli.closeout.reason"))] = None,
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
    ) -> None:
        from ops_console.services import closeout as svc
        from ops_console.services.backup import backup

        if (carry_over or accept_difference) and not (reason or "").strip():
            fail(t("closeout.reason_required"))
        ctx = state.ctx()
        actor = state.actor()
        svc.require_supervisor(actor, "closeout")
        counted: dict[str, int] = {}
        if cash_file is not None:
            counted.update(svc.read_cash_file(cash_file))
        counted.update(svc.parse_cash(cash or []))
        target = svc.parse_date(day, ctx)
        try:
            result = svc.close_day(ctx, actor, target, counted=counted,
                                   carry_over_reason=reason if carry_over else None,
                                   accept_reason=reason if accept_difference else None,
                                   report_dir=ctx.data_dir / "reports")
        except svc.CloseoutBlocked as exc:
            if as_json:
                print_json(exc.figures)
            else:
                show_figures(exc.figures)
                show_blocking(exc.figures["blocking"])
            err_console.print(f"[bold red]✗[/] {escape(exc.message)}")
            raise typer.Exit(1) from None
        figures = result.figures
        backup_note: dict[str, Any] = {}
        if not result.stored:
            try:
                done = backup(ctx)
                backup_note = {"backup": str(done.path), "backup_orders": done.orders}
            except Exception as exc:  # noqa: BLE001 - the day is closed; a failed backup is reported, not fatal
                backup_note = {"backup_error": str(exc)}
        if as_json:
            print_json({**figures, **backup_note, **({"files_error": result.file_error} if result.file_error else {})})
            return
        if result.stored:
            console.print(t("closeout.stored", date=figures.get("date"), who=figures.get("closed_by"),
                            at=figures.get("closed_at"), status=t(f"closeout.status.{figures.get('status')}")))
        show_figures(figures)
        for fp in result.anomalies:
            console.print(t("closeout.anomaly_raised", fingerprint=escape(fp)))
        if figures.get("carried_over"):
            console.print(f"[yellow]{escape(t('closeout.carried_over', count=len(figures['carried_over']['items'])))}[/]")
            show_blocking(figures["carried_over"]["items"])
        if result.file_error:
            err_console.print(f"[bold red]✗[/] {escape(t('closeout.files_failed', error=result.file_error))}")
        if figures.get("report_files"):
            console.print(t("closeout.files", folder=escape(str(Path(figures["report_files"][0]).parent))))
        if "backup" in backup_note:
            console.print(t("backup.done", path=escape(backup_note["backup"]), orders=backup_note["backup_orders"]))
        elif "backup_error" in backup_note:
            err_console.print(f"[bold red]✗[/] {escape(t('backup.failed', error=backup_note['backup_error']))}")
        if not result.stored:
            console.print(f"[bold green]✓[/] {escape(t('closeout.closed', date=figures['date'], checksum=figures['checksum']))}")

    @app.command("reopen", help=t("cli.reopen.help"))
    @guarded
    def reopen_cmd(
        day: Annotated[str, typer.Option("--date", help=t("cli.closeout.date"))],
        reason: Annotated[str, typer.Option("--reason", help=t("cli.reopen.reason"))],
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
    ) -> None:
        from ops_console.services import closeout as svc

        ctx = state.ctx()
        done = svc.reopen(ctx, state.actor(), svc.parse_date(day, ctx), reason)
        if as_json:
            print_json(done)
            return
        console.print(f"[bold green]✓[/] {escape(t('closeout.reopened', date=done['date']))}")


def _num(value: Any) -> str:
    return t("closeout.not_available") if value is None else str(value)


def show_figures(f: dict[str, Any]) -> None:
    """The rich terminal summary of a closeout or a report."""
    period = f.get("date") or f"{f.get('from')} – {f.get('to')}"
    status = f.get("status", "open")
    console.print(f"[bold]{escape(t('closeout.title', period=period))}[/]  {escape(t(f'closeout.status.{status}'))}"
                  + (f"  [dim]{f['checksum'][:16]}…[/]" if f.get("checksum") else ""))
    o = f.get("orders", {})
    a = f.get("amounts", {})
    head = Table(show_header=True, header_style="bold")
    cols = ("received", "delivered", "completed", "refused", "not_completed", "cancelled", "rejected",
            "assigned_auto", "assigned_manual")
    for key in cols:
        head.add_column(t(f"closeout.col.{key}"), justify="right")
    head.add_row(*(str(o.get(k, 0)) for k in cols))
    console.print(head)
    console.print(t("closeout.line.kpi", amount=a.get("received", "0.00"), delivered=a.get("delivered", "0.00"),
                    on_time=_num(f.get("on_time_pct")), picking=_num(f.get("picking_within_sla_pct"))))
    stages = Table(title=t("closeout.chart.stages"), header_style="bold")
    stages.add_column(t("closeout.col.stage"))
    stages.add_column(t("closeout.col.median"), justify="right")
    stages.add_column("p90", justify="right")
    for key, v in f.get("stage_minutes", {}).items():
        stages.add_row(t(f"closeout.stage.{key}"), _num(v.get("median")), _num(v.get("p90")))
    console.print(stages)
    for section in ("escalations", "refusals", "not_completed", "cancellations"):
        counts = f.get(section) or {}
        if counts:
            console.print(f"{t(f'closeout.section.{section}')}: "
                          + ", ".join(f"{escape(k)} {v}" for k, v in counts.items()))
    if f.get("cash"):
        cash = Table(title=t("closeout.section.cash"), header_style="bold")
        keys = ("courier_id", "tier", "float", "cod_collected", "refunds_paid", "compensation", "expected", "counted",
                "difference")
        for key in keys:
            cash.add_column(t(f"closeout.col.{key}"), justify="left" if key in ("courier_id", "tier") else "right")
        for line in f["cash"]:
            cash.add_row(*(escape("" if line.get(k) is None else str(line.get(k))) for k in keys))
        console.print(cash)
    ops = f.get("operators") or []
    if ops:
        table = Table(title=t("closeout.section.operators"), header_style="bold")
        op_keys = ("operator_id", "name", "assigned_by_hand", "queue_to_assign_median", "reminders_acknowledged",
                   "actions")
        for key in op_keys:
            table.add_column(t(f"closeout.col.{key}"))
        for op in ops:
            table.add_row(*(escape(_num(op.get(k)) if k == "queue_to_assign_median" else str(op.get(k, "")))
                            for k in op_keys))
        console.print(table)
    carry = f.get("carry_over") or {}
    notes = [f"{t(f'closeout.carry.{k}')} {len(v)}" for k, v in carry.items() if v]
    if notes:
        console.print(t("closeout.carry.title") + ": " + ", ".join(notes))
    for item in carry.get("on_the_road") or []:  # each with the reason it may stay out
        reason = t(f"closeout.road.{item.get('reason')}", text=item.get("text", ""))
        console.print(escape(t("closeout.road.line", order=item.get("order", ""),
                               status=t(f"status.{item.get('status')}"), reason=reason)))
    console.print(t("closeout.not_available_line", keys=", ".join(t(f"closeout.na.{k}") for k in f.get("not_available", []))))


def show_blocking(items: list[dict[str, Any]]) -> None:
    from ops_console.services.closeout import describe_check

    for item in items:
        console.print(f"  [red]•[/] {escape(describe_check(item))}")
