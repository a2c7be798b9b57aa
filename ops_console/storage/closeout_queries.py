"""Read queries of the closeout and the reports: a business day's orders and events, as plain tuples.

A day of a busy chain is ~50,000 orders and ~450,000 events, so these return times as integer
epoch milliseconds computed by the database (no datetime object per value) and pull the few
event-detail fields the figures read with JSON path expressions (no JSON decoded per row). Range
filters use the indexes on `event.at` and `orders (kind, received_at)`; nothing scans history.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Integer, String, case, cast, func, or_, select
from sqlmodel import Session

from ops_console.storage.models import Delivery, Event, Order, OrderLine
from ops_console.storage.tables import table_of

O = table_of(Order).c  # noqa: E741
E = table_of(Event).c
D = table_of(Delivery).c
L = table_of(OrderLine).c
CHUNK = 900  # ids per IN (...)


def epoch_ms(session: Session, col: Any) -> Any:
    """The instant as integer milliseconds since 1970 (NULL stays NULL), computed in SQL.

    Rounded to the millisecond, so the double of SQLite's julianday (≈40 µs) never moves a boundary."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.round((func.julianday(col) - 2440587.5) * 86400000.0), Integer)
    # PostgreSQL: EXTRACT gives a numeric (slow, ~0.2 s more per 450,000 events); date_part's double
    # rounds back to the exact microsecond (error < 0.5 µs until the 2200s), then integer maths rounds
    # half up to the millisecond, as round() of the numeric did.
    micros = cast(func.round(func.date_part("epoch", col) * 1_000_000), BigInteger)
    return (micros + 500) // 1000


class OrderFacts(NamedTuple):
    """What the figures read of an order; times in epoch milliseconds."""

    id: int
    kind: str
    channel: str
    order_no: str
    status: str
    store_id: str | None
    payment_method: str
    payment_status: str
    amount: int
    paid_amount: int
    received: int | None
    appointment: int | None
    assigned: int | None
    unassigned: int | None
    placed: int | None
    source: str


def _plain_rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them, without a Row object each: for the big reads whose
    columns need no conversion (integers and text only)."""
    result = session.connection().execute(stmt)
    try:
        return typing.cast("list[tuple[Any, ...]]", result.cursor.fetchall())  # DB-API drivers return a list
    finally:
        result.close()


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _order_columns(session: Session) -> list[Any]:
    ms = lambda c: epoch_ms(session, c)  # noqa: E731
    return [O.id, O.kind, O.channel, O.order_no, O.status, O.store_id, O.payment_method, O.payment_status, O.amount,
            O.paid_amount, ms(O.received_at).label("received"), ms(O.appointment_at).label("appointment"),
            ms(O.assigned_at).label("assigned"), ms(O.unassigned_at).label("unassigned"),
            ms(O.placed_at).label("placed"), O.source]


def orders_received(session: Session, kind: str, start: datetime, end: datetime) -> list[OrderFacts]:
    rows = _plain_rows(session, select(*_order_columns(session))
                       .where(O.kind == kind, O.received_at >= start, O.received_at < end))
    return list(map(OrderFacts._make, rows))


def orders_by_id(session: Session, ids: Sequence[int]) -> list[OrderFacts]:
    out: list[OrderFacts] = []
    for part in chunks(list(ids)):
        out.extend(map(OrderFacts._make, _plain_rows(session, select(*_order_columns(session))
                                                     .where(O.id.in_(list(part))))))
    return out


def _order_events_stmt(session: Session, start: datetime, end: datetime) -> Any:
    # The detail as JSON text, and only when it is not empty (most events' is `{}`): the caller
    # decodes the few it reads. Four JSON paths per row in SQL cost more than the rest of the read.
    detail = cast(E.detail, String)
    # In time order (ties: as written); the index on `at` gives the order, the log is appended in time.
    return (select(E.order_id, epoch_ms(session, E.at), E.actor, E.action, E.to_status,
                   case((detail != "{}", detail), else_=None))
            .where(E.at >= start, E.at < end, E.order_id.is_not(None))
            .order_by(E.at, E.id))


def order_events(session: Session, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """(order_id, at ms, actor, action, to_status, detail JSON text or None when empty) of the order
    events of the range, in the order they were written."""
    return _plain_rows(session, _order_events_stmt(session, start, end))


def order_event_batches(session: Session, start: datetime, end: datetime,
                        size: int = 20_000) -> Iterator[list[tuple[Any, ...]]]:
    """`order_events` a batch at a time, so a busy day's ~450,000 rows are never all Python tuples at
    once (PostgreSQL's driver holds the result in its C buffer meanwhile). No `stream_results`: its
    buffered strategy reads rows ahead of the DB-API cursor read here. Nothing else may run on the
    session's connection until the last batch is read."""
    result = session.connection().execute(_order_events_stmt(session, start, end))
    try:
        cursor = result.cursor
        while batch := cursor.fetchmany(size):
            yield typing.cast("list[tuple[Any, ...]]", batch)  # DB-API drivers return a list
    finally:
        result.close()


def other_actions_by_actor(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Events of the range about no order (reminders acknowledged, master data…), per actor."""
    rows = session.execute(
        select(E.actor, func.count()).where(E.order_id.is_(None), E.at >= start, E.at < end).group_by(E.actor)
    ).all()
    return {actor: int(n) for actor, n in rows}


def ingest_events(session: Session, start: datetime, end: datetime) -> list[tuple[str, dict[str, Any]]]:
    rows = session.execute(
        select(E.subject_id, E.detail).where(E.subject_type == "intake", E.action == "ingest", E.at >= start,
                                             E.at < end).order_by(E.id)
    ).all()
    return [(subject, detail or {}) for subject, detail in rows]


def receive_events_without_order(session: Session, start: datetime, end: datetime) -> list[int]:
    return list(session.execute(
        select(E.id).where(E.order_id.is_(None), E.action == "receive", E.at >= start, E.at < end)
    ).scalars())


def resolved_anomaly_ids(session: Session, start: datetime, end: datetime) -> set[int]:
    rows = session.execute(
        select(E.subject_id).where(E.subject_type == "anomaly", E.at >= start, E.at < end,
                                   or_(E.action.in_(["resolve", "resolved"]), E.to_status == "resolved"))
    ).scalars()
    return {int(s) for s in rows if str(s).isdigit()}


def existing_order_ids(session: Session, ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for part in chunks(list(ids)):
        found |= set(session.execute(select(O.id).where(O.id.in_(list(part)))).scalars())
    return found


def _id_groups(ids: Sequence[int]) -> tuple[tuple[int, int] | None, list[int]]:
    """The day's orders have neighbouring ids: one range covers most of them (an index range scan),
    the few older ones touched on the day are asked by id."""
    if not ids:
        return None, []
    ordered = sorted(ids)
    lo_i = len(ordered) // 100  # leave out the oldest percent: orders of earlier days stretch the range
    lo, hi = ordered[lo_i], ordered[-1]
    if hi - lo > 3 * len(ordered) + 1000:  # scattered ids: by id only
        return None, ordered
    return (lo, hi), [i for i in ordered if i < lo]


def deliveries_of(session: Session, order_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """(order_id, tier, courier_id, dispatched ms, finished ms, outcome, cod fen) of the orders' attempts
    (with the range read, also of neighbouring orders: the caller keeps its own)."""
    cols = (D.order_id, D.tier, D.courier_id, epoch_ms(session, D.dispatched_at), epoch_ms(session, D.finished_at),
            D.outcome, D.cod_collected)
    span, single = _id_groups(order_ids)
    out: list[tuple[Any, ...]] = []
    if span is not None:
        out.extend(_plain_rows(session, select(*cols).where(D.order_id >= span[0], D.order_id <= span[1])))
    for part in chunks(single):
        out.extend(_plain_rows(session, select(*cols).where(D.order_id.in_(list(part)))))
    return out


def line_categories(session: Session, order_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(order_id, category) of the orders' lines (with the range read, also of neighbours)."""
    span, single = _id_groups(order_ids)
    out: list[tuple[int, str]] = []
    if span is not None:
        out.extend(_plain_rows(session, select(L.order_id, L.category)
                               .where(L.order_id >= span[0], L.order_id <= span[1])))
    for part in chunks(single):
        out.extend(_plain_rows(session, select(L.order_id, L.category).where(L.order_id.in_(list(part)))))
    return out
