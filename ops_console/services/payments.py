"""Payment notifications and third-party tracking updates, as parsed records.

Each record is kept (`payment` / `tracking_update`); a record for an order already received is
applied at once (the payment rules run), one for an order not received yet waits and is applied
when the order arrives (`apply_waiting`, called by the anomaly evaluation of every new order), and
after `ORPHAN_AFTER` it is listed by `orphaned()` — never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, col, select

from ops_console.domain.anomaly import Finding
from ops_console.domain.anomaly.payments import (
    PaymentFacts,
    payment_duplicate,
    payment_failed,
    payment_mismatch,
)
from ops_console.domain.types import SubjectType
from ops_console.services import anomalies
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.events import record
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Delivery, Order, Payment, TrackingUpdate

ORPHAN_AFTER = timedelta(hours=1)
PAYMENT_STATUSES = ("paid", "pending", "failed", "refunded")


@dataclass(frozen=True)
class PaymentRecord:
    channel: str
    order_no: str
    payment_ref: str
    amount: int  # fen
    status: str  # paid / pending / failed / refunded
    at: datetime


@dataclass(frozen=True)
class TrackingRecord:
    channel: str
    order_no: str
    status: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class Applied:
    """What became of one record: `applied` (to its order), `waiting` (no order yet), `same`
    (a notice already kept), `updated` (a new status of a known payment), `clash` (a reference seen
    with another amount: kept in the alert and its event)."""

    outcome: str
    order_no: str
    findings: tuple[str, ...] = ()


def _order(s: Session, channel: str, order_no: str) -> Order | None:
    return s.exec(select(Order).where(Order.channel == channel, Order.order_no == order_no)).first()


def record_payments(ctx: AppContext, records: Iterable[PaymentRecord]) -> list[Applied]:
    with write_session(ctx.engine) as s:
        return [record_payment(s, ctx, r) for r in records]


def record_payment(s: Session, ctx: AppContext, rec: PaymentRecord) -> Applied:
    """One payment notice in the caller's transaction (the seam for intake's `kind = payment`)."""
    now = ctx.clock.now()
    status = rec.status if rec.status in PAYMENT_STATUSES else "pending"
    known = s.exec(select(Payment).where(Payment.payment_ref == rec.payment_ref)).first()
    order = _order(s, rec.channel, rec.order_no)
    if known is not None:
        if known.amount == rec.amount and known.status == status:
            return Applied("same", rec.order_no)
        if known.amount != rec.amount:
            # One reference, two amounts: payment_duplicate. The row keeps the first notice; the
            # second lives in the alert's event, so nothing is lost.
            clash = PaymentFacts(rec.payment_ref, rec.amount, status)
            found = _evaluate(s, ctx, order, extra=[clash]) if order is not None else []
            record(s, now, SYSTEM, SubjectType.ORDER if order else SubjectType.INTAKE,
                   order.id if order and order.id else rec.order_no, "payment_clash",
                   order_id=order.id if order else None,
                   detail={"payment_ref": rec.payment_ref, "amount": rec.amount, "status": status,
                           "first_amount": known.amount, "at": rec.at.isoformat()})
            return Applied("clash", rec.order_no, tuple(f.rule.value for f in found))
        known.status, known.at = status, rec.at
        s.add(known)
        s.flush()
        found = _evaluate(s, ctx, order, new=PaymentFacts(rec.payment_ref, rec.amount, status)) if order else []
        return Applied("updated", rec.order_no, tuple(f.rule.value for f in found))
    row = Payment(channel=rec.channel, order_no=rec.order_no, payment_ref=rec.payment_ref, amount=rec.amount,
                  status=status, at=rec.at, received_at=now, applied_at=now if order is not None else None)
    s.add(row)
    s.flush()
    if order is None:
        return Applied("waiting", rec.order_no)
    found = _evaluate(s, ctx, order, new=PaymentFacts(rec.payment_ref, rec.amount, status))
    return Applied("applied", rec.order_no, tuple(f.rule.value for f in found))


def amount_due(s: Session, order: Order) -> int:
    """What the customer owes: the till amount once rung up, else what the platform said is paid
    (a platform discount), else the order's total."""
    till = s.exec(select(Delivery.till_amount).where(Delivery.order_id == order.id,
                                                     col(Delivery.till_amount).is_not(None))
                  .order_by(col(Delivery.attempt).desc())).first()
    if till is not None:
        return int(till)
    return order.paid_amount if order.paid_amount > 0 else order.amount


def _evaluate(s: Session, ctx: AppContext, order: Order, *, new: PaymentFacts | None = None,
              extra: Sequence[PaymentFacts] = ()) -> list[Finding]:
    payments = [PaymentFacts(p.payment_ref, p.amount, p.status) for p in
                s.exec(select(Payment).where(Payment.channel == order.channel, Payment.order_no == order.order_no)
                       .order_by(col(Payment.id)))]
    payments += list(extra)
    oid, no = order.id or 0, order.order_no
    found = [f for f in (
        payment_failed(oid, no, new) if new is not None else None,
        payment_duplicate(oid, no, payments),
        payment_mismatch(oid, no, payments, amount_due(s, order)),
    ) if f is not None]
    for f in found:
        anomalies.raise_finding(s, ctx, f, order=order)
    return found


def record_tracking(ctx: AppContext, records: Iterable[TrackingRecord]) -> list[Applied]:
    with write_session(ctx.engine) as s:
        return [record_tracking_update(s, ctx, r) for r in records]


def record_tracking_update(s: Session, ctx: AppContext, rec: TrackingRecord) -> Applied:
    """One tracking update in the caller's transaction (the seam for intake's `kind = tracking`); the
    scheduler's `tracking_stale` check reads the latest one per order."""
    now = ctx.clock.now()
    same = s.exec(select(TrackingUpdate.id).where(TrackingUpdate.channel == rec.channel,
                                                  TrackingUpdate.order_no == rec.order_no,
                                                  TrackingUpdate.status == rec.status,
                                                  TrackingUpdate.at == rec.at)).first()
    if same is not None:
        return Applied("same", rec.order_no)
    order = _order(s, rec.channel, rec.order_no)
    s.add(TrackingUpdate(channel=rec.channel, order_no=rec.order_no, status=rec.status, at=rec.at,
                         note=rec.note[:500], received_at=now, applied_at=now if order is not None else None))
    s.flush()
    return Applied("applied" if order is not None else "waiting", rec.order_no)


def apply_waiting(s: Session, ctx: AppContext, order: Order) -> int:
    """Apply the notices that arrived before their order (called when the order is received)."""
    return apply_waiting_many(s, ctx, [(order.id or 0, order.channel, order.order_no)])


def apply_waiting_many(s: Session, ctx: AppContext, orders: Sequence[tuple[int, str, str]]) -> int:
    """`apply_waiting` for new orders given as (id, channel, order_no): two queries for the batch
    (the notices not applied yet are few: only those that came before their order)."""
    if not orders:
        return 0
    now = ctx.clock.now()
    wanted = {(channel, no): oid for oid, channel, no in orders}
    numbers = list({no for _, _, no in orders})
    applied = 0
    payments_by_order: dict[int, list[Payment]] = {}
    notices: tuple[type[Payment] | type[TrackingUpdate], ...] = (Payment, TrackingUpdate)
    for model in notices:
        q = select(model).where(col(model.applied_at).is_(None))
        if len(numbers) <= 500:
            q = q.where(col(model.order_no).in_(numbers))
        for row in s.exec(q.order_by(col(model.id))):
            if not isinstance(row, (Payment, TrackingUpdate)):  # always one: narrows select(model) for mypy
                continue
            oid = wanted.get((row.channel, row.order_no))
            if oid is None:
                continue
            row.applied_at = now
            s.add(row)
            applied += 1
            if isinstance(row, Payment):
                payments_by_order.setdefault(oid, []).append(row)
    if applied:
        s.flush()
    for oid, rows in payments_by_order.items():
        order = s.get(Order, oid)
        if order is not None:
            for p in rows:
                _evaluate(s, ctx, order, new=PaymentFacts(p.payment_ref, p.amount, p.status))
    return applied


def orphaned(ctx: AppContext) -> list[dict[str, Any]]:
    """Notices whose order has not arrived an hour after they did (oldest first)."""
    cutoff = ctx.clock.now() - ORPHAN_AFTER
    out: list[dict[str, Any]] = []
    with read_session(ctx.engine) as s:
        kinds: tuple[tuple[type[Payment] | type[TrackingUpdate], str], ...] = (
            (Payment, "payment"), (TrackingUpdate, "tracking"))
        for model, kind in kinds:
            no_order = ~exists().where(col(Order.channel) == model.channel, col(Order.order_no) == model.order_no)
            for row in s.exec(select(model).where(col(model.applied_at).is_(None),
                                                  col(model.received_at) <= cutoff, no_order)
                              .order_by(col(model.received_at))):
                if not isinstance(row, (Payment, TrackingUpdate)):  # always one: narrows select(model) for mypy
                    continue
                item = {"kind": kind, "channel": row.channel, "order_no": row.order_no, "status": row.status,
                        "at": row.at.isoformat() if row.at else None,
                        "received_at": row.received_at.isoformat() if row.received_at else None}
                if isinstance(row, Payment):
                    item.update(payment_ref=row.payment_ref, amount=f"{row.amount / 100:.2f}")
                out.append(item)
    return out
