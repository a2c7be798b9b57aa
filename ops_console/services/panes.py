"""What the console's live panes show: frozen snapshots built from small pane queries.

A console asks `event_mark()` every second; when the event log moved it asks `affected()` which
panes the new events touch and `load()` just those (plus the header facts). Everything here is
plain data: the console diffs it into its tables by row key, and ticks ages and timers from the
timestamps in it without asking the database again.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ops_console.domain.types import OPEN_STATUSES, Status, Tier
from ops_console.services.context import AppContext
from ops_console.services.errors import NotFound, ServiceError
from ops_console.storage import pane_queries as q
from ops_console.storage.db import read_session

UNASSIGNED, PICKING, BOARD, ALERTS = "unassigned", "picking", "board", "alerts"
PANES = (UNASSIGNED, PICKING, BOARD, ALERTS)
BOARD_STATUSES = ("picked", "dispatched", "held", "out_for_delivery", "refused", "not_completed")
PANE_STATUSES: dict[str, frozenset[str]] = {
    UNASSIGNED: frozenset({"unassigned", "manual_review"}),
    PICKING: frozenset({"assigned", "picking"}),
    BOARD: frozenset(BOARD_STATUSES),
}
DEFAULT_WINDOW = 150  # rows per pane section: the oldest/most urgent N, with the total beside them
SCHEDULER_META_KEY = "scheduler.last_run"
APPOINTMENT_HORIZON_MINUTES = 30
_MAX_EVENTS_SCANNED = 2000


@dataclass(frozen=True)
class QueueRow:
    """An order waiting for a store (unassigned) or for a person (manual review)."""

    id: int
    version: int
    status: str
    channel: str
    order_no: str
    urgent: bool
    custom: bool
    cod: bool
    appointment_at: datetime | None
    since: datetime | None
    address: str
    amount: int
    match_reason: str | None
    review_reason: str | None
    top_store_id: str | None
    top_store_name: str | None
    top_score: float | None
    claimed_by: str | None
    claimer_name: str | None

    @property
    def key(self) -> str:
        return f"o:{self.id}"


@dataclass(frozen=True)
class PickingRow:
    id: int
    version: int
    status: str
    channel: str
    order_no: str
    urgent: bool
    store_id: str | None
    store_name: str | None
    assigned_at: datetime | None
    sla_minutes: int
    claimed_by: str | None
    claimer_name: str | None

    @property
    def key(self) -> str:
        return f"o:{self.id}"

    @property
    def deadline(self) -> datetime | None:
        return self.assigned_at + timedelta(minutes=self.sla_minutes) if self.assigned_at else None


@dataclass(frozen=True)
class BoardRow:
    id: int
    version: int
    status: str
    channel: str
    order_no: str
    urgent: bool
    tier: str
    store_id: str | None
    store_name: str | None
    courier_id: str | None
    courier_name: str | None
    since: datetime | None  # waiting (picked) or travelling (dispatched / out for delivery) since
    appointment_at: datetime | None
    claimed_by: str | None
    claimer_name: str | None

    @property
    def key(self) -> str:
        return f"o:{self.id}"


@dataclass(frozen=True)
class AlertRow:
    source: str  # "reminder" or "anomaly"
    id: int
    kind: str  # reminder kind or anomaly rule
    severity: str
    status: str
    subject: str
    order_id: int | None
    order_no: str | None
    at: datetime | None
    count: int
    owner: str | None

    @property
    def key(self) -> str:
        return f"{self.source[0]}:{self.id}"


@dataclass(frozen=True)
class PaneData:
    rows: tuple[Any, ...]
    total: int  # rows that exist; more than len(rows) when the pane shows a window
    sections: Mapping[str, int] = field(default_factory=dict)  # totals per section (e.g. manual review)


@dataclass(frozen=True)
class TierCount:
    tier: str
    free: int
    on_duty: int
    total: int


@dataclass(frozen=True)
class HeaderFacts:
    oldest_unassigned: datetime | None
    unassigned: int
    manual_review: int
    delivery_started: tuple[datetime, ...]  # out_for_delivery_at of every order on the road, sorted
    appointments: tuple[datetime, ...]  # appointments around now, sorted
    couriers: tuple[TierCount, ...]
    open_reminders: int
    critical_alerts: int
    scheduler_last_run: str | None

    def backlog_minutes(self, now: datetime) -> float | None:
        if self.oldest_unassigned is None:
            return None
        return max(0.0, (now - self.oldest_unassigned).total_seconds() / 60)

    def delivery_overdue(self, now: datetime, sla_minutes: int) -> int:
        return bisect.bisect_left(self.delivery_started, now - timedelta(minutes=sla_minutes))

    def appointments_due(self, now: datetime, minutes: int = APPOINTMENT_HORIZON_MINUTES) -> int:
        lo = bisect.bisect_left(self.appointments, now)
        hi = bisect.bisect_left(self.appointments, now + timedelta(minutes=minutes))
        return hi - lo


@dataclass(frozen=True)
class Snapshot:
    mark: int  # max(Event.id) when it was read
    loaded_at: datetime
    panes: Mapping[str, PaneData]  # only the panes that were reloaded
    header: HeaderFacts
    picking_deadlines: tuple[datetime, ...] | None  # every picking deadline, sorted; None = not reloaded

    def picking_overdue(self, now: datetime) -> int:
        return bisect.bisect_left(self.picking_deadlines or (), now)


def event_mark(ctx: AppContext) -> int:
    with read_session(ctx.engine) as s:
        return q.max_event_id(s)


def affected(ctx: AppContext, mark: int) -> tuple[int, frozenset[str]]:
    """The newest event id and the panes that the events after `mark` touch."""
    with read_session(ctx.engine) as s:
        rows = q.events_since(s, mark, _MAX_EVENTS_SCANNED)
    if not rows:
        return mark, frozenset()
    if len(rows) >= _MAX_EVENTS_SCANNED:
        return rows[-1].id, frozenset(PANES)
    panes: set[str] = set()
    for row in rows:
        if row.subject_type in ("reminder", "anomaly"):
            panes.add(ALERTS)
        if row.order_id is None and row.subject_type != "order":
            if row.subject_type in ("store", "keyword", "courier"):
                panes.update((UNASSIGNED, BOARD))
            continue
        statuses = {row.from_status, row.to_status} - {None}
        if not statuses:
            panes.update((UNASSIGNED, PICKING, BOARD))
        for pane, member in PANE_STATUSES.items():
            if statuses & member:
                panes.add(pane)
    return rows[-1].id, frozenset(panes)


def load(ctx: AppContext, panes: Iterable[str] = PANES, window: int = DEFAULT_WINDOW) -> Snapshot:
    """One read transaction: the mark, the requested panes and the header facts."""
    wanted = set(panes)
    now = ctx.clock.now()
    out: dict[str, PaneData] = {}
    deadlines: tuple[datetime, ...] | None = None
    with read_session(ctx.engine) as s:
        mark = q.max_event_id(s)
        counts = q.open_status_counts(s, [st.value for st in OPEN_STATUSES])
        if UNASSIGNED in wanted:
            out[UNASSIGNED] = _queue(s, counts, window)
        if PICKING in wanted:
            out[PICKING], deadlines = _picking(s, ctx, window)
        if BOARD in wanted:
            total = sum(counts.get(st, 0) for st in BOARD_STATUSES)
            rows = tuple(_board_row(r) for r in q.board_rows(s, BOARD_STATUSES, window))
            out[BOARD] = PaneData(rows, total)
        if ALERTS in wanted:
            out[ALERTS] = _alerts(s, window)
        header = _header(s, ctx, now, counts)
    return Snapshot(mark, now, out, header, deadlines)


def _top_suggestion(suggestions: Any, names: Mapping[str, str]) -> tuple[str | None, str | None, float | None]:
    if not isinstance(suggestions, list) or not suggestions or not isinstance(suggestions[0], dict):
        return None, None, None
    top = suggestions[0]
    store_id = top.get("store_id")
    try:
        score = float(top["score"]) if top.get("score") is not None else None
    except (TypeError, ValueError):
        score = None
    return store_id, names.get(store_id) if store_id else None, score


def _queue(s: Any, counts: Mapping[str, int], window: int) -> PaneData:
    names = q.store_names(s)
    rows: list[QueueRow] = []
    for status in ("unassigned", "manual_review"):
        for r in q.queue_rows(s, status, window):
            sid, sname, score = _top_suggestion(r.suggestions, names)
            rows.append(QueueRow(
                r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), bool(r.custom),
                r.payment_method == "cod", r.appointment_at, r.since, r.address or "", r.amount or 0,
                r.match_reason, r.review_reason, sid, sname, score, r.claimed_by, r.claimer_name,
            ))
    sections = {"unassigned": counts.get("unassigned", 0), "manual_review": counts.get("manual_review", 0)}
    return PaneData(tuple(rows), sum(sections.values()), sections)


def _picking(s: Any, ctx: AppContext, window: int) -> tuple[PaneData, tuple[datetime, ...]]:
    """Deadlines of every picking order (for the header), details of the `window` most urgent."""
    sla = ctx.settings.picking.sla_minutes
    starts = [(r.id, r.assigned_at) for r in q.picking_starts(s) if r.assigned_at is not None]
    # An order's SLA depends on its lines only: kept per process, asked only for orders new to the pane.
    known: dict[int, int] = ctx.cache.setdefault("panes.picking_sla", {})  # type: ignore[assignment]
    missing = [oid for oid, _ in starts if oid not in known]
    if missing:
        known.update(q.order_slas(s, sla, missing))
    if len(known) > 2 * len(starts) + 1000:
        current = {oid for oid, _ in starts}
        for oid in [k for k in known if k not in current]:
            del known[oid]
    clocks = sorted((at + timedelta(minutes=known[oid]), oid) for oid, at in starts)
    ids = [oid for _, oid in clocks[:window]]
    rows = [
        PickingRow(r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), r.store_id, r.store_name,
                   r.assigned_at or r.status_entered_at, int(r.sla_minutes), r.claimed_by, r.claimer_name)
        for r in q.picking_rows(s, sla, ids)
    ] if ids else []
    rank = {oid: i for i, oid in enumerate(ids)}
    rows.sort(key=lambda r: rank.get(r.id, len(rank)))
    return PaneData(tuple(rows), len(clocks)), tuple(d for d, _ in clocks)


def _board_row(r: Any) -> BoardRow:
    since = {
        "picked": r.picked_at,
        "dispatched": r.dispatched_at,
        "out_for_delivery": r.out_for_delivery_at,
    }.get(r.status) or r.status_entered_at
    return BoardRow(r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), r.tier or Tier.COMPANY.value,
                    r.store_id, r.store_name, r.courier_id, r.courier_name, since, r.appointment_at,
                    r.claimed_by, r.claimer_name)


def _alerts(s: Any, window: int) -> PaneData:
    rows: list[AlertRow] = []
    for r in q.reminder_rows(s, window):
        payload = r.payload if isinstance(r.payload, dict) else {}
        order_id = payload.get("order_id") if isinstance(payload.get("order_id"), int) else None
        rows.append(AlertRow("reminder", r.id, r.kind, r.severity or "warning", r.status, r.subject or "",
                             order_id, payload.get("order_no"), r.last_raised_at or r.raised_at,
                             r.raise_count or 1, r.acknowledged_by))
    for r in q.anomaly_rows(s, window):
        detail = r.detail if isinstance(r.detail, dict) else {}
        subject = str(detail.get("summary") or detail.get("description") or r.store_id or "")
        rows.append(AlertRow("anomaly", r.id, r.rule, r.severity or "warning", r.status, subject, r.order_id,
                             r.order_no, r.last_seen or r.first_seen, r.count or 1, r.owner))
    rows.sort(key=lambda a: (a.at is None, -(a.at.timestamp() if a.at else 0), a.key))
    return PaneData(tuple(rows[:window]), len(rows))


def _header(s: Any, ctx: AppContext, now: datetime, counts: Mapping[str, int]) -> HeaderFacts:
    tiers: dict[str, list[int]] = {t.value: [0, 0, 0] for t in Tier}
    for c in q.courier_rows(s):
        slot = tiers.setdefault(c.tier, [0, 0, 0])
        slot[2] += 1
        if c.on_duty:
            slot[1] += 1
            if (c.busy or 0) < max(1, c.capacity or 1):
                slot[0] += 1
    appointments = q.appointment_times(
        s, [st.value for st in OPEN_STATUSES if st != Status.DELIVERED], now - timedelta(hours=1),
        now + timedelta(hours=6),
    )
    return HeaderFacts(
        oldest_unassigned=q.oldest_unassigned_since(s),
        unassigned=counts.get("unassigned", 0),
        manual_review=counts.get("manual_review", 0),
        delivery_started=tuple(sorted(q.out_for_delivery_times(s))),
        appointments=tuple(sorted(appointments)),
        couriers=tuple(TierCount(t, v[0], v[1], v[2]) for t, v in tiers.items()),
        open_reminders=q.open_reminder_count(s),
        critical_alerts=q.open_critical_anomaly_count(s),
        scheduler_last_run=q.meta_value(s, SCHEDULER_META_KEY),
    )


@dataclass(frozen=True)
class OrderState:
    id: int
    version: int
    status: str
    channel: str
    order_no: str
    claimed_by: str | None = None


def find_order(ctx: AppContext, text: str) -> OrderState:
    """An order by `channel:number` or number (the command line's `:order MT9001`)."""
    text = text.strip()
    with read_session(ctx.engine) as s:
        rows = q.find_open_orders(s, text, 2)
    if not rows:
        raise NotFound("orders.not_found", order=text)
    if len(rows) > 1:
        raise ServiceError("orders.ambiguous_number", order=text)
    r = rows[0]
    return OrderState(r.id, r.version, r.status, r.channel, r.order_no)


def order_states(ctx: AppContext, ids: Iterable[int]) -> dict[int, OrderState]:
    with read_session(ctx.engine) as s:
        rows = q.order_states(s, list(ids))
    return {r.id: OrderState(r.id, r.version, r.status, r.channel, r.order_no, r.claimed_by) for r in rows}


@dataclass(frozen=True)
class Vocabulary:
    """Words the command line completes: store ids and names, open order numbers."""

    stores: Mapping[str, str]
    order_numbers: tuple[str, ...]


def vocabulary(ctx: AppContext, limit: int = 5000) -> Vocabulary:
    with read_session(ctx.engine) as s:
        stores = q.store_names(s)
        numbers = q.recent_order_numbers(s, [st.value for st in OPEN_STATUSES], limit)
    return Vocabulary(stores, tuple(numbers))


def store_search_words(ctx: AppContext) -> list[tuple[str, str]]:
    """(keyword, store id) pairs, for filtering stores by keyword."""
    with read_session(ctx.engine) as s:
        return [(r.keyword, r.store_id) for r in q.store_keywords(s)]
