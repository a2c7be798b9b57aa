"""Keeping one console's panes current: read the events after the last mark, patch the windows.

A console's `LiveView` asks for `max(Event.id)` every second. When the event log moved, it reads
the events after the last one it saw (one range of the primary key), asks for the rows of just the
orders they touched (one query by id list) and patches its windows: a row leaves a pane when its
status no longer belongs there, a new one enters at its sorted place when it falls inside the
window, and the totals come from one count per status. A pane loads whole when that cannot be done
honestly (too many orders changed, too many rows left a window, stores or couriers changed).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from ops_console.domain.types import ON_THE_ROAD, OPEN_STATUSES
from ops_console.services.context import AppContext
from ops_console.services.events import EventFeed
from ops_console.services.pane_data import (
    ALERTS,
    BOARD,
    BOARD_STATUSES,
    DEFAULT_WINDOW,
    MAX_EVENTS_SCANNED,
    MAX_ORDERS_PATCHED,
    PANE_STATUSES,
    PANES,
    PICKING,
    QUEUE_SECTIONS,
    SCHEDULER_META_KEY,
    UNASSIGNED,
    BoardRow,
    HeaderFacts,
    PaneData,
    PickingRow,
    QueueRow,
    Snapshot,
)
from ops_console.services.pane_load import (
    PICKING_CLOCKS,
    alerts_pane,
    appointments_soon,
    board_pane,
    courier_counts,
    fresh_rows,
    header_facts,
    oldest_unassigned,
    picking_pane,
    picking_row,
    queue_pane,
    queue_row,
    with_proposals,
)
from ops_console.storage import pane_queries as q
from ops_console.storage.db import read_session


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
    if len(rows) >= MAX_EVENTS_SCANNED:
        return Moved(rows[-1].id, frozenset(), frozenset(), True, True, frozenset(PANES))
    orders: set[int] = set()
    statuses: set[str] = set()
    alerts = couriers = False
    reload: set[str] = set()
    for row in rows:
        kind = row.subject_type
        if kind in ("reminder", "anomaly", "service_request"):
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
        moved = read_moved(q.events_since(s, mark, MAX_EVENTS_SCANNED), mark)
    return moved.mark, touched_panes(moved)


# Statuses whose entry or exit can change a courier proposal: the board's own, and the end of a trip.
_PROPOSAL_STATUSES = frozenset(BOARD_STATUSES) | {"delivered", "cancelled"}


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
            out = {UNASSIGNED: queue_pane(s, counts, self.window)}
            out[PICKING], clocks = picking_pane(s, ctx, self.window)
            out[BOARD] = with_proposals(s, ctx, now, board_pane(s, counts, self.window))
            out[ALERTS] = alerts_pane(s, self.window, ctx)
            header = header_facts(s, ctx, now, counts)
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
                    rows = self.feed.poll(s, ctx.clock.now(), MAX_EVENTS_SCANNED)
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
                out[pane] = queue_pane(s, counts, self.window)
            elif pane == PICKING:
                out[pane], clocks = picking_pane(s, ctx, self.window)
                deadline = None
            else:
                out[pane] = board_pane(s, counts, self.window)
        # A picked order's proposal changes with the board itself, a courier's load (orders going on or
        # off the road) or duty: one call a refresh then, none for events elsewhere (intake, picking).
        board = out.get(BOARD)
        if board is None and self.panes.get(BOARD) is not None and (
                moved.couriers or moved.statuses & _PROPOSAL_STATUSES or (moved.orders and not moved.statuses)):
            board = replace(self.panes[BOARD], changed=frozenset())
        if board is not None:
            proposed = with_proposals(s, ctx, now, board)
            if BOARD in out or proposed is not board:
                out[BOARD] = proposed
        if moved.alerts or ALERTS in reload or ALERTS not in self.panes:
            out[ALERTS] = alerts_pane(s, self.window, ctx)
        if reload:
            header = header_facts(s, ctx, now, counts)
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
            new = [queue_row(r, names) for r in entering if r.status == section]
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
        known = cast("dict[int, tuple[int, datetime | None]]", ctx.cache.setdefault(PICKING_CLOCKS, {}))
        entering: dict[int, PickingRow] = {}
        for r in fresh.values():
            if r.status not in PANE_STATUSES[PICKING]:
                continue
            row = picking_row(r)
            if row.assigned_at is None:
                continue
            d = row.assigned_at + timedelta(minutes=row.sla_minutes)
            known[r.id] = (row.version, d)
            deadline[r.id] = d
            bisect.insort(clocks, (d, r.id))
            entering[r.id] = row
        if len(clocks) != _pane_total(PICKING, counts, 0):
            return None  # an order came or went without an event naming it: load whole
        ids = [oid for _, oid in clocks[:self.window]]
        previous = {r.id: r for r in old.rows}
        missing = [oid for oid in ids if oid not in entering and oid not in previous]
        more = {r.id: picking_row(r) for r in q.picking_rows(s, ctx.settings.picking.sla_minutes, missing)} \
            if missing else {}
        rows = []
        for oid in ids:
            found = entering.get(oid) or previous.get(oid) or more.get(oid)
            if found is None:
                return None
            rows.append(found)
        return PaneData(tuple(rows), len(clocks), {}, _changed(old.rows, rows)), clocks, deadline


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


def _board_key(r: BoardRow) -> tuple[bool, datetime, int]:
    """The board window's order (storage/pane_queries.board_rows): waiting for a person before on the road."""
    if r.entered_at is None:
        raise TypeError("no entered_at")
    return (r.status in ON_THE_ROAD, r.entered_at, r.id)


def _header_update(s: Any, ctx: AppContext, now: datetime, counts: Mapping[str, int], moved: Moved,
                   fresh: Mapping[int, Any], previous: HeaderFacts | None) -> HeaderFacts:
    """The header facts the moved events may change, asked again; the others kept."""
    if previous is None:
        return header_facts(s, ctx, now, counts)
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
        left = oldest_id is None or not fresh or (oldest_id in moved.orders and (
            now_row is None or now_row.status != "unassigned" or now_row.since != oldest))
        older = [r for r in fresh.values() if r.status == "unassigned" and r.since is not None
                 and oldest is not None and (r.since, r.id) < (oldest, oldest_id)]
        if left:
            changes.update(oldest_unassigned(s))
        elif older:
            first = min(older, key=lambda r: (r.since, r.id))
            changes.update(oldest_unassigned=first.since, oldest_unassigned_id=first.id)
    if "out_for_delivery" in st:
        changes["delivery_started"] = tuple(sorted(q.out_for_delivery_times(s)))
    if "held" in st or any(r.appointment_at is not None for r in fresh.values()):
        changes["appointments"] = appointments_soon(s, now)
    if st & ON_THE_ROAD or moved.couriers:
        changes["couriers"] = courier_counts(s)
    if moved.alerts:
        changes["open_reminders"] = q.open_reminder_count(s)
        changes["critical_alerts"] = q.open_critical_anomaly_count(s)
    return replace(previous, **changes)
