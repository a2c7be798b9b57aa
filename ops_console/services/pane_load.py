"""Reading the live panes whole: one read transaction for the mark, the panes asked for and the header.

The row builders here are shared with services/pane_live.py, which patches windows with rows of
just the orders that events touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from ops_console.domain.service_requests import LIVE as LIVE_REQUESTS
from ops_console.domain.service_requests import RequestStatus, pending_deadline
from ops_console.domain.types import OPEN_STATUSES, Status, Tier
from ops_console.services.context import AppContext
from ops_console.services.courier_load import proposals
from ops_console.services.matching import match_reason_stores
from ops_console.services.pane_data import (
    ALERTS,
    BOARD,
    BOARD_STATUSES,
    DEFAULT_WINDOW,
    PANE_STATUSES,
    PANES,
    PICKING,
    QUEUE_SECTIONS,
    SCHEDULER_META_KEY,
    SERVICE_REQUEST,
    UNASSIGNED,
    AlertRow,
    BoardRow,
    HeaderFacts,
    PaneData,
    PickingRow,
    QueueRow,
    Snapshot,
    TierCount,
)
from ops_console.storage import pane_queries as q
from ops_console.storage.db import read_session


def event_mark(ctx: AppContext) -> int:
    with read_session(ctx.engine) as s:
        return q.max_event_id(s)


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
            out[UNASSIGNED] = queue_pane(s, counts, window)
        if PICKING in wanted:
            out[PICKING], clocks = picking_pane(s, ctx, window)
            deadlines = tuple(d for d, _ in clocks)
        if BOARD in wanted:
            out[BOARD] = with_proposals(s, ctx, now, board_pane(s, counts, window))
        if ALERTS in wanted:
            out[ALERTS] = alerts_pane(s, window, ctx)
        header = header_facts(s, ctx, now, counts)
    return Snapshot(mark, now, out, header, deadlines, wanted >= set(PANES))


def fresh_rows(fresh: Mapping[int, Any], pane: str) -> list[Any]:
    """The touched orders that belong to a pane now, as its rows (queue rows need store names)."""
    if pane == BOARD:
        return [board_row(r) for r in fresh.values() if r.status in PANE_STATUSES[BOARD]]
    if pane == PICKING:
        return [picking_row(r) for r in fresh.values() if r.status in PANE_STATUSES[PICKING]]
    raise ValueError(pane)


def top_suggestion(suggestions: Any, names: Mapping[str, str]) -> tuple[str | None, str | None, float | None]:
    if not isinstance(suggestions, list) or not suggestions or not isinstance(suggestions[0], dict):
        return None, None, None
    top = suggestions[0]
    store_id = top.get("store_id")
    try:
        score = float(top["score"]) if top.get("score") is not None else None
    except (TypeError, ValueError):
        score = None
    return store_id, names.get(store_id) if store_id else None, score


def queue_row(r: Any, names: Mapping[str, str]) -> QueueRow:
    sid, sname, score = top_suggestion(r.suggestions, names)
    return QueueRow(
        r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), bool(r.custom),
        r.payment_method == "cod", r.appointment_at, r.since, r.address or "", r.amount or 0,
        r.match_reason, r.review_reason, sid, sname, score, r.claimed_by, r.claimer_name,
        tuple((store, names.get(store, "")) for store in match_reason_stores(r.match_reason)),
        _top_reason(r.suggestions),
    )


def _top_reason(suggestions: Any) -> str | None:
    if isinstance(suggestions, list) and suggestions and isinstance(suggestions[0], dict):
        reason = suggestions[0].get("reason")
        return str(reason) if reason else None
    return None


def queue_pane(s: Any, counts: Mapping[str, int], window: int) -> PaneData:
    names = q.store_names(s)
    rows = [queue_row(r, names) for status in QUEUE_SECTIONS for r in q.queue_rows(s, status, window)]
    sections = {sec: counts.get(sec, 0) for sec in QUEUE_SECTIONS}
    return PaneData(tuple(rows), sum(sections.values()), sections)


def picking_row(r: Any) -> PickingRow:
    return PickingRow(r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), r.store_id, r.store_name,
                      r.assigned_at or r.status_entered_at, int(r.sla_minutes), r.claimed_by, r.claimer_name)


PICKING_CLOCKS = "panes.picking_clock"  # ctx.cache: order id → (version, deadline or None)


def picking_clocks(s: Any, ctx: AppContext) -> list[tuple[datetime, int]]:
    """(deadline, id) of every order assigned and not yet picked, soonest first.

    A clock starts at assignment and its SLA depends on the order's lines, so it changes only when
    the order does: deadlines are kept per process by version, and a refresh reads two integers per
    order, asking the rest only for orders new or changed since."""
    known = cast("dict[int, tuple[int, datetime | None]]", ctx.cache.setdefault(PICKING_CLOCKS, {}))
    current = q.picking_versions(s)
    clocks: list[tuple[datetime, int]] = []
    missing: list[int] = []
    for oid, version in current:  # one pass: this runs on every refresh over every picking order
        k = known.get(oid)
        if k is None or k[0] != version:
            missing.append(oid)
        elif k[1] is not None:
            clocks.append((k[1], oid))
    for r in q.picking_clocks(s, ctx.settings.picking.sla_minutes, missing) if missing else ():
        deadline = r.start + timedelta(minutes=int(r.sla_minutes)) if r.start else None
        known[r.id] = (r.version, deadline)
        if deadline is not None:
            clocks.append((deadline, r.id))
    if len(known) > 2 * len(current) + 1000:  # orders that left the pane: forget them now and then
        keep = {oid for oid, _ in current}
        for oid in [k for k in known if k not in keep]:
            del known[oid]
    clocks.sort()
    return clocks


def picking_window(s: Any, ctx: AppContext, window: int) -> tuple[list[tuple[datetime, int]], list[Any]]:
    """Every picking clock, and the rows of the `window` most urgent, soonest first."""
    clocks = picking_clocks(s, ctx)
    ids = [oid for _, oid in clocks[:window]]
    found = {r.id: r for r in q.picking_rows(s, ctx.settings.picking.sla_minutes, ids)} if ids else {}
    return clocks, [found[oid] for oid in ids if oid in found]


def picking_pane(s: Any, ctx: AppContext, window: int) -> tuple[PaneData, list[tuple[datetime, int]]]:
    """Deadlines of every picking order (for the header), details of the `window` most urgent."""
    clocks, rows = picking_window(s, ctx, window)
    return PaneData(tuple(picking_row(r) for r in rows), len(clocks)), clocks


def board_row(r: Any) -> BoardRow:
    since = {
        "picked": r.picked_at,
        "dispatched": r.dispatched_at,
        "out_for_delivery": r.out_for_delivery_at,
    }.get(r.status) or r.status_entered_at
    return BoardRow(r.id, r.version, r.status, r.channel, r.order_no, bool(r.urgent), r.tier or Tier.COMPANY.value,
                    r.store_id, r.store_name, r.courier_id, r.courier_name, since, r.appointment_at,
                    r.claimed_by, r.claimer_name, r.status_entered_at)


def board_pane(s: Any, counts: Mapping[str, int], window: int) -> PaneData:
    rows = tuple(board_row(r) for r in q.board_rows(s, BOARD_STATUSES, window))
    return PaneData(rows, sum(counts.get(st, 0) for st in BOARD_STATUSES))


def with_proposals(s: Any, ctx: AppContext, now: datetime, data: PaneData) -> PaneData:
    """The board's picked rows with their courier proposal: one call for the whole window."""
    picked = [r.id for r in data.rows if r.status == Status.PICKED.value]
    found = proposals(s, ctx.settings, now, picked) if picked else {}
    rows = tuple(replace(r, proposal=(found[r.id].tier.value, found[r.id].courier_id) if r.id in found else None)
                 if r.status == Status.PICKED.value or r.proposal is not None else r for r in data.rows)
    if rows == data.rows:
        return data
    changed = frozenset(r.key for r, old in zip(rows, data.rows, strict=True) if r != old)
    return replace(data, rows=rows, changed=None if data.changed is None else data.changed | changed)


def service_request_row(r: Any, now: datetime, lead: timedelta) -> AlertRow:
    """A live service request as a pane-4 row: `at` is the limit running now (first contact, then
    the refund); critical once missed, a warning within `returns.remind_before_hours`."""
    pending = pending_deadline(RequestStatus(r.status), r.contact_due_at, r.refund_due_at)
    due = pending[1] if pending else None
    severity = "info" if due is None or now < due - lead else ("critical" if now >= due else "warning")
    return AlertRow(SERVICE_REQUEST, r.id, r.kind, severity, r.status, pending[0] if pending else "", r.order_id,
                    r.order_no, due or r.created_at, 1, None)


def alerts_pane(s: Any, window: int, ctx: AppContext | None = None) -> PaneData:
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
                             r.order_no, r.last_seen or r.first_seen, r._mapping["count"] or 1, r.owner,  # Row.count is tuple.count
                             detail.get("order_kind")))
    rows.sort(key=lambda a: (a.at is None, -(a.at.timestamp() if a.at else 0), a.key))
    rows = rows[:window]
    if ctx is not None:  # service requests after the alerts (the console shows them to customer service)
        now, lead = ctx.clock.now(), timedelta(hours=ctx.settings.returns.remind_before_hours)
        requests = [service_request_row(r, now, lead)
                    for r in q.service_request_rows(s, [st.value for st in LIVE_REQUESTS], window)]
        far = datetime.max.replace(tzinfo=now.tzinfo)
        rows += sorted(requests, key=lambda a: (a.at or far, a.id))
    return PaneData(tuple(rows), len(rows))


def courier_counts(s: Any) -> tuple[TierCount, ...]:
    tiers: dict[str, list[int]] = {t.value: [0, 0, 0] for t in Tier}
    for c in q.courier_rows(s):
        slot = tiers.setdefault(c.tier, [0, 0, 0])
        slot[2] += 1
        if c.on_duty:
            slot[1] += 1
            if (c.busy or 0) < max(1, c.capacity or 1):
                slot[0] += 1
    return tuple(TierCount(t, v[0], v[1], v[2]) for t, v in tiers.items())


def appointments_soon(s: Any, now: datetime) -> tuple[datetime, ...]:
    times = q.appointment_times(
        s, [st.value for st in OPEN_STATUSES if st != Status.DELIVERED], now - timedelta(hours=1),
        now + timedelta(hours=6),
    )
    return tuple(sorted(times))


def oldest_unassigned(s: Any) -> dict[str, Any]:
    row = q.oldest_unassigned_order(s)
    return {"oldest_unassigned": row.since if row else None, "oldest_unassigned_id": row.id if row else None}


def header_facts(s: Any, ctx: AppContext, now: datetime, counts: Mapping[str, int]) -> HeaderFacts:
    return HeaderFacts(
        **oldest_unassigned(s),
        unassigned=counts.get("unassigned", 0),
        manual_review=counts.get("manual_review", 0),
        delivery_started=tuple(sorted(q.out_for_delivery_times(s))),
        appointments=appointments_soon(s, now),
        couriers=courier_counts(s),
        open_reminders=q.open_reminder_count(s),
        critical_alerts=q.open_critical_anomaly_count(s),
        scheduler_last_run=q.meta_value(s, SCHEDULER_META_KEY),
    )
