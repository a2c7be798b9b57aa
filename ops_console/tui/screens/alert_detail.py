"""Enter on an alert about no order (a store, a courier's cash): the alert, its history and a glance
at its store or courier (services/alert_detail), read in a thread worker. Read-only: the feed's
keys (A acknowledge, T own, m silence, R resolve) close it and act on the alert; Esc or q closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from ops_console.i18n import t
from ops_console.services.alert_detail import AlertDetail, CourierGlance, StoreGlance, alert_detail
from ops_console.services.context import Actor, AppContext
from ops_console.tui.keys import ALERTS, KEYS
from ops_console.tui.screens.base import OpsModal, error_text, label

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
FEED_KEYS = tuple(k for k in KEYS if k.group == ALERTS and k.bound)  # A T m R (y x are for store orders)


@dataclass(frozen=True)
class FeedKey:
    """The dialog's result when one of the feed's keys was pressed in it: the feed runs that key."""

    action: str  # the key's action, e.g. "alert('acknowledge')"


class AlertDetailScreen(OpsModal):
    """`AlertDetailScreen(ctx, actor, alert_id)`."""

    hint_key = "alertdetail.hint"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", show=False),
        *(Binding(k.key, f"feed({k.action!r})", show=False) for k in FEED_KEYS),
    ]

    def __init__(self, ctx: AppContext, actor: Actor, alert_id: int) -> None:
        super().__init__()
        self.ctx, self.actor, self.alert_id = ctx, actor, alert_id
        self.detail: AlertDetail | None = None
        self.view: RenderableType = ""

    def dialog_title(self) -> str:
        return t("alertdetail.title", id=self.alert_id)

    def hint_text(self) -> str:
        return t(self.hint_key, keys=" · ".join(f"{k.shown} {t(k.desc)}" for k in FEED_KEYS))

    def on_mount(self) -> None:
        self.query_one("#alert-body").focus()
        self._load()

    def action_feed(self, action: str) -> None:
        self.dismiss(FeedKey(action))

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="alert-body", can_focus=True):
            yield Static(t("alertdetail.loading"), id="alert")

    @work(thread=True, group="alert-detail")
    def _load(self) -> None:
        detail: AlertDetail | None = None
        try:
            detail = alert_detail(self.ctx, self.alert_id)
            view: RenderableType = self.render_detail(detail)
        except Exception as exc:  # noqa: BLE001 — a vanished alert or database trouble: say so in the screen
            view = Text(error_text(exc), style="red")
        self.app.call_from_thread(self._show, detail, view)

    def _show(self, detail: AlertDetail | None, view: RenderableType) -> None:
        self.detail, self.view = detail, view
        self.query_one("#alert", Static).update(view)

    def _local(self, when: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
        return when.astimezone(self.ctx.settings.tz).strftime(fmt) if when is not None else "—"

    def render_detail(self, d: AlertDetail) -> RenderableType:
        v = d.view
        head = Text()
        head.append(v.title(), style="bold")
        head.append(f"  {label('console.severity', v.severity)}", style=SEVERITY_STYLE.get(v.severity, ""))
        head.append(f"  {label('console.alert_status', v.status)}")
        if v.count > 1:
            head.append(f"  ×{v.count}", style="bold")
        parts: list[RenderableType] = [head, Text(v.message())]
        parts.append(Text(t("alertdetail.seen", first=self._local(v.first_seen), last=self._local(v.last_seen)),
                          style="dim"))
        if v.owner:
            parts.append(Text(t("alertdetail.owner", owner=d.names.get(v.owner, v.owner),
                                deadline=self._local(v.deadline))))
        if v.status == "silenced" and v.silenced_until:
            parts.append(Text(t("anomalies.show.silenced", until=self._local(v.silenced_until),
                                reason=v.silence_reason or "")))
        if v.escalated_to:
            parts.append(Text(t("anomalies.show.escalated", role=t(f"role.{v.escalated_to}"))))
        if v.resolution:
            informed = "-" if v.customer_informed is None else ("✓" if v.customer_informed else "✗")
            parts.append(Text(t("anomalies.show.resolution", text=v.resolution, informed=informed)))
        if d.store is not None:
            parts.extend(self._store_part(d.store))
        if d.courier is not None:
            parts.append(self._courier_part(d.courier))
        parts.append(self._history(d))
        return Group(*parts)

    def _store_part(self, s: StoreGlance) -> list[RenderableType]:
        name = s.name if s.name is not None else t("alertdetail.store_unknown")
        line = Text("\n")
        line.append(t("alertdetail.store", store=f"{s.id} {name}".strip()), style="bold")
        if s.name is not None and not s.active:
            line.append("  " + t("alertdetail.store_inactive"), style="red")
        parts: list[RenderableType] = [line]
        counts = ", ".join(f"{label('status', st)} {n}" for st, n in s.open_orders.items())
        parts.append(Text(t("alertdetail.store_orders", counts=counts or t("alertdetail.none"))))
        if s.other_alerts:
            table = Table(title=t("alertdetail.store_alerts"), header_style="bold", expand=True)
            for key in ("at", "severity", "kind", "subject", "state"):
                table.add_column(t(f"console.col.{key}"))
            for a in s.other_alerts:
                table.add_row(self._local(a.last_seen), Text(label("console.severity", a.severity),
                                                             style=SEVERITY_STYLE.get(a.severity, "")),
                              a.title(), a.order_no or a.subject, label("console.alert_status", a.status))
            parts.append(table)
        else:
            parts.append(Text(t("alertdetail.store_no_alerts"), style="dim"))
        return parts

    def _courier_part(self, c: CourierGlance) -> Text:
        line = Text("\n")
        name = c.name if c.name is not None else t("alertdetail.courier_unknown")
        line.append(t("alertdetail.courier", courier=f"{c.id} {name}".strip()), style="bold")
        if c.tier:
            line.append(f"  {label('tier', c.tier)}")
        line.append("  " + t("alertdetail.courier_duty" if c.on_duty else "alertdetail.courier_off"))
        line.append("  " + t("alertdetail.courier_carrying", n=c.carrying))
        if c.business_date:
            line.append("  " + t("alertdetail.business_date", date=c.business_date), style="dim")
        return line

    def _history(self, d: AlertDetail) -> Table:
        table = Table(title=t("alertdetail.history"), header_style="bold", expand=True)
        for key in ("at", "actor", "action", "to"):
            table.add_column(t(f"col.{key}"))
        table.add_column(t("anomalies.col.message"))
        for e in d.history:
            who = d.names.get(e.actor) or (t("role.system") if e.actor == "system" else e.actor)
            detail = e.detail or {}
            note = detail.get("note") or detail.get("text") or detail.get("reason") or ""
            table.add_row(self._local(e.at, "%m-%d %H:%M:%S"), who, t(f"anomalies.action.{e.action}"),
                          t(f"anomalies.status.{e.to_status}") if e.to_status else "", str(note))
        return table
