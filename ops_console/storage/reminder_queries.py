"""The small queries behind the reminder checks: each one indexed on status (and time), each
returning only the rows already past their threshold, as plain domain facts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_

# SQLModel's select() is typed for at most four columns: the wider row reads use SQLAlchemy's.
from sqlalchemy import select as wide_select
from sqlmodel import Session, col, select

from ops_console.domain.reminders import AnomalyDeadline, LiveReminder, OrderClock
from ops_console.storage.models import (
    Anomaly,
    Event,
    Meta,
    Operator,
    Order,
    OrderLine,
    Reminder,
    ServiceRequest,
    Store,
)

# Statuses of an anomaly whose owner's deadline still counts (not resolved, not silenced).
ANOMALY_LIVE = ("open", "acknowledged")


def _since(value: datetime | None, fallback: datetime | None) -> datetime | None:
    return value or fallback


def unassigned_queue(session: Session) -> tuple[int, OrderClock | None, datetime | None]:
    """How many orders wait unassigned, the oldest of them (by its last entry into the queue), and
    when the newest one entered."""
    since = func.coalesce(Order.unassigned_at, Order.status_entered_at)
    count, newest = session.exec(
        select(func.count(), func.max(since)).where(Order.status == "unassigned")
    ).one()
    if not count:
        return 0, None, None
    row = session.exec(
        select(Order.id, Order.order_no, since.label("since"), Store.name)
        .join(Store, col(Store.id) == Order.store_id, isouter=True)
        .where(Order.status == "unassigned")
        .order_by(since, col(Order.id))
        .limit(1)
    ).first()
    oldest = None
    if row is not None and row[0] is not None and row[2] is not None:
        oldest = OrderClock(row[0], row[1], _utc(row[2]), row[3] or "")
    return count, oldest, _utc(newest) if newest is not None else None


def _utc(value: Any) -> datetime:
    """Aggregates and sub-queries may come back as text or naive on SQLite: read them as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _orders(session: Session, statuses: Sequence[str], cutoff: datetime, stamp: Any,
            extra: Sequence[Any] = ()) -> list[Any]:
    """Orders in `statuses` that entered them at or before `cutoff` (the (status, entered) index)."""
    return list(session.execute(
        wide_select(col(Order.id), col(Order.order_no), col(Order.status_entered_at), stamp, col(Store.name), col(Order.tier), *extra)
        .join(Store, col(Store.id) == Order.store_id, isouter=True)
        .where(col(Order.status).in_(statuses), col(Order.status_entered_at) <= cutoff)
        .order_by(col(Order.id))
    ))


def _clocks(rows: list[Any]) -> tuple[OrderClock, ...]:
    out = []
    for r in rows:
        since = _since(r[3], r[2])
        if since is not None:
            out.append(OrderClock(r[0], r[1], since, r[4] or ""))
    return tuple(out)


def picking_clocks(session: Session, cutoff: datetime) -> tuple[OrderClock, ...]:
    """Assigned / picking orders assigned at or before `cutoff`, with their lines' categories."""
    rows = list(session.execute(
        wide_select(col(Order.id), col(Order.order_no), col(Order.status_entered_at), col(Order.assigned_at), col(Store.name))
        .join(Store, col(Store.id) == Order.store_id, isouter=True)
        .where(col(Order.status).in_(("assigned", "picking")),
               or_(col(Order.assigned_at) <= cutoff,
                   and_(col(Order.assigned_at).is_(None), col(Order.status_entered_at) <= cutoff)))
        .order_by(col(Order.id))
    ))
    if not rows:
        return ()
    cats: dict[int, list[str]] = {}
    for order_id, category in session.exec(
        select(OrderLine.order_id, OrderLine.category).where(col(OrderLine.order_id).in_([r[0] for r in rows]))
    ):
        cats.setdefault(order_id, []).append(category)
    out = []
    for r in rows:
        since = _since(r[3], r[2])
        if since is not None:
            out.append(OrderClock(r[0], r[1], since, r[4] or "", tuple(cats.get(r[0], ()))))
    return tuple(out)


def picked_waiting(session: Session, cutoff: datetime) -> tuple[OrderClock, ...]:
    """Picked orders with no courier, waiting since they were picked (or last escalated: a new
    tier starts a new wait) at or before `cutoff`."""
    escalated = (
        select(func.max(Event.at))
        .where(Event.order_id == Order.id, Event.action == "escalate")
        .correlate(Order)
        .scalar_subquery()
    )
    rows = _orders(session, ("picked",), cutoff, Order.picked_at, [escalated.label("escalated")])
    out = []
    for r in rows:
        since = max(x for x in (r[2], r[3], _utc(r[6]) if r[6] is not None else None) if x is not None)
        if since <= cutoff:
            out.append(OrderClock(r[0], r[1], since, r[4] or "", tier=r[5]))
    return tuple(out)


def out_for_delivery(session: Session, cutoff: datetime) -> tuple[OrderClock, ...]:
    return _clocks(_orders(session, ("out_for_delivery",), cutoff, Order.out_for_delivery_at))


def delivered_unconfirmed(session: Session, cutoff: datetime) -> tuple[OrderClock, ...]:
    # A delivered replenishment order is final: only customers confirm a delivery.
    return _clocks([r for r in _orders(session, ("delivered",), cutoff, Order.delivered_at, [Order.kind])
                    if r[6] == "customer"])


def manual_review(session: Session, cutoff: datetime) -> tuple[OrderClock, ...]:
    return _clocks(_orders(session, ("manual_review",), cutoff, Order.status_entered_at))


def awaiting_decision(session: Session, cutoff: datetime) -> tuple[OrderClock, ...]:
    """Refused / not completed orders that entered that status at or before `cutoff`."""
    rows = _orders(session, ("refused", "not_completed"), cutoff, Order.status_entered_at, [Order.status])
    return tuple(OrderClock(r[0], r[1], r[2], r[4] or "", status=r[6]) for r in rows if r[2] is not None)


def decided(session: Session, orders: Sequence[OrderClock]) -> frozenset[int]:
    """Those of `orders` with a service request (return, exchange, refund, complaint) opened since
    they entered their status: someone decided what happens to the goods."""
    if not orders:
        return frozenset()
    since = {o.order_id: o.since for o in orders}
    rows = session.exec(
        select(ServiceRequest.order_id, ServiceRequest.created_at)
        .where(col(ServiceRequest.order_id).in_(list(since)))
    )
    return frozenset(oid for oid, created in rows if created is not None and _utc(created) >= since[oid])


def active_stores(session: Session) -> tuple[tuple[str, str], ...]:
    return tuple((sid, name) for sid, name in session.exec(
        select(Store.id, Store.name).where(col(Store.active).is_(True)).order_by(Store.id)
    ))


def stores_reordered(session: Session, day_start: datetime, day_end: datetime) -> frozenset[str]:
    """Stores with a (not cancelled) replenishment order placed in [day_start, day_end)."""
    rows = session.exec(
        select(Order.store_id).distinct()
        .where(Order.kind == "replenishment", col(Order.placed_at) >= day_start, col(Order.placed_at) < day_end,
               Order.status != "cancelled", col(Order.store_id).is_not(None))
    )
    return frozenset(str(r) for r in rows)


def anomaly_deadlines(session: Session, now: datetime) -> tuple[AnomalyDeadline, ...]:
    rows = session.execute(
        wide_select(col(Anomaly.id), col(Anomaly.rule), col(Anomaly.deadline), col(Anomaly.owner), col(Order.order_no), col(Operator.name))
        .join(Order, col(Order.id) == Anomaly.order_id, isouter=True)
        .join(Operator, col(Operator.id) == Anomaly.owner, isouter=True)
        .where(col(Anomaly.status).in_(ANOMALY_LIVE), col(Anomaly.deadline).is_not(None),
               col(Anomaly.deadline) <= now)
        .order_by(col(Anomaly.id))
    )
    return tuple(AnomalyDeadline(r[0], r[1], r[2], r[5] or r[3] or "", r[4] or "") for r in rows)


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row is not None else None


def set_meta(session: Session, key: str, value: str, at: datetime) -> None:
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value, updated_at=at))
    else:
        row.value = value
        row.updated_at = at
        session.add(row)
    session.flush()


def live_reminders(session: Session) -> list[LiveReminder]:
    rows = session.execute(
        wide_select(col(Reminder.id), col(Reminder.kind), col(Reminder.subject), col(Reminder.dedup_key), col(Reminder.status), col(Reminder.severity),
               col(Reminder.last_raised_at), col(Reminder.raised_at))
        .where(col(Reminder.status).in_(("open", "acknowledged")))
        .order_by(col(Reminder.id))
    )
    return [LiveReminder(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or r[7]) for r in rows]


def reminder_by_key(session: Session, key: str) -> Reminder | None:
    return session.exec(select(Reminder).where(Reminder.dedup_key == key)).first()


def reminder_rows(session: Session, *, include_closed: bool, limit: int) -> list[tuple[Reminder, str | None]]:
    """Reminders with the name of whoever acknowledged them: the live ones, or the latest of all."""
    q = select(Reminder, Operator.name).join(Operator, col(Operator.id) == Reminder.acknowledged_by, isouter=True)
    if not include_closed:
        q = q.where(col(Reminder.status).in_(("open", "acknowledged")))
    return [(r, n) for r, n in session.exec(q.order_by(col(Reminder.id).desc()).limit(limit))]


def reminder_events_after(session: Session, after_id: int, limit: int
                          ) -> tuple[list[tuple[Event, Reminder, str | None]], int]:
    """Reminder events after an event id, oldest first, with the reminder and the actor's name, and
    the id of the last event looked at. It walks the log by id (the primary key) rather than the
    subject index, so a look costs what happened since the last one, not the whole history."""
    events = list(session.exec(
        select(Event).where(col(Event.id) > after_id).order_by(col(Event.id)).limit(limit)
    ))
    if not events:
        return [], after_id
    last = events[-1].id or after_id
    return _with_reminders(session, [e for e in events if e.subject_type == "reminder"]), last


def reminder_events(session: Session, event_ids: list[int]) -> list[tuple[Event, Reminder, str | None]]:
    """The given reminder events, oldest first, with the reminder and the actor's name."""
    if not event_ids:
        return []
    events = list(session.exec(select(Event).where(col(Event.id).in_(event_ids)).order_by(col(Event.id))))
    return _with_reminders(session, events)


def _with_reminders(session: Session, events: list[Event]) -> list[tuple[Event, Reminder, str | None]]:
    if not events:
        return []
    ids = {int(e.subject_id) for e in events}
    reminders = {r.id: r for r in session.exec(select(Reminder).where(col(Reminder.id).in_(ids)))}
    actors = {e.actor for e in events if e.actor != "system"}
    names = {i: n for i, n in session.exec(select(Operator.id, Operator.name).where(col(Operator.id).in_(actors)))} \
        if actors else {}
    return [(e, reminders[int(e.subject_id)], names.get(e.actor)) for e in events
            if int(e.subject_id) in reminders]
