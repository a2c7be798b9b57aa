"""Read queries for the console's live panes and header: small, indexed, columns not ORM objects.

Every function takes an open session and returns plain rows (SQLAlchemy `Row` tuples with named
fields); services/panes.py turns them into frozen snapshot dataclasses. Status filters use the
`(status, status_entered_at)` index; nothing here scans closed orders.

The console runs these every refresh, so the hot ones are built once (`@cache`, parameters bound at
execution) and pick their window of ids first, joining names to those rows only: building a select
costs more than running it, and a sort carries only the ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import and_, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased
from sqlmodel import Session

from ops_console.domain.types import ON_THE_ROAD
from ops_console.storage.models import (
    Anomaly,
    Courier,
    Event,
    Meta,
    Operator,
    Order,
    OrderLine,
    Reminder,
    ServiceRequest,
    Store,
)
from ops_console.storage.tables import table_of

O = table_of(Order).c  # noqa: E741
L = table_of(OrderLine).c
E = table_of(Event).c
C = table_of(Courier).c
S = table_of(Store).c
R = table_of(Reminder).c
A = table_of(Anomaly).c
OP = table_of(Operator).c
M = table_of(Meta).c
SR = table_of(ServiceRequest).c


def _exec(session: Session, stmt: Any, params: Mapping[str, Any] | None = None) -> Any:
    """Core statements on the session's connection: the same transaction and rows, without the ORM
    execution layer (about 0.4 ms a statement the console pays every refresh, for nothing: these
    queries select columns, never entities)."""
    return session.connection().execute(stmt, params)


def max_event_id(session: Session) -> int:
    """The one cheap query a console runs every second."""
    return _exec(session, select(func.max(E.id))).scalar() or 0


def events_since(session: Session, mark: int, limit: int) -> Sequence[Row[Any]]:
    """What moved since `mark` (a range of the primary key): which orders, which statuses, what else."""
    return _exec(session,
        select(E.id, E.subject_type, E.subject_id, E.order_id, E.action, E.from_status, E.to_status)
        .where(E.id > mark)
        .order_by(E.id)
        .limit(limit)
    ).all()


PICKING_STATUSES = ("assigned", "picking")


def _claimer() -> Any:
    return aliased(table_of(Operator), name="claimer")


@cache
def _queue_statement(status: str, limit: int) -> Any:
    claimer = _claimer()
    since = func.coalesce(O.unassigned_at, O.status_entered_at)
    return (
        select(
            O.id, O.version, O.status, O.channel, O.order_no, O.urgent, O.custom, O.payment_method,
            O.appointment_at, since.label("since"), O.address, O.amount, O.match_reason, O.review_reason,
            O.suggestions, O.claimed_by, claimer.c.name.label("claimer_name"),
        )
        .select_from(table_of(Order).outerjoin(claimer, claimer.c.id == O.claimed_by))
        .where(O.status == status)
        .order_by(O.urgent.desc(), since, O.id)
        .limit(limit)
    )


def queue_rows(session: Session, status: str, limit: int) -> Sequence[Row[Any]]:
    """Unassigned (or manual-review) orders, urgent first, then the longest waiting."""
    return _exec(session, _queue_statement(status, limit)).all()


@cache
def _counts_statement(statuses: tuple[str, ...]) -> Any:
    # One count per status, not one GROUP BY over an IN list: each is a range of the status index
    # (SQLite's grouped form sorts every open order first, several times slower).
    return union_all(*(select(literal(st).label("status"), func.count().label("n")).where(O.status == st)
                       for st in statuses))


def open_status_counts(session: Session, statuses: Sequence[str]) -> dict[str, int]:
    if not statuses:
        return {}
    return {status: n for status, n in _exec(session, _counts_statement(tuple(statuses))).all() if n}


def sla_expression(sla: Mapping[str, int]) -> Any:
    """An order's picking SLA in minutes: the strictest of its lines' categories."""
    default = int(sla["default"])
    per_line = case({k: int(v) for k, v in sla.items() if k != "default"}, value=L.category, else_=default) \
        if len(sla) > 1 else literal(default)
    return func.coalesce(
        select(func.min(per_line)).where(L.order_id == O.id).scalar_subquery(), default
    )


def _sla_key(sla: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((k, int(v)) for k, v in sla.items()))


def picking_versions(session: Session) -> Sequence[tuple[int, int]]:
    """(id, version) of every order assigned and not yet picked: two integers a row, from the index
    and the row, so a refresh learns which clocks it already knows."""
    return cast("Sequence[tuple[int, int]]", _exec(session, _picking_versions_statement()).all())


@cache
def _picking_versions_statement() -> Any:
    return select(O.id, O.version).where(O.status.in_(PICKING_STATUSES))


def picking_clocks(session: Session, sla: Mapping[str, int], ids: Sequence[int]) -> list[Row[Any]]:
    """(id, version, start, sla_minutes) of a few picking orders: their clock starts at assignment."""
    stmt = _picking_clock_statement(_sla_key(sla))
    out: list[Row[Any]] = []
    for start in range(0, len(ids), 500):
        out.extend(_exec(session, stmt, {"ids": list(ids[start:start + 500])}).all())
    return out


@cache
def _picking_clock_statement(sla: tuple[tuple[str, int], ...]) -> Any:
    return select(
        O.id, O.version, func.coalesce(O.assigned_at, O.status_entered_at).label("start"),
        sla_expression(dict(sla)).label("sla_minutes"),
    ).where(O.id.in_(bindparam("ids", expanding=True)))


def picking_rows(session: Session, sla: Mapping[str, int], ids: Sequence[int]) -> Sequence[Row[Any]]:
    """Orders assigned to a store and not yet picked, by id, with their SLA."""
    if not ids:
        return []
    return _exec(session, _picking_rows_statement(_sla_key(sla)), {"ids": list(ids)}).all()


@cache
def _picking_rows_statement(sla: tuple[tuple[str, int], ...]) -> Any:
    claimer = _claimer()
    return (
        select(
            O.id, O.version, O.status, O.channel, O.order_no, O.urgent, O.store_id, S.name.label("store_name"),
            O.assigned_at, O.picking_started_at, O.status_entered_at, O.claimed_by,
            claimer.c.name.label("claimer_name"), sla_expression(dict(sla)).label("sla_minutes"),
        )
        .select_from(
            table_of(Order).outerjoin(table_of(Store), S.id == O.store_id)
            .outerjoin(claimer, claimer.c.id == O.claimed_by)
        )
        .where(O.id.in_(bindparam("ids", expanding=True)))
    )


def order_pane_rows(session: Session, sla: Mapping[str, int], ids: Sequence[int]) -> Sequence[Row[Any]]:
    """A few orders by id with every column any pane shows (queue, picking, board), whatever their
    status: what a reload after some events needs, in one primary-key lookup per order."""
    if not ids:
        return []
    return _exec(session, _order_pane_statement(_sla_key(sla)), {"ids": list(ids)}).all()


@cache
def _order_pane_statement(sla: tuple[tuple[str, int], ...]) -> Any:
    claimer = _claimer()
    return (
        select(
            O.id, O.version, O.status, O.channel, O.order_no, O.urgent, O.custom, O.payment_method,
            O.appointment_at, func.coalesce(O.unassigned_at, O.status_entered_at).label("since"), O.address,
            O.amount, O.match_reason, O.review_reason, O.suggestions, O.claimed_by,
            claimer.c.name.label("claimer_name"), O.store_id, S.name.label("store_name"), O.tier, O.courier_id,
            C.name.label("courier_name"), O.assigned_at, O.picking_started_at, O.status_entered_at, O.picked_at,
            O.dispatched_at, O.out_for_delivery_at, sla_expression(dict(sla)).label("sla_minutes"),
        )
        .select_from(
            table_of(Order).outerjoin(table_of(Store), S.id == O.store_id)
            .outerjoin(table_of(Courier), C.id == O.courier_id)
            .outerjoin(claimer, claimer.c.id == O.claimed_by)
        )
        .where(O.id.in_(bindparam("ids", expanding=True)))
    )


def board_rows(session: Session, statuses: Sequence[str], limit: int) -> Sequence[Row[Any]]:
    """Orders on the delivery escalation board: first those waiting for a person (picked, refused, not
    completed), then those on the road; the longest in their status first within each."""
    return _exec(session, _board_statement(tuple(statuses), limit)).all()


def _on_the_road() -> Any:
    """0 for an order waiting for the dispatcher, 1 for one on the road: the board window's first key,
    so that orders on the road never push one that waits for a courier out of the window."""
    return case((O.status.in_(sorted(ON_THE_ROAD)), 1), else_=0)


@cache
def _board_statement(statuses: tuple[str, ...], limit: int) -> Any:
    window = (
        select(O.id).where(O.status.in_(statuses)).order_by(_on_the_road(), O.status_entered_at, O.id)
        .limit(limit).subquery("w")
    )
    claimer = _claimer()
    return (
        select(
            O.id, O.version, O.status, O.channel, O.order_no, O.urgent, O.tier, O.store_id,
            S.name.label("store_name"), O.courier_id, C.name.label("courier_name"), O.status_entered_at,
            O.picked_at, O.dispatched_at, O.out_for_delivery_at, O.appointment_at, O.claimed_by,
            claimer.c.name.label("claimer_name"),
        )
        .select_from(
            window.join(table_of(Order), O.id == window.c.id)
            .outerjoin(table_of(Store), S.id == O.store_id)
            .outerjoin(table_of(Courier), C.id == O.courier_id)
            .outerjoin(claimer, claimer.c.id == O.claimed_by)
        )
        .order_by(_on_the_road(), O.status_entered_at, O.id)
    )


def reminder_rows(session: Session, limit: int) -> Sequence[Row[Any]]:
    return _exec(session, _reminder_statement(limit)).all()


@cache
def _reminder_statement(limit: int) -> Any:
    newest = func.coalesce(R.last_raised_at, R.raised_at)
    window = (
        select(R.id, newest.label("newest")).where(R.status.in_(["open", "acknowledged"]))
        .order_by(newest.desc(), R.id.desc()).limit(limit).subquery("w")
    )
    return (
        select(R.id, R.kind, R.severity, R.status, R.subject, R.raised_at, R.last_raised_at, R.raise_count,
               R.acknowledged_by, R.payload)
        .select_from(window.join(table_of(Reminder), R.id == window.c.id))
        .order_by(window.c.newest.desc(), R.id.desc())
    )


def anomaly_rows(session: Session, limit: int) -> Sequence[Row[Any]]:
    return _exec(session, _anomaly_statement(limit)).all()


@cache
def _anomaly_statement(limit: int) -> Any:
    newest = func.coalesce(A.last_seen, A.first_seen)
    window = (
        select(A.id, newest.label("newest")).where(A.status.in_(["open", "acknowledged", "silenced"]))
        .order_by(newest.desc(), A.id.desc()).limit(limit).subquery("w")
    )
    return (
        select(A.id, A.rule, A.severity, A.status, A.order_id, O.order_no, O.channel, A.store_id, A.first_seen,
               A.last_seen, A.count, A.owner, A.silenced_until, A.deadline, A.detail)
        .select_from(window.join(table_of(Anomaly), A.id == window.c.id)
                     .outerjoin(table_of(Order), O.id == A.order_id))
        .order_by(window.c.newest.desc(), A.id.desc())
    )


def service_request_rows(session: Session, statuses: Sequence[str], limit: int) -> Sequence[Row[Any]]:
    """Requests waiting for someone (pane 4 for customer service): newest first, with their limits."""
    return _exec(session,
        select(SR.id, SR.kind, SR.status, SR.order_id, O.order_no, SR.contact_due_at, SR.refund_due_at,
               SR.created_at)
        .select_from(table_of(ServiceRequest).join(table_of(Order), O.id == SR.order_id))
        .where(SR.status.in_(list(statuses)))
        .order_by(SR.id.desc())
        .limit(limit)
    ).all()


def oldest_unassigned_since(session: Session) -> datetime | None:
    return _exec(session,
        select(func.min(func.coalesce(O.unassigned_at, O.status_entered_at))).where(O.status == "unassigned")
    ).scalar()


def oldest_unassigned_order(session: Session) -> Row[Any] | None:
    """(id, since) of the order longest in `unassigned` (the header's backlog age)."""
    since = func.coalesce(O.unassigned_at, O.status_entered_at)
    return _exec(session,
        select(O.id, since.label("since")).where(O.status == "unassigned", since.is_not(None))
        .order_by(since, O.id).limit(1)
    ).first()


def out_for_delivery_times(session: Session) -> list[datetime]:
    rows = _exec(session, select(O.out_for_delivery_at).where(O.status == "out_for_delivery")).scalars()
    return [r for r in rows if r is not None]


def appointment_times(session: Session, statuses: Sequence[str], start: datetime, end: datetime) -> list[datetime]:
    rows = _exec(session,
        select(O.appointment_at).where(
            O.status.in_(list(statuses)), O.appointment_at.is_not(None),
            and_(O.appointment_at >= start, O.appointment_at < end),
        )
    ).scalars()
    return [r for r in rows if r is not None]


def courier_rows(session: Session) -> Sequence[Row[Any]]:
    """Every active courier with how many orders it carries now."""
    busy = (
        select(func.count()).where(O.courier_id == C.id, O.status.in_(sorted(ON_THE_ROAD))).scalar_subquery()
    )
    return _exec(session,
        select(C.id, C.name, C.tier, C.store_id, S.name.label("store_name"), C.capacity, C.on_duty,
               busy.label("busy"))
        .select_from(table_of(Courier).outerjoin(table_of(Store), S.id == C.store_id))
        .where(C.active.is_(True))
        .order_by(C.tier, C.id)
    ).all()


def open_reminder_count(session: Session) -> int:
    return _exec(session, select(func.count()).where(R.status == "open")).scalar() or 0


def open_critical_anomaly_count(session: Session) -> int:
    return _exec(session,
        select(func.count()).where(A.status == "open", A.severity == "critical")
    ).scalar() or 0


def meta_value(session: Session, key: str) -> str | None:
    return _exec(session, select(M.value).where(M.key == key)).scalar()


def store_names(session: Session) -> dict[str, str]:
    return {sid: name for sid, name in _exec(session, select(S.id, S.name).where(S.active.is_(True))).all()}


def store_keywords(session: Session) -> Sequence[Row[Any]]:
    from ops_console.storage.models import StoreKeyword

    K = table_of(StoreKeyword).c
    return _exec(session, select(K.keyword, K.store_id)).all()


def recent_order_numbers(session: Session, statuses: Sequence[str], limit: int) -> list[str]:
    rows = _exec(session,
        select(O.order_no).where(O.status.in_(list(statuses))).order_by(O.id.desc()).limit(limit)
    ).scalars()
    return list(rows)


def find_open_orders(session: Session, text: str, limit: int = 5) -> Sequence[Row[Any]]:
    """Orders whose number (or `channel:number`) is `text`."""
    if ":" in text:
        channel, _, number = text.partition(":")
        cond = and_(O.channel == channel, O.order_no == number)
    else:
        cond = or_(O.order_no == text)
    return _exec(session,
        select(O.id, O.version, O.status, O.channel, O.order_no).where(cond).order_by(O.id.desc()).limit(limit)
    ).all()


def order_states(session: Session, ids: Sequence[int]) -> Sequence[Row[Any]]:
    """The current status and version of a few orders (before a tagged action)."""
    if not ids:
        return []
    return _exec(session,
        select(O.id, O.version, O.status, O.channel, O.order_no, O.claimed_by).where(O.id.in_(list(ids)))
    ).all()


def operator_name(session: Session, op_id: str) -> str | None:
    return _exec(session, select(OP.name).where(OP.id == op_id)).scalar()
