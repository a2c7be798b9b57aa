"""Read queries for the console's live panes and header: small, indexed, columns not ORM objects.

Every function takes an open session and returns plain rows (SQLAlchemy `Row` tuples with named
fields); services/panes.py turns them into frozen snapshot dataclasses. Status filters use the
`(status, status_entered_at)` index; nothing here scans closed orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
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



def max_event_id(session: Session) -> int:
    """The one cheap query a console runs every second."""
    return session.execute(select(func.max(E.id))).scalar() or 0


def events_since(session: Session, mark: int, limit: int) -> Sequence[Row[Any]]:
    """What moved since `mark` (a range of the primary key): which orders, which statuses, what else."""
    return session.execute(
        select(E.id, E.subject_type, E.subject_id, E.order_id, E.action, E.from_status, E.to_status)
        .where(E.id > mark)
        .order_by(E.id)
        .limit(limit)
    ).all()


def _claimer() -> Any:
    return aliased(table_of(Operator), name="claimer")


def queue_rows(session: Session, status: str, limit: int) -> Sequence[Row[Any]]:
    """Unassigned (or manual-review) orders, urgent first, then the longest waiting."""
    claimer = _claimer()
    since = func.coalesce(O.unassigned_at, O.status_entered_at)
    return session.execute(
        select(
            O.id, O.version, O.status, O.channel, O.order_no, O.urgent, O.custom, O.payment_method,
            O.appointment_at, since.label("since"), O.address, O.amount, O.match_reason, O.review_reason,
            O.suggestions, O.claimed_by, claimer.c.name.label("claimer_name"),
        )
        .select_from(table_of(Order).outerjoin(claimer, claimer.c.id == O.claimed_by))
        .where(O.status == status)
        .order_by(O.urgent.desc(), since, O.id)
        .limit(limit)
    ).all()


def open_status_counts(session: Session, statuses: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(O.status, func.count()).where(O.status.in_(list(statuses))).group_by(O.status)
    ).all()
    return {status: n for status, n in rows}


def sla_expression(sla: Mapping[str, int]) -> Any:
    """An order's picking SLA in minutes: the strictest of its lines' categories."""
    default = int(sla["default"])
    per_line = case({k: int(v) for k, v in sla.items() if k != "default"}, value=L.category, else_=default) \
        if len(sla) > 1 else literal(default)
    return func.coalesce(
        select(func.min(per_line)).where(L.order_id == O.id).scalar_subquery(), default
    )


def picking_starts(session: Session) -> Sequence[Row[Any]]:
    """(id, clock start) of every order assigned and not yet picked."""
    return session.execute(
        select(O.id, func.coalesce(O.assigned_at, O.status_entered_at).label("assigned_at"))
        .where(O.status.in_(["assigned", "picking"]))
    ).all()


def order_slas(session: Session, sla: Mapping[str, int], ids: Sequence[int]) -> dict[int, int]:
    """The picking SLA (strictest line) of a few orders, in minutes."""
    default = int(sla["default"])
    per_line = case({k: int(v) for k, v in sla.items() if k != "default"}, value=L.category, else_=default) \
        if len(sla) > 1 else literal(default)
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        rows = session.execute(
            select(L.order_id, func.min(per_line)).where(L.order_id.in_(chunk)).group_by(L.order_id)
        ).all()
        out.update({oid: int(m) for oid, m in rows})
        out.update({oid: default for oid in chunk if oid not in out})
    return out


def picking_rows(session: Session, sla: Mapping[str, int], ids: Sequence[int] | None = None) -> Sequence[Row[Any]]:
    """Orders assigned to a store and not yet picked, with their SLA (only `ids` when given)."""
    claimer = _claimer()
    cond = O.id.in_(list(ids)) if ids is not None else O.status.in_(["assigned", "picking"])
    return session.execute(
        select(
            O.id, O.version, O.status, O.channel, O.order_no, O.urgent, O.store_id, S.name.label("store_name"),
            O.assigned_at, O.picking_started_at, O.status_entered_at, O.claimed_by,
            claimer.c.name.label("claimer_name"), sla_expression(sla).label("sla_minutes"),
        )
        .select_from(
            table_of(Order).outerjoin(table_of(Store), S.id == O.store_id)
            .outerjoin(claimer, claimer.c.id == O.claimed_by)
        )
        .where(cond)
    ).all()


def order_pane_rows(session: Session, sla: Mapping[str, int], ids: Sequence[int]) -> Sequence[Row[Any]]:
    """A few orders by id with every column any pane shows (queue, picking, board), whatever their
    status: what a reload after some events needs, in one primary-key lookup per order."""
    if not ids:
        return []
    claimer = _claimer()
    return session.execute(
        select(
            O.id, O.version, O.status, O.channel, O.order_no, O.urgent, O.custom, O.payment_method,
            O.appointment_at, func.coalesce(O.unassigned_at, O.status_entered_at).label("since"), O.address,
            O.amount, O.match_reason, O.review_reason, O.suggestions, O.claimed_by,
            claimer.c.name.label("claimer_name"), O.store_id, S.name.label("store_name"), O.tier, O.courier_id,
            C.name.label("courier_name"), O.assigned_at, O.picking_started_at, O.status_entered_at, O.picked_at,
            O.dispatched_at, O.out_for_delivery_at, sla_expression(sla).label("sla_minutes"),
        )
        .select_from(
            table_of(Order).outerjoin(table_of(Store), S.id == O.store_id)
            .outerjoin(table_of(Courier), C.id == O.courier_id)
            .outerjoin(claimer, claimer.c.id == O.claimed_by)
        )
        .where(O.id.in_(list(ids)))
    ).all()


def board_rows(session: Session, statuses: Sequence[str], limit: int) -> Sequence[Row[Any]]:
    """Orders on the delivery escalation board, the longest waiting first."""
    claimer = _claimer()
    return session.execute(
        select(
            O.id, O.version, O.status, O.channel, O.order_no, O.urgent, O.tier, O.store_id,
            S.name.label("store_name"), O.courier_id, C.name.label("courier_name"), O.status_entered_at,
            O.picked_at, O.dispatched_at, O.out_for_delivery_at, O.appointment_at, O.claimed_by,
            claimer.c.name.label("claimer_name"),
        )
        .select_from(
            table_of(Order).outerjoin(table_of(Store), S.id == O.store_id)
            .outerjoin(table_of(Courier), C.id == O.courier_id)
            .outerjoin(claimer, claimer.c.id == O.claimed_by)
        )
        .where(O.status.in_(list(statuses)))
        .order_by(O.status_entered_at, O.id)
        .limit(limit)
    ).all()


def reminder_rows(session: Session, limit: int) -> Sequence[Row[Any]]:
    return session.execute(
        select(R.id, R.kind, R.severity, R.status, R.subject, R.raised_at, R.last_raised_at, R.raise_count,
               R.acknowledged_by, R.payload)
        .where(R.status.in_(["open", "acknowledged"]))
        .order_by(func.coalesce(R.last_raised_at, R.raised_at).desc(), R.id.desc())
        .limit(limit)
    ).all()


def anomaly_rows(session: Session, limit: int) -> Sequence[Row[Any]]:
    return session.execute(
        select(A.id, A.rule, A.severity, A.status, A.order_id, O.order_no, O.channel, A.store_id, A.first_seen,
               A.last_seen, A.count, A.owner, A.silenced_until, A.deadline, A.detail)
        .select_from(table_of(Anomaly).outerjoin(table_of(Order), O.id == A.order_id))
        .where(A.status.in_(["open", "acknowledged", "silenced"]))
        .order_by(func.coalesce(A.last_seen, A.first_seen).desc(), A.id.desc())
        .limit(limit)
    ).all()


def service_request_rows(session: Session, statuses: Sequence[str], limit: int) -> Sequence[Row[Any]]:
    """Requests waiting for someone (pane 4 for customer service): newest first, with their limits."""
    return session.execute(
        select(SR.id, SR.kind, SR.status, SR.order_id, O.order_no, SR.contact_due_at, SR.refund_due_at,
               SR.created_at)
        .select_from(table_of(ServiceRequest).join(table_of(Order), O.id == SR.order_id))
        .where(SR.status.in_(list(statuses)))
        .order_by(SR.id.desc())
        .limit(limit)
    ).all()


def oldest_unassigned_since(session: Session) -> datetime | None:
    return session.execute(
        select(func.min(func.coalesce(O.unassigned_at, O.status_entered_at))).where(O.status == "unassigned")
    ).scalar()


def oldest_unassigned_order(session: Session) -> Row[Any] | None:
    """(id, since) of the order longest in `unassigned` (the header's backlog age)."""
    since = func.coalesce(O.unassigned_at, O.status_entered_at)
    return session.execute(
        select(O.id, since.label("since")).where(O.status == "unassigned", since.is_not(None))
        .order_by(since, O.id).limit(1)
    ).first()


def out_for_delivery_times(session: Session) -> list[datetime]:
    rows = session.execute(select(O.out_for_delivery_at).where(O.status == "out_for_delivery")).scalars()
    return [r for r in rows if r is not None]


def appointment_times(session: Session, statuses: Sequence[str], start: datetime, end: datetime) -> list[datetime]:
    rows = session.execute(
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
    return session.execute(
        select(C.id, C.name, C.tier, C.store_id, S.name.label("store_name"), C.capacity, C.on_duty,
               busy.label("busy"))
        .select_from(table_of(Courier).outerjoin(table_of(Store), S.id == C.store_id))
        .where(C.active.is_(True))
        .order_by(C.tier, C.id)
    ).all()


def open_reminder_count(session: Session) -> int:
    return session.execute(select(func.count()).where(R.status == "open")).scalar() or 0


def open_critical_anomaly_count(session: Session) -> int:
    return session.execute(
        select(func.count()).where(A.status == "open", A.severity == "critical")
    ).scalar() or 0


def meta_value(session: Session, key: str) -> str | None:
    return session.execute(select(M.value).where(M.key == key)).scalar()


def store_names(session: Session) -> dict[str, str]:
    return {sid: name for sid, name in session.execute(select(S.id, S.name).where(S.active.is_(True))).all()}


def store_keywords(session: Session) -> Sequence[Row[Any]]:
    from ops_console.storage.models import StoreKeyword

    K = table_of(StoreKeyword).c
    return session.execute(select(K.keyword, K.store_id)).all()


def recent_order_numbers(session: Session, statuses: Sequence[str], limit: int) -> list[str]:
    rows = session.execute(
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
    return session.execute(
        select(O.id, O.version, O.status, O.channel, O.order_no).where(cond).order_by(O.id.desc()).limit(limit)
    ).all()


def order_states(session: Session, ids: Sequence[int]) -> Sequence[Row[Any]]:
    """The current status and version of a few orders (before a tagged action)."""
    if not ids:
        return []
    return session.execute(
        select(O.id, O.version, O.status, O.channel, O.order_no, O.claimed_by).where(O.id.in_(list(ids)))
    ).all()


def operator_name(session: Session, op_id: str) -> str | None:
    return session.execute(select(OP.name).where(OP.id == op_id)).scalar()
