"""Order detail: everything about one order, its whole history with who and when, its alerts.

The phone number is masked (138****1234) until `v`: that performs the `reveal_phone` lifecycle
action (so the log shows who looked, and the history below gains the line at once), shows the
number for `ui.reveal_seconds`, then masks it again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from ops_console.i18n import t
from ops_console.services.context import Actor, AppContext
from ops_console.services.matching import (
    describe_match_reason,
    describe_suggestion,
    match_reason_names,
    reason_label,
)
from ops_console.services.order_view import (
    EventView,
    OrderSnapshot,
    order_snapshot,
    order_version,
    reveal_phone,
)
from ops_console.tui.screens.base import OpsModal, error_text, first_label, label, local, yuan
from ops_console.tui.screens.service_request import ServiceRequestScreen


class OrderSnapshotLoaded(Message):
    """The detail screen's order was read (not the main screen's pane `SnapshotLoaded`)."""

    def __init__(self, snapshot: OrderSnapshot, reason_names: dict[str, str] | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.reason_names = reason_names or {}  # names of the stores its match reason lists


class DetailFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class PhoneRevealed(Message):
    def __init__(self, phone: str, snapshot: OrderSnapshot | None) -> None:
        super().__init__()
        self.phone = phone
        self.snapshot = snapshot


POLL_SECONDS = 2.0

# Where the anomalies issue may name its rules; the rule id itself is shown otherwise.
ANOMALY_PREFIXES = ("anomalies.rule", "anomaly.rule", "anomaly")

# Event detail keys shown in the history, in this order (the rest are internal).
_DETAIL_ORDER = (
    "store_id", "store_name", "method", "keyword", "courier_name", "from_tier", "to_tier", "reason", "reason_text",
    "outcome", "appointment_at", "address", "resolution", "note", "till_receipt", "till_amount", "refund_due",
    "on_behalf_of", "source", "review_minutes",
)


def describe_event(ev: EventView, tz_format: str = "%m-%d %H:%M") -> str:
    """The interesting parameters of an event in words: `S01 阳光店 · 人工`, `其他: 客户改约` …"""
    d = ev.detail
    parts: list[str] = []
    for key in _DETAIL_ORDER:
        value = d.get(key)
        if value in (None, ""):
            continue
        match key:
            case "store_id":
                parts.append(f"{value} {d.get('store_name', '')}".strip())
            case "store_name":
                continue
            case "method":
                parts.append(label("screens.method", str(value)))
            case "keyword":
                parts.append(t("screens.detail.keyword", keyword=value))
            case "from_tier":
                parts.append(f"{label('tier', str(value))} →")
            case "to_tier":
                parts.append(label("tier", str(value)))
            case "reason":
                parts.append(label("reason", str(value)))
            case "outcome":
                parts.append(label("screens.call", str(value)))
            case "resolution":
                parts.append(label("screens.shortage", str(value)))
            case "appointment_at":
                parts.append(t("screens.detail.appointment_at", at=_iso_local(str(value), ev, tz_format)))
            case "address":
                parts.append(t("screens.detail.new_address", address=value))
            case "till_receipt":
                parts.append(t("screens.detail.till_receipt", receipt=value))
            case "till_amount":
                parts.append(yuan(int(value)) if str(value).lstrip("-").isdigit() else str(value))
            case "refund_due":
                parts.append(t("screens.detail.refund_due", amount=value))
            case "on_behalf_of":
                parts.append(label("screens.on_behalf", str(value)))
            case "review_minutes":
                parts.append(t("screens.detail.review_minutes", minutes=value))
                if d.get("review_reason"):
                    parts.append(label("reason", str(d["review_reason"])))
            case _:
                parts.append(str(value))
    return " · ".join(parts)


def _iso_local(text: str, ev: EventView, fmt: str) -> str:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).astimezone(ev.at.tzinfo).strftime(fmt)
    except ValueError:
        return text


class OrderDetailScreen(OpsModal):
    """`OrderDetailScreen(ctx, actor, order_id)`; Esc closes (dismisses with None)."""

    title_key = "screens.detail.title"
    hint_key = "screens.hint.detail"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("v", "reveal", show=False),
        Binding("s", "service_request", show=False),
    ]

    def __init__(self, ctx: AppContext, actor: Actor, order_id: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.actor = actor
        self.order_id = order_id
        self.snapshot: OrderSnapshot | None = None
        self.reason_names: dict[str, str] = {}
        self.revealed: str | None = None
        self._mask_timer: Timer | None = None
        self._revealing = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="body", can_focus=True):
            yield Static(t("screens.loading"), id="content")

    def on_mount(self) -> None:
        self.query_one("#body").focus()
        self.run_worker(self._load, thread=True, exclusive=True, group="load")
        # The order may move while it is open (another console, the simulator): look every few seconds.
        self.set_interval(POLL_SECONDS, self._poll)

    def _poll(self) -> None:
        if self.snapshot is not None and not self._revealing:
            self.run_worker(self._check_version, thread=True, exclusive=True, group="poll")

    def _check_version(self) -> None:
        try:
            version = order_version(self.ctx, self.order_id)
        except Exception:  # noqa: BLE001 - the next poll tries again; the last good snapshot stays on screen
            return
        if self.snapshot is not None and version is not None and version != self.snapshot.version:
            self._load()

    def _load(self) -> None:
        try:
            snap = order_snapshot(self.ctx, self.order_id)
            names = match_reason_names(self.ctx, snap.match_reason)
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback in front of a dispatcher
            self.post_message(DetailFailed(error_text(exc)))
            return
        self.post_message(OrderSnapshotLoaded(snap, names))

    def on_order_snapshot_loaded(self, message: OrderSnapshotLoaded) -> None:
        message.stop()
        self.snapshot = message.snapshot
        self.reason_names = message.reason_names
        self.render_snapshot()

    def on_detail_failed(self, message: DetailFailed) -> None:
        message.stop()
        self._revealing = False
        self.show_message(message.message)

    # ---- a service request on this order (customer service; the service checks role and policy)
    def action_service_request(self) -> None:
        if self.snapshot is None:
            return
        def opened(text: str | None) -> None:
            if text:
                self.notify(text)
                self.run_worker(self._load, thread=True, exclusive=True, group="load")

        self.app.push_screen(ServiceRequestScreen(self.ctx, self.actor, self.order_id, self.snapshot.order_no),
                             opened)

    # ---- phone reveal
    def action_reveal(self) -> None:
        if self.snapshot is None or self._revealing:
            return
        self._revealing = True
        self.run_worker(self._reveal, thread=True, exclusive=True, group="reveal")

    def _reveal(self) -> None:
        try:
            phone = reveal_phone(self.ctx, self.actor, self.order_id)
        except Exception as exc:  # noqa: BLE001 - a worker reports instead of dying
            self.post_message(DetailFailed(error_text(exc)))
            return
        try:
            snap: OrderSnapshot | None = order_snapshot(self.ctx, self.order_id)
        except Exception:  # noqa: BLE001 - the phone is revealed either way; the snapshot refreshes later
            snap = None
        self.post_message(PhoneRevealed(phone, snap))

    def on_phone_revealed(self, message: PhoneRevealed) -> None:
        message.stop()
        self._revealing = False
        self.revealed = message.phone
        if message.snapshot is not None:
            self.snapshot = message.snapshot
        seconds = self.ctx.settings.ui.reveal_seconds
        self.show_message(t("screens.detail.revealed", seconds=seconds), error=False)
        if self._mask_timer is not None:
            self._mask_timer.stop()
        self._mask_timer = self.set_timer(seconds, self.mask_phone)
        self.render_snapshot()

    def mask_phone(self) -> None:
        self.revealed = None
        self._mask_timer = None
        self.show_message("", error=False)
        self.render_snapshot()

    # ---- rendering
    def dialog_title(self) -> str:
        return t(self.title_key, order="")

    def render_snapshot(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        self.query_one("#title", Static).update(
            t(self.title_key, order=f"{label('channel', snap.channel)} {snap.order_no}")
        )
        self.query_one("#content", Static).update(self.build(snap))

    def build(self, s: OrderSnapshot) -> RenderableType:
        parts: list[RenderableType] = [self._facts(s)]
        parts += [self._section("screens.detail.lines"), self._lines(s)]
        if s.deliveries:
            parts += [self._section("screens.detail.deliveries"), self._deliveries(s)]
        parts += [self._section("screens.detail.alerts"), self._alerts(s)]
        parts += [self._section("screens.detail.history"), self._history(s)]
        return Group(*parts)

    def _section(self, key: str) -> Text:
        return Text("\n" + t(key), style="bold")

    def _facts(self, s: OrderSnapshot) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        flags = [t("screens.flag.urgent")] if s.urgent else []
        if s.custom:
            flags.append(t("screens.flag.custom"))
        status = Text.assemble((label("status", s.status), "bold"), f"  v{s.version}")
        if flags:
            status.append("  " + " ".join(flags), style="bold red")
        if s.claimed_by:
            status.append("  " + t("screens.detail.claimed", who=s.claimed_by), style="yellow")
        grid.add_row(t("screens.detail.status"), status)
        phone = Text(self.revealed, style="bold yellow") if self.revealed else Text(s.phone_masked)
        if not self.revealed:
            phone.append("  " + t("screens.detail.reveal_hint"), style="dim")
        grid.add_row(t("screens.detail.customer"), Text.assemble(s.customer_name or "—", "  ", phone))
        grid.add_row(t("screens.detail.address"), s.address or "—")
        store = f"{s.store_id} {s.store_name or ''}".strip() if s.store_id else "—"
        if s.assign_method:
            store += f" ({label('screens.method', s.assign_method)})"
        grid.add_row(t("screens.detail.store"), store)
        if s.match_reason or s.suggestions:
            grid.add_row(t("screens.detail.match"), self._match(s))
        delivery = label("tier", s.tier) if s.tier else "—"
        if s.courier_name or s.courier_id:
            delivery += f" · {s.courier_id} {s.courier_name or ''}".rstrip()
        grid.add_row(t("screens.detail.delivery"), delivery)
        grid.add_row(
            t("screens.detail.payment"),
            t("screens.detail.payment_line", method=label("payment", s.payment_method),
              status=label("screens.payment_status", s.payment_status), amount=yuan(s.amount),
              paid=yuan(s.paid_amount)),
        )
        grid.add_row(t("screens.detail.appointment"), local(s.appointment_at))
        grid.add_row(
            t("screens.detail.times"),
            t("screens.detail.times_line", placed=local(s.placed_at), received=local(s.received_at)),
        )
        if s.review_reason:
            grid.add_row(t("screens.detail.review"), label("reason", s.review_reason))
        grid.add_row(t("screens.detail.remarks"), Text(s.remarks) if s.remarks else Text("—"))
        grid.add_row(t("screens.detail.source"), f"{label('channel', s.channel)} · {s.source}".rstrip(" ·"))
        return grid

    def _match(self, s: OrderSnapshot) -> Text:
        text = Text(describe_match_reason(s.match_reason, self.reason_names))
        for i, sug in enumerate(s.suggestions[:3]):
            text.append("\n" if text else "")
            text.append(self._suggestion(sug), style="bold" if i == 0 else "")
        return text

    @staticmethod
    def _suggestion(sug: dict[str, Any]) -> str:
        score = sug.get("score")
        score_text = f"{float(score):.2f}" if isinstance(score, int | float) else "?"
        text = t("screens.detail.suggestion", store=sug.get("store_id", "?"), score=score_text,
                 reason=reason_label(str(sug.get("reason") or "")))
        why = describe_suggestion(sug)  # "晨光小区 ≈ 辰光小区,差一个字"
        return f"{text} · {why}" if why else text

    def _lines(self, s: OrderSnapshot) -> Table:
        table = Table(box=None, padding=(0, 1), header_style="dim", show_edge=False)
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("no", "right"), ("sku", "left"), ("name", "left"), ("category", "left"), ("qty", "right"),
            ("unit_price", "right"), ("amount", "right"))
        for key, justify in columns:
            table.add_column(t(f"screens.col.{key}"), justify=justify)
        for li in s.lines:
            name = li.name + (f" {li.spec}" if li.spec else "")
            if li.substitute_sku:
                name += " → " + li.substitute_sku
            qty = f"{li.qty:g}" + (f" {li.unit}" if li.unit else "")
            if li.picked_qty is not None and li.picked_qty != li.qty:
                qty += f" ({t('screens.detail.picked', qty=f'{li.picked_qty:g}')})"
            table.add_row(str(li.line_no), li.sku, name, label("screens.category", li.category), qty,
                          yuan(li.unit_price), yuan(li.amount))
        table.add_row("", "", "", "", "", t("screens.detail.total"), Text(yuan(s.amount), style="bold"))
        return table

    def _deliveries(self, s: OrderSnapshot) -> Table:
        table = Table(box=None, padding=(0, 1), header_style="dim", show_edge=False)
        for key in ("attempt", "tier", "courier", "dispatched", "finished", "outcome"):
            table.add_column(t(f"screens.col.{key}"))
        for d in s.deliveries:
            outcome = label("screens.delivery", d.outcome) if d.outcome else t("screens.detail.in_progress")
            if d.reason_code:
                outcome += " · " + label("reason", d.reason_code)
            if d.reason_text:
                outcome += " · " + d.reason_text
            table.add_row(str(d.attempt), label("tier", d.tier), f"{d.courier_id or ''} {d.courier_name}".strip(),
                          local(d.dispatched_at), local(d.finished_at), outcome)
        return table

    def _alerts(self, s: OrderSnapshot) -> RenderableType:
        if not s.alerts:
            return Text(t("screens.detail.no_alerts"), style="dim")
        table = Table(box=None, padding=(0, 1), header_style="dim", show_edge=False)
        for key in ("at", "kind", "severity", "alert_status", "count", "note"):
            table.add_column(t(f"screens.col.{key}"))
        for a in s.alerts:
            kind = label("reminders.kind", a.kind) if a.source == "reminder" else first_label(a.kind, *ANOMALY_PREFIXES)
            style = "bold red" if a.severity == "critical" else ("yellow" if a.severity == "warning" else "")
            table.add_row(local(a.at), kind, Text(label("screens.severity", a.severity), style=style),
                          label("screens.alert_status", a.status), f"×{a.count}", a.message())
        return table

    def _history(self, s: OrderSnapshot) -> Table:
        table = Table(box=None, padding=(0, 1), header_style="dim", show_edge=False)
        for key in ("at", "who", "action", "change", "detail"):
            table.add_column(t(f"screens.col.{key}"), no_wrap=key != "detail")
        for ev in s.events:
            who = t("actor.system") if ev.actor_id == "system" else f"{ev.actor_name}"
            if ev.from_status and ev.to_status and ev.from_status != ev.to_status:
                change = f"{label('status', ev.from_status)} → {label('status', ev.to_status)}"
            elif ev.to_status and not ev.from_status:
                change = label("status", ev.to_status)
            else:
                change = ""
            table.add_row(ev.at.strftime("%m-%d %H:%M:%S"), who, label("action", ev.action), change,
                          describe_event(ev))
        return table
