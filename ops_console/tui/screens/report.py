"""`:report`: the supervisor's read-only "today so far", the closeout figures of the current business
day (services/closeout.report, the same figures as `ops-console report daily`), read in a thread
worker. Esc or q closes; nothing here writes."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from ops_console.i18n import t
from ops_console.services import closeout as closeout_service
from ops_console.services.context import Actor, AppContext
from ops_console.tui.screens.base import OpsModal, error_text, label

ORDER_COLUMNS = ("received", "delivered", "completed", "refused", "not_completed", "cancelled", "rejected",
                 "assigned_auto", "assigned_manual")
BLOCKING_SHOWN = 30  # the checks listed on the screen; the CLI's closeout lists them all
CASH_COLUMNS = ("courier_id", "tier", "float", "cod_collected", "refunds_paid", "expected")


def _num(value: Any) -> str:
    return t("closeout.not_available") if value is None else str(value)


def figures_view(f: dict[str, Any]) -> RenderableType:
    """The figures as the console shows them: orders, KPIs, stage times, reasons, cash due."""
    parts: list[RenderableType] = []
    blocking = f.get("blocking") or []
    if blocking:  # the evening's question first: could the day be closed now? (the list is at the end)
        parts.append(Text(t("report.blocking_summary", n=len(blocking)), style="bold red"))
    o, a = f.get("orders", {}), f.get("amounts", {})
    orders = Table(header_style="bold", expand=True)
    for key in ORDER_COLUMNS:
        orders.add_column(t(f"closeout.col.{key}"), justify="right")
    orders.add_row(*(str(o.get(k, 0)) for k in ORDER_COLUMNS))
    parts.append(orders)
    parts.append(Text(t("closeout.line.kpi", amount=a.get("received", "0.00"), delivered=a.get("delivered", "0.00"),
                        on_time=_num(f.get("on_time_pct")), picking=_num(f.get("picking_within_sla_pct")))))
    stages = Table(title=t("closeout.chart.stages"), header_style="bold")
    stages.add_column(t("closeout.col.stage"))
    stages.add_column(t("closeout.col.median"), justify="right")
    stages.add_column("p90", justify="right")
    for key, v in (f.get("stage_minutes") or {}).items():
        stages.add_row(t(f"closeout.stage.{key}"), _num(v.get("median")), _num(v.get("p90")))
    parts.append(stages)
    for section in ("escalations", "refusals", "not_completed", "cancellations"):
        counts = f.get(section) or {}
        if counts:
            parts.append(Text(f"{t(f'closeout.section.{section}')}: "
                              + ", ".join(f"{label('reason', k)} {v}" for k, v in counts.items())))
    if f.get("cash"):
        cash = Table(title=t("closeout.section.cash"), header_style="bold")
        for key in CASH_COLUMNS:
            cash.add_column(t(f"closeout.col.{key}"), justify="left" if key in ("courier_id", "tier") else "right")
        for line in f["cash"]:
            cash.add_row(*("" if line.get(k) is None else label("tier", line[k]) if k == "tier" else str(line[k])
                           for k in CASH_COLUMNS))
        parts.append(cash)
    if blocking:  # what would stop the closeout now: the supervisor's list for the evening
        text = Text(t("report.blocking", n=len(blocking)), style="bold red")
        for item in blocking[:BLOCKING_SHOWN]:
            text.append("\n  • " + closeout_service.describe_check(item), style="")
        if len(blocking) > BLOCKING_SHOWN:
            text.append("\n  " + t("report.blocking_more", n=len(blocking) - BLOCKING_SHOWN), style="dim")
        parts.append(text)
    elif f.get("status") == "open":
        parts.append(Text(t("report.no_blocking"), style="green"))
    return Group(*parts)


class ReportScreen(OpsModal):
    """`ReportScreen(ctx, actor)`: today so far, read-only."""

    hint_key = "report.hint"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", show=False)]

    def __init__(self, ctx: AppContext, actor: Actor) -> None:
        super().__init__()
        self.ctx, self.actor = ctx, actor
        self.day = closeout_service.today(ctx)
        self.loaded = False
        self.view: RenderableType = ""

    def dialog_title(self) -> str:
        return t("report.title", date=self.day.isoformat())

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="report-body", can_focus=True):
            yield Static(t("report.loading"), id="figures")

    def on_mount(self) -> None:
        self.query_one("#report-body").focus()  # ↑↓ PgUp PgDn scroll
        self._load()

    @work(thread=True, group="report")
    def _load(self) -> None:
        try:
            view: RenderableType = figures_view(closeout_service.report(self.ctx, "daily", self.day))
        except Exception as exc:  # noqa: BLE001 — database trouble: say so in the screen
            view = Text(error_text(exc), style="red")
        self.app.call_from_thread(self._show, view)

    def _show(self, view: RenderableType) -> None:
        self.query_one("#figures", Static).update(view)
        self.view = view
        self.loaded = True
