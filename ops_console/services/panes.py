"""What the console's live panes show: frozen snapshots built from small pane queries.

A console's `LiveView` asks for `max(Event.id)` every second. When the event log moved, it reads
the events after the last one it saw (one range of the primary key), asks for the rows of just the
orders they touched (one query by id list) and patches its windows: a row leaves a pane when its
status no longer belongs there, a new one enters at its sorted place when it falls inside the
window, and the totals come from one count per status. A pane loads whole when that cannot be done
honestly (too many orders changed, too many rows left a window, stores or couriers changed).
Everything here is plain data: the console diffs it into its tables by row key, told which keys
changed, and ticks ages and timers from the timestamps in it without asking the database again.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ops_console.domain.types import OPEN_STATUSES, Status, Tier
from ops_console.services.context import AppContext
from ops_console.services.errors import NotFound, ServiceError
from ops_console.services.events import EventFeed
from ops_console.services.matching import match_reason_stores
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
QUEUE_SECTIONS = ("unassigned", "manual_review")
ON_THE_ROAD = frozenset({"dispatched", "held", "out_for_delivery"})
DEFAULT_WINDOW = 150  # rows per pane section: the oldest/most urgent N, with the total beside them
SCHEDULER_META_KEY = "scheduler.last_run"
APPOINTMENT_HORIZON_MINUTES = 30
MAX_ORDERS_PATCHED = 200  # more orders touched than this at once: the order panes load whole
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
    reason_stores: tuple[tuple[str, str], ...] = ()  # (id, name) of the stores the match reason names

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
    entered_at: datetime | None = None  # entry into the current status: the board's window order

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
    # Row keys added, updated or removed since the pane's data of revision `base`; None: loaded whole.
    changed: frozenset[str] | None = None
    revision: int = 0
    base: int = -1


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
    oldest_unassigned_id: int | None = None  # the order behind `oldest_unassigned`

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
    whole: bool = False  # every pane loaded whole (not patched)

    def picking_overdue(self, now: datetime) -> int:
        return bisect.bisect_left(self.picking_deadlines or (), now)


def event_mark(ctx: AppContext) -> int:
    with read_session(ctx.engine) as s:
        return q.max_event_id(s)


@dataclass(frozen=True)
class Moved:
    """What the events after a mark touch."""

    mark: int  # the newest event read
    orders: frozenset[int]  # orders an event names
    statuses: frozenset[str]  # the statuses those orders left or entered
    alerts: bool  # a reminder or an anomaly changed
    couriers: bool  # a courier changed (on/off duty, imported)
    reload: frozenset[str]  # panes to load whole: stores or keywords changed, or too many events to read


def read_moved(rows: Sequence[Any], mark: int) -> Moved:
    """Events (id, subject_type, subject_id, order_id, from_status, to_status) → what they touch."""
    if not rows:
        return Moved(mark, frozenset(), frozenset(), False, False, frozenset())
    if len(rows) >= _MAX_EVENTS_SCANNED:
        return Moved(rows[-1].id, frozenset(), frozenset(), True, True, frozenset(PANES))
    orders: set[int] = set()
    statuses: set[str] = set()
    alerts = couriers = False
    reload: set[str] = set()
    for row in rows:
        kind = row.subject_type
        if kind in ("reminder", "anomaly"):
            alerts = True
        elif kind in ("store", "keyword", "courier"):
            reload.update((UNASSIGNED, BOARD))  # suggestion and store names, couriers on the board
            couriers = couriers or kind == "courier"
        order_id = row.order_id
        if order_id is None and kind == "order" and str(row.subject_id).isdigit():
            order_id = int(row.subject_id)
        if order_id is not None:
            orders.add(order_id)
            statuses.update(st for st in (row.from_status, row.to_status) if st)
    return Moved(rows[-1].id, frozenset(orders), frozenset(statuses), alerts, couriers, frozenset(reload))


def touched_panes(moved: Moved) -> frozenset[str]:
    """The panes the moved events may change (an order event without statuses may change any)."""
    panes = set(moved.reload)
    if moved.alerts:
        panes.add(ALERTS)
    if moved.orders and not moved.statuses:
        panes.update((UNASSIGNED, PICKING, BOARD))
    for pane, member in PANE_STATUSES.items():
        if moved.statuses & member:
            panes.add(pane)
    return frozenset(panes)


def affected(ctx: AppContext, mark: int) -> tuple[int, frozenset[str]]:
    """The newest event id and the panes that the events after `mark` touch."""
    with read_session(ctx.engine) as s:
        moved = read_moved(q.events_since(s, mark, _MAX_EVENTS_SCANNED), mark)
    return moved.mark, touched_panes(moved)


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
            out[PICKING], clocks = _picking(s, ctx, window)
            deadlines = tuple(d for d, _ in clocks)
        if BOARD in wanted:
            out[BOARD] = _board(s, counts, window)
        if ALERTS in wanted:
            out[ALERTS] = _alerts(s, window)
        header = _header(s, ctx, now, counts)
    return Snapshot(mark, now, out, header, deadlines, wanted >= set(PANES))


class LiveView:
    """What one console's panes show, kept by its refresh worker (one run at a time), so that a reload
    after a few events reads only the orders they touched and patches the windows in place.

    `refresh()` returns None while the event log has not moved; otherwise a snapshot of the panes that
    changed (each with the keys that changed, relative to the revision the console last got) and the
    header facts. Nothing is kept when a read fails: the next refresh starts from the same mark.
    """

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.window = window
        self.mark = -1
        self.panes: dict[str, PaneData] = {}
        self.header: HeaderFacts | None = None
        self.clocks: list[tuple[datetime, int]] = []  # every picking order's (deadline, id), sorted
        self._deadline: dict[int, datetime] = {}
        self._revision = 0
        self.patched = 0  # panes patched in place (against loaded whole): for tests and the bench
        self.reloaded = 0
        self.feed = EventFeed()  # which events this view has seen (exact on PostgreSQL too)

    def load(self, ctx: AppContext) -> Snapshot:
        """Everything, whole (the first load, a forced one, the periodic safety net)."""
        now = ctx.clock.now()
        with read_session(ctx.engine) as s:
            mark = q.max_event_id(s)
            counts = q.open_status_counts(s, [st.value for st in OPEN_STATUSES])
            out = {UNASSIGNED: _queue(s, counts, self.window)}
            out[PICKING], clocks = _picking(s, ctx, self.window)
            out[BOARD] = _board(s, counts, self.window)
            out[ALERTS] = _alerts(s, self.window)
            header = _header(s, ctx, now, counts)
            self.feed.start(s, mark, now)
        return self._commit(mark, now, out, header, clocks, whole=True)

    def refresh(self, ctx: AppContext) -> Snapshot | None:
        """The per-second poll: `max(Event.id)`, and only when it moved, in the same read transaction,
        the events after the last one seen and the rows of the orders they touched."""
        if self.mark < 0 or self.header is None:
            return self.load(ctx)
        with read_session(ctx.engine) as s:
            mark = q.max_event_id(s)
            if mark >= self.mark:
                if not self.feed.moved(mark):
                    return None
                # The exact feed: also the events that committed late below the mark (PostgreSQL).
                before = self.feed.state()
                try:
                    rows = self.feed.poll(s, ctx.clock.now(), _MAX_EVENTS_SCANNED)
                    return self._update(ctx, s, rows) if rows else None
                except BaseException:
                    self.feed.restore(before)  # nothing kept: the next refresh reads the same events
                    raise
        return self.load(ctx)  # the log went back (a restored database): start again

    def _update(self, ctx: AppContext, s: Any, rows: Sequence[Any]) -> Snapshot:
        """The new events, the touched orders' rows, the windows patched (or loaded whole)."""
        now = ctx.clock.now()
        moved = read_moved(rows, self.mark)
        reload = set(moved.reload)
        if len(moved.orders) > MAX_ORDERS_PATCHED:
            reload.update((UNASSIGNED, PICKING, BOARD))
        counts = q.open_status_counts(s, [st.value for st in OPEN_STATUSES])
        patching = [p for p in (UNASSIGNED, PICKING, BOARD) if p not in reload and p in self.panes]
        fresh = {r.id: r for r in q.order_pane_rows(s, ctx.settings.picking.sla_minutes, sorted(moved.orders))} \
            if moved.orders and patching else {}
        touched = frozenset(f"o:{oid}" for oid in moved.orders)
        out: dict[str, PaneData] = {}
        clocks: list[tuple[datetime, int]] | None = None
        deadline: dict[int, datetime] | None = None
        for pane in (UNASSIGNED, PICKING, BOARD):
            old = self.panes.get(pane)
            if pane in patching and old is not None:
                if not (touched & {r.key for r in old.rows}) and not any(
                        r.status in PANE_STATUSES[pane] for r in fresh.values()) \
                        and _pane_total(pane, counts, 0) == old.total:
                    continue  # none of this pane's orders moved
                patched: PaneData | None = None
                if pane == UNASSIGNED:
                    patched = self._patch_queue(s, old, fresh, touched, counts)
                elif pane == PICKING:
                    result = self._patch_picking(s, ctx, old, fresh, moved.orders, counts)
                    if result is not None:
                        patched, clocks, deadline = result
                else:
                    patched = _patch_window(old, fresh_rows(fresh, BOARD), touched, _board_key, self.window,
                                            _pane_total(BOARD, counts, 0))
                if patched is not None:
                    self.patched += 1
                    out[pane] = patched
                    continue
            self.reloaded += 1
            if pane == UNASSIGNED:
                out[pane] = _queue(s, counts, self.window)
            elif pane == PICKING:
                out[pane], clocks = _picking(s, ctx, self.window)
                deadline = None
            else:
                out[pane] = _board(s, counts, self.window)
        if moved.alerts or ALERTS in reload or ALERTS not in self.panes:
            out[ALERTS] = _alerts(s, self.window)
        if reload:
            header = _header(s, ctx, now, counts)
        else:
            header = _header_update(s, ctx, now, counts, moved, fresh, self.header)
        out = {p: d for p, d in out.items() if _differs(d, self.panes.get(p))}
        return self._commit(self.feed.mark, now, out, header, clocks, deadline=deadline)

    def _commit(self, mark: int, now: datetime, out: Mapping[str, PaneData], header: HeaderFacts,
                clocks: list[tuple[datetime, int]] | None, whole: bool = False,
                deadline: dict[int, datetime] | None = None) -> Snapshot:
        stamped: dict[str, PaneData] = {}
        for pane, data in out.items():
            self._revision += 1
            previous = self.panes.get(pane)
            base = previous.revision if previous is not None and data.changed is not None else -1
            stamped[pane] = replace(data, revision=self._revision, base=base)
        self.panes.update(stamped)
        self.header = header
        self.mark = mark
        deadlines: tuple[datetime, ...] | None = None
        if clocks is not None:
            self.clocks = clocks
            self._deadline = deadline if deadline is not None else {oid: d for d, oid in clocks}
            deadlines = tuple(d for d, _ in clocks)
        return Snapshot(mark, now, stamped, header, deadlines, whole)

    def _patch_queue(self, s: Any, old: PaneData, fresh: Mapping[int, Any], touched: frozenset[str],
                     counts: Mapping[str, int]) -> PaneData | None:
        entering = [r for r in fresh.values() if r.status in QUEUE_SECTIONS]
        names = q.store_names(s) if entering else {}
        rows: list[Any] = []
        changed: set[str] = set()
        for section in QUEUE_SECTIONS:
            part = PaneData(tuple(r for r in old.rows if r.status == section), old.sections.get(section, 0))
            new = [_queue_row(r, names) for r in entering if r.status == section]
            merged = _patch_window(part, new, touched, _queue_key, self.window, counts.get(section, 0))
            if merged is None:
                return None
            rows.extend(merged.rows)
            changed |= merged.changed or set()
        sections = {sec: counts.get(sec, 0) for sec in QUEUE_SECTIONS}
        return PaneData(tuple(rows), sum(sections.values()), sections, frozenset(changed))

    def _patch_picking(self, s: Any, ctx: AppContext, old: PaneData, fresh: Mapping[int, Any],
                       orders: frozenset[int], counts: Mapping[str, int],
                       ) -> tuple[PaneData, list[tuple[datetime, int]], dict[int, datetime]] | None:
        """Every picking deadline is known here, so the window stays exact: the touched orders'
        deadlines move, and the rows that slide into the window are asked for by id."""
        clocks = list(self.clocks)
        deadline = dict(self._deadline)
        for oid in orders:
            d = deadline.pop(oid, None)
            if d is not None:
                i = bisect.bisect_left(clocks, (d, oid))
                if i < len(clocks) and clocks[i] == (d, oid):
                    del clocks[i]
        known: dict[int, int] = ctx.cache.setdefault("panes.picking_sla", {})  # type: ignore[assignment]
        entering: dict[int, PickingRow] = {}
        for r in fresh.values():
            if r.status not in PANE_STATUSES[PICKING]:
                continue
            row = _picking_row(r)
            if row.assigned_at is None:
                continue
            known[r.id] = row.sla_minutes
            d = row.assigned_at + timedelta(minutes=row.sla_minutes)
            deadline[r.id] = d
            bisect.insort(clocks, (d, r.id))
            entering[r.id] = row
        if len(clocks) != _pane_total(PICKING, counts, 0):
            return None  # an order came or went without an event naming it: load whole
        ids = [oid for _, oid in clocks[:self.window]]
        previous = {r.id: r for r in old.rows}
        missing = [oid for oid in ids if oid not in entering and oid not in previous]
        more = {r.id: _picking_row(r) for r in q.picking_rows(s, ctx.settings.picking.sla_minutes, missing)} \
            if missing else {}
        rows = []
        for oid in ids:
            row = entering.get(oid) or previous.get(oid) or more.get(oid)
            if row is None:
                return None
            rows.append(row)
        return PaneData(tuple(rows), len(clocks), {}, _changed(old.rows, rows)), clocks, deadline


def fresh_rows(fresh: Mapping[int, Any], pane: str) -> list[Any]:
    """The touched orders that belong to a pane now, as its rows (queue rows need store names)."""
    if pane == BOARD:
        return [_board_row(r) for r in fresh.values() if r.status in PANE_STATUSES[BOARD]]
    if pane == PICKING:
        return [_picking_row(r) for r in fresh.values() if r.status in PANE_STATUSES[PICKING]]
    raise ValueError(pane)


def _differs(data: PaneData, before: PaneData | None) -> bool:
    if before is None or data.changed is None or data.changed:
        return True
    return data.total != before.total or dict(data.sections) != dict(before.sections)


def _pane_total(pane: str, counts: Mapping[str, int], default: int) -> int:
    if pane in PANE_STATUSES:
        return sum(counts.get(st, 0) for st in PANE_STATUSES[pane])
    return default


def _changed(before: Sequence[Any], after: Sequence[Any]) -> frozenset[str]:
    """Keys added, removed, or whose row is not the same any more."""
    old = {r.key: r for r in before}
    new = {r.key: r for r in after}
    out = set(old.keys() ^ new.keys())
    out.update(k for k, r in new.items() if k in old and old[k] is not r and old[k] != r)
    return frozenset(out)


def _patch_window(old: PaneData, entering: Sequence[Any], touched: frozenset[str], key: Callable[[Any], Any],
                  window: int, total: int) -> PaneData | None:
    """A window (the first `window` rows by `key` of `total`) after some of its orders changed.

    The rows shown are always a prefix of the whole ordering: a touched row leaves; a row that enters
    goes to its sorted place when the whole pane was shown or when it sorts before the last row shown
    (after it there are rows nobody has read); a window that overflows is cut back. Rows that left
    are not replaced from beyond the window (that needs the query this avoids): the window may shrink
    a little, its count saying so, until it would shrink too far, when the caller loads it whole.
    Returns None when the rows cannot be placed honestly.
    """
    shown = list(old.rows)
    complete = len(shown) >= old.total
    try:
        boundary = key(shown[-1]) if shown else None
        kept = [r for r in shown if r.key not in touched]
        keys = [key(r) for r in kept]
        for row in entering:
            k = key(row)
            if complete or (boundary is not None and k <= boundary):
                i = bisect.bisect_left(keys, k)
                keys.insert(i, k)
                kept.insert(i, row)
    except TypeError:  # a missing timestamp: the database's order of NULLs is not Python's
        return None
    overflow = len(kept) > window
    del kept[window:]
    if len(kept) > total:
        return None  # fewer orders than rows shown: the counts and the rows disagree
    if len(kept) < total:
        if complete and not overflow:
            return None  # an order arrived that no event named
        if len(kept) < window - max(1, window // 10):
            return None  # too many left from inside the window: refill it
    return PaneData(tuple(kept), total, {}, _changed(old.rows, kept))


def _queue_key(r: QueueRow) -> tuple[bool, datetime, int]:
    if r.since is None:
        raise TypeError("no since")
    return (not r.urgent, r.since, r.id)


def _board_key(r: BoardRow) -> tuple[datetime, int]:
    if r.entered_at is None:
        raise TypeError("no entered_at")
    return (r.entered_at, r.id)


def _header_update(s: Any, ctx: AppContext, now: datetime, counts: Mapping[str, int], moved: Moved,
                   fresh: Mapping[int, Any], previous: HeaderFacts | None) -> HeaderFacts:
    """The header facts the moved events may change, asked again; the others kept."""
    if previous is None:
        return _header(s, ctx, now, counts)
    st = moved.statuses
    changes: dict[str, Any] = {
        "unassigned": counts.get("unassigned", 0),
        "manual_review": counts.get("manual_review", 0),
        "scheduler_last_run": q.meta_value(s, SCHEDULER_META_KEY),
    }
    if "unassigned" in st or (moved.orders and not st):
        # Entering `unassigned` starts a fresh clock, so the oldest changes only when it left (or a
        # touched order is older still): then it is asked for again.
        oldest, oldest_id = previous.oldest_unassigned, previous.oldest_unassigned_id
        now_row = fresh.get(oldest_id) if oldest_id is not None else None
        left = oldest_id is None or not fresh or oldest_id in moved.orders and (
            now_row is None or now_row.status != "unassigned" or now_row.since != oldest)
        older = [r for r in fresh.values() if r.status == "unassigned" and r.since is not None
                 and oldest is not None and (r.since, r.id) < (oldest, oldest_id)]
        if left:
            changes.update(_oldest(s))
        elif older:
            first = min(older, key=lambda r: (r.since, r.id))
            changes.update(oldest_unassigned=first.since, oldest_unassigned_id=first.id)
    if "out_for_delivery" in st:
        changes["delivery_started"] = tuple(sorted(q.out_for_delivery_times(s)))
    if "held" in st or any(r.appointment_at is not None for r in fresh.values()):
        changes["appointments"] = _appointments(s, now)
    if st & ON_THE_ROAD or moved.couriers:
        changes["couriers"] = _couriers(s)
    if moved.alerts:
        changes["open_reminders"] = q.open_reminder_count(s)
        changes["critical_alerts"] = q.open_critical_anomaly_count(s)
    return replace(previous, **changes)


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


def _queue_row(r: Any, names: Mapping[str, str]) -> QueueRow:
    sid, sname, score = _top_suggestion(r.suggestions, names)
    return QueueRow(
        r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), bool(r.custom),
        r.payment_method == "cod", r.appointment_at, r.since, r.address or "", r.amount or 0,
        r.match_reason, r.review_reason, sid, sname, score, r.claimed_by, r.claimer_name,
        tuple((store, names.get(store, "")) for store in match_reason_stores(r.match_reason)),
    )


def _queue(s: Any, counts: Mapping[str, int], window: int) -> PaneData:
    names = q.store_names(s)
    rows = [_queue_row(r, names) for status in QUEUE_SECTIONS for r in q.queue_rows(s, status, window)]
    sections = {sec: counts.get(sec, 0) for sec in QUEUE_SECTIONS}
    return PaneData(tuple(rows), sum(sections.values()), sections)


def _picking_row(r: Any) -> PickingRow:
    return PickingRow(r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), r.store_id, r.store_name,
                      r.assigned_at or r.status_entered_at, int(r.sla_minutes), r.claimed_by, r.claimer_name)


def _picking(s: Any, ctx: AppContext, window: int) -> tuple[PaneData, list[tuple[datetime, int]]]:
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
    rows = [_picking_row(r) for r in q.picking_rows(s, sla, ids)] if ids else []
    rank = {oid: i for i, oid in enumerate(ids)}
    rows.sort(key=lambda r: rank.get(r.id, len(rank)))
    return PaneData(tuple(rows), len(clocks)), clocks


def _board_row(r: Any) -> BoardRow:
    since = {
        "picked": r.picked_at,
        "dispatched": r.dispatched_at,
        "out_for_delivery": r.out_for_delivery_at,
    }.get(r.status) or r.status_entered_at
    return BoardRow(r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), r.tier or Tier.COMPANY.value,
                    r.store_id, r.store_name, r.courier_id, r.courier_name, since, r.appointment_at,
                    r.claimed_by, r.claimer_name, r.status_entered_at)


def _board(s: Any, counts: Mapping[str, int], window: int) -> PaneData:
    rows = tuple(_board_row(r) for r in q.board_rows(s, BOARD_STATUSES, window))
    return PaneData(rows, sum(counts.get(st, 0) for st in BOARD_STATUSES))


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


def _couriers(s: Any) -> tuple[TierCount, ...]:
    tiers: dict[str, list[int]] = {t.value: [0, 0, 0] for t in Tier}
    for c in q.courier_rows(s):
        slot = tiers.setdefault(c.tier, [0, 0, 0])
        slot[2] += 1
        if c.on_duty:
            slot[1] += 1
            if (c.busy or 0) < max(1, c.capacity or 1):
                slot[0] += 1
    return tuple(TierCount(t, v[0], v[1], v[2]) for t, v in tiers.items())


def _appointments(s: Any, now: datetime) -> tuple[datetime, ...]:
    times = q.appointment_times(
        s, [st.value for st in OPEN_STATUSES if st != Status.DELIVERED], now - timedelta(hours=1),
        now + timedelta(hours=6),
    )
    return tuple(sorted(times))


def _oldest(s: Any) -> dict[str, Any]:
    row = q.oldest_unassigned_order(s)
    return {"oldest_unassigned": row.since if row else None, "oldest_unassigned_id": row.id if row else None}


def _header(s: Any, ctx: AppContext, now: datetime, counts: Mapping[str, int]) -> HeaderFacts:
    return HeaderFacts(
        **_oldest(s),
        unassigned=counts.get("unassigned", 0),
        manual_review=counts.get("manual_review", 0),
        delivery_started=tuple(sorted(q.out_for_delivery_times(s))),
        appointments=_appointments(s, now),
        couriers=_couriers(s),
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
