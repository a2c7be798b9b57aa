"""The courier cash ledger: what each courier must hand in for a business day, exact to the fen.

One `CashEntry` per movement, by kind: `float` (change issued in the morning), `cod_collected`
(cash on delivery), `cash_refund` (a refund paid in cash to a customer), `compensation` (paid by
the emergency team for a loss it caused), `handed_in` (cash returned to the office). The expected
cash of a courier is float + COD − refunds − compensation; `expected_cash(session, settings, day)`
is the one computation (closeout reads it too).

Every courier who worked that day (a cash movement, or a delivery dispatched to it) carries its
standard float — `Courier.cash_float` when set, else `cash.float_default` — unless floats were
booked for it that day (`cash float`), which then count instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from ops_console.config import Settings
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.types import TIER_ORDER, PaymentMethod, Role, SubjectType, Tier
from ops_console.i18n import Ref
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import NotFound, Refused
from ops_console.services.events import record
from ops_console.services.lookup import find_order
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import CashEntry, Courier, Delivery, Order

FLOAT = "float"
COD = "cod_collected"
REFUND = "cash_refund"
COMPENSATION = "compensation"
HANDED_IN = "handed_in"
KINDS = (FLOAT, COD, REFUND, COMPENSATION, HANDED_IN)

# Event actions of the ledger (subject: the courier); COD is in the `deliver` event, cash refunds in
# the service request's `refund` event.
EV_FLOAT = "cash_float"
EV_COMPENSATION = "cash_compensation"
EV_HANDED_IN = "cash_handed_in"

CASH_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM})


@dataclass(frozen=True)
class CashLine:
    """One courier's day; money in fen."""

    courier_id: str
    name: str
    tier: str
    float: int
    cod_collected: int
    refunds_paid: int
    compensation: int
    handed_in: int

    @property
    def expected(self) -> int:
        return self.float + self.cod_collected - self.refunds_paid - self.compensation

    @property
    def outstanding(self) -> int:
        """What is still to be handed in."""
        return self.expected - self.handed_in

    def to_json(self) -> dict[str, Any]:
        return {
            "courier_id": self.courier_id,
            "name": self.name,
            "tier": self.tier,
            "float": fen_to_yuan(self.float),
            "cod_collected": fen_to_yuan(self.cod_collected),
            "refunds_paid": fen_to_yuan(self.refunds_paid),
            "compensation": fen_to_yuan(self.compensation),
            "expected": fen_to_yuan(self.expected),
            "handed_in": fen_to_yuan(self.handed_in),
            "outstanding": fen_to_yuan(self.outstanding),
        }


def business_date(settings: Settings, when: datetime) -> str:
    return when.astimezone(settings.tz).date().isoformat()


def standard_float(settings: Settings, courier: Courier) -> int:
    return courier.cash_float if courier.cash_float is not None else settings.fen(settings.cash.float_default)


def book_cod(session: Session, ctx: AppContext, order: Order, delivery: Delivery, actor: Actor, now: datetime,
             cash: int | None) -> None:
    """Cash on delivery: the figure the courier reported, else the till amount rung up at hand-over
    (weighed produce changes the amount), else the order amount."""
    if order.payment_method != PaymentMethod.COD or not delivery.courier_id:
        return
    if cash is not None:
        amount = cash
    else:
        amount = delivery.till_amount if delivery.till_amount is not None else order.amount
    delivery.cod_collected = amount
    session.add(CashEntry(courier_id=delivery.courier_id, business_date=business_date(ctx.settings, now),
                          kind=COD, amount=amount, order_id=order.id, actor=actor.id, at=now))


def book_refund(session: Session, ctx: AppContext, courier: Courier, amount: int, order_id: int, actor: Actor,
                now: datetime) -> None:
    """A refund paid in cash by the courier, out of what it carries."""
    day = business_date(ctx.settings, now)
    session.add(CashEntry(courier_id=courier.id, business_date=day, kind=REFUND, amount=amount, order_id=order_id,
                          actor=actor.id, at=now))


def _courier(session: Session, courier_id: str) -> Courier:
    courier = session.get(Courier, courier_id)
    if courier is None or not courier.active:
        raise NotFound("couriers.unknown", id=courier_id)
    return courier


def _check_role(actor: Actor) -> None:
    if actor.role not in CASH_ROLES:
        raise Refused("cash.role_refused", role=Ref(f"role.{actor.role}"))


def _positive(amount: int) -> None:
    if amount <= 0:
        raise Refused("cash.amount_positive", amount=fen_to_yuan(amount))


def issue_float(ctx: AppContext, courier_id: str, actor: Actor, amount: int | None = None) -> int:
    """Issue change to a courier today: booked floats replace the standard float for the day, and a
    second issue tops the first up."""
    _check_role(actor)
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        courier = _courier(s, courier_id)
        value = standard_float(ctx.settings, courier) if amount is None else amount
        _positive(value)
        day = business_date(ctx.settings, now)
        s.add(CashEntry(courier_id=courier.id, business_date=day, kind=FLOAT, amount=value, actor=actor.id, at=now))
        record(s, now, actor, SubjectType.COURIER, courier.id, EV_FLOAT,
               detail={"amount": fen_to_yuan(value), "business_date": day})
    return value


def record_compensation(ctx: AppContext, courier_id: str, amount: int, text: str, actor: Actor,
                        order_ref: str | None = None) -> None:
    """The emergency team compensates a loss it caused (seed 000 ⑤): paid out of its cash."""
    _check_role(actor)
    _positive(amount)
    if not text.strip():
        raise Refused("cash.compensation_text")
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        courier = _courier(s, courier_id)
        if courier.tier != Tier.EMERGENCY:
            raise Refused("cash.compensation_emergency_only", courier=f"{courier.id} {courier.name}")
        order = find_order(s, order_ref) if order_ref else None
        day = business_date(ctx.settings, now)
        s.add(CashEntry(courier_id=courier.id, business_date=day, kind=COMPENSATION, amount=amount,
                        order_id=order.id if order else None, actor=actor.id, at=now))
        record(s, now, actor, SubjectType.COURIER, courier.id, EV_COMPENSATION, order_id=order.id if order else None,
               detail={"amount": fen_to_yuan(amount), "text": text.strip(), "business_date": day,
                       "order_no": order.order_no if order else None})


def hand_in(ctx: AppContext, courier_id: str, amount: int, actor: Actor) -> CashLine:
    """Cash a courier hands in at the office; returns the courier's day after it."""
    _check_role(actor)
    _positive(amount)
    now = ctx.clock.now()
    day = business_date(ctx.settings, now)
    with write_session(ctx.engine) as s:
        courier = _courier(s, courier_id)
        s.add(CashEntry(courier_id=courier.id, business_date=day, kind=HANDED_IN, amount=amount, actor=actor.id,
                        at=now))
        record(s, now, actor, SubjectType.COURIER, courier.id, EV_HANDED_IN,
               detail={"amount": fen_to_yuan(amount), "business_date": day})
    return next(line for line in cash_day(ctx, day) if line.courier_id == courier_id)


def expected_cash(session: Session, settings: Settings, business_day: str | date) -> list[CashLine]:
    """Each courier who worked on the business day, with what it must hand in, by tier (the emergency
    team last, each courier its own line) then id."""
    day = business_day.isoformat() if isinstance(business_day, date) else business_day
    sums: dict[str, dict[str, int]] = {}
    for courier_id, kind, amount in session.exec(
        select(CashEntry.courier_id, CashEntry.kind, CashEntry.amount).where(CashEntry.business_date == day)
    ):
        sums.setdefault(courier_id, dict.fromkeys(KINDS, 0))
        if kind in KINDS:
            sums[courier_id][kind] += amount
    start = datetime.combine(date.fromisoformat(day), time(0), tzinfo=settings.tz)
    dispatched = session.exec(
        select(Delivery.courier_id).where(col(Delivery.dispatched_at) >= start,
                                          col(Delivery.dispatched_at) < start + timedelta(days=1),
                                          col(Delivery.courier_id).is_not(None)).distinct()
    )
    worked = set(sums) | {cid for cid in dispatched if cid}
    if not worked:
        return []
    couriers = {c.id: c for c in session.exec(select(Courier).where(col(Courier.id).in_(list(worked))))}
    floats = {cid for cid, k in sums.items() if k[FLOAT]}
    tier_rank = {t.value: i for i, t in enumerate(TIER_ORDER)}
    lines = []
    for cid in worked:
        k = sums.get(cid) or dict.fromkeys(KINDS, 0)
        c = couriers.get(cid)
        float_ = k[FLOAT] if cid in floats else (standard_float(settings, c) if c else 0)
        lines.append(CashLine(cid, c.name if c else cid, c.tier if c else "", float_, k[COD], k[REFUND],
                              k[COMPENSATION], k[HANDED_IN]))
    lines.sort(key=lambda x: (tier_rank.get(x.tier, 99), x.courier_id))
    return lines


def cash_day(ctx: AppContext, business_day: str | date | None = None) -> list[CashLine]:
    """`cash show`: the ledger of a business day (today by default)."""
    day = business_day or business_date(ctx.settings, ctx.clock.now())
    with read_session(ctx.engine) as s:
        return expected_cash(s, ctx.settings, day)
