"""`demo init`: fill an EMPTY database with the demo city and a morning of orders.

The district (stores and keywords) comes from `ops_console.demo.district`, the goods, couriers'
names and operators from `ops_console.demo.catalog`. The morning is played by the simulator
itself on a ManualClock set back `history_hours`: every order is received, reviewed, assigned,
picked, dispatched, delivered (or refused, failed, held, left in the queue) through the lifecycle
service, so each event carries the time it happened. A handful of showcase orders are placed at
fixed times so that every stage is on the board when the morning ends: some in manual review,
a refusal, a failed delivery, a held appointment, unassigned orders of several ages.

Master data is written in one transaction together with the `demo_city` marker; the morning
follows order by order. A database that holds any store, courier, SKU, operator or order is
left alone.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ops_console.clock import ManualClock
from ops_console.demo import district
from ops_console.demo.catalog import OPERATORS, THIRD_PARTY, DemoOperator, demo_skus, mobile, person_name
from ops_console.domain.types import Action, CallOutcome, PaymentMethod, Status, SubjectType, Tier
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.demo_sim import DEMO_MARKER, SimSettings, Simulator, at_clock
from ops_console.services.events import record
from ops_console.services.operators import hash_pin
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Courier, Event, Meta, Operator, Order, Sku, Store, StoreKeyword

DEMO_SEED = 20261124
HISTORY_HOURS = 3.0
HISTORY_RATE = 1.2  # orders per minute in the morning
HISTORY_STEP = timedelta(seconds=30)
# Two company couriers per store, one carrying less: a busy store fills them, and the proposal moves
# the next orders up the chain (third party, store staff, emergency) with `courier_at_capacity`.
COMPANY_CAPACITY = (3, 2)
EMERGENCY_TEAM = 4


@dataclass(frozen=True)
class InitResult:
    created: bool
    state: str  # "created", "not_empty", "interrupted" (an earlier init stopped half-way)
    operators: tuple[DemoOperator, ...] = OPERATORS
    stores: int = 0
    keywords: int = 0
    couriers: dict[str, int] = field(default_factory=dict)
    skus: int = 0
    orders: dict[str, int] = field(default_factory=dict)
    events: int = 0


@dataclass(frozen=True)
class _Showcase:
    """An order placed at a fixed time of the morning, whose field life is fixed too."""

    minutes_before_end: float
    case: str | None = None  # the district's address case (typo, outside, ...); None: a random address
    review_fail: str | None = None
    anomaly: str | None = None
    payment: PaymentMethod | None = None
    leave: frozenset[Status] = frozenset()  # where the colleague leaves it for the dispatcher
    plan: tuple[tuple[str, object], ...] = ()


_SHOWCASE: tuple[_Showcase, ...] = (
    # After the door: a COD customer returns goods (refunded in cash by the courier who collected it),
    # a customer refuses wrong items and gets an exchange (a replacement order).
    _Showcase(172, payment=PaymentMethod.COD, plan=(("aftercare", "return"), ("aftercare_after", 3.0))),
    _Showcase(165, plan=(("outcome", Action.REFUSE), ("reason", "wrong_items"), ("after_refusal", "service"))),
    _Showcase(150, leave=frozenset({Status.REFUSED}), plan=(("outcome", Action.REFUSE), ("reason", "quality"))),
    _Showcase(125, leave=frozenset({Status.NOT_COMPLETED}),
              plan=(("outcome", Action.FAIL), ("reason", "customer_absent"))),
    _Showcase(110, plan=(("call", CallOutcome.APPOINTMENT), ("appointment_minutes", 150))),
    _Showcase(75, review_fail="price", leave=frozenset({Status.MANUAL_REVIEW})),
    _Showcase(60, anomaly="amount"),
    _Showcase(55, plan=(("aftercare", "exchange"), ("aftercare_after", 2.0))),  # still open when the morning ends
    _Showcase(48, anomaly="step"),
    _Showcase(40, case="typo", leave=frozenset({Status.UNASSIGNED})),
    _Showcase(33, anomaly="surge"),
    _Showcase(25, review_fail="payment", leave=frozenset({Status.MANUAL_REVIEW})),
    _Showcase(22, case="traditional"),
    _Showcase(16, case="outside", leave=frozenset({Status.UNASSIGNED})),
    _Showcase(12, leave=frozenset({Status.PICKED}), plan=(("busy", True),)),
    _Showcase(9, plan=(("pick_start", 0.5), ("pick_minutes", 30.0))),  # a store slow to pick
    _Showcase(7, case="typo", leave=frozenset({Status.UNASSIGNED})),
    _Showcase(3, case="ambiguous", leave=frozenset({Status.UNASSIGNED})),
)
# A showcase order's field life unless its entry says otherwise: no surprises, and if the matcher
# leaves it in the queue the colleague assigns it at once (`leave` keeps the ones meant to wait).
_SHOWCASE_PLAN: dict[str, Any] = {
    "busy": False, "cannot_supply": False, "shortage": False, "call": CallOutcome.NOW, "outcome": Action.DELIVER,
    "relief_after": 0.5, "aftercare": None, "after_refusal": "cancel", "take_proposal": True,
}


def is_empty(session: Session) -> bool:
    for model in (Store, Courier, Sku, Operator, Order):
        if session.exec(select(func.count()).select_from(model)).one():
            return False
    return True


def init_demo(
    ctx: AppContext,
    *,
    seed: int = DEMO_SEED,
    history_hours: float = HISTORY_HOURS,
    rate_per_minute: float = HISTORY_RATE,
) -> InitResult:
    """Fill an empty database with the demo city and its morning; anything else is left as it is."""
    end = ctx.clock.now()
    start = end - timedelta(hours=history_hours)
    rng = random.Random(seed)
    with write_session(ctx.engine) as s:
        if not is_empty(s):
            marker = s.get(Meta, DEMO_MARKER)
            return InitResult(False, "interrupted" if marker is not None and marker.value == "filling" else "not_empty")
        s.add(Meta(key=DEMO_MARKER, value="filling", updated_at=end))
        _master_data(s, start, rng)
    _morning(ctx, start, end, rng, rate_per_minute)
    with write_session(ctx.engine) as s:
        marker = s.get(Meta, DEMO_MARKER)
        assert marker is not None
        marker.value = f"ready seed={seed}"
        marker.updated_at = end
        s.add(marker)
    return _result(ctx)


def _master_data(s: Session, at: datetime, rng: random.Random) -> None:
    def log(subject: SubjectType, subject_id: str, action: str, **detail: object) -> None:
        record(s, at, SYSTEM, subject, subject_id, action, detail={"source": "demo init", **detail})

    for store in district.STORES:
        s.add(Store(id=store.store_id, name=store.name, kind=store.kind.value, phone=store.phone))
        log(SubjectType.STORE, store.store_id, "store_add", name=store.name)
    s.flush()
    for store in district.STORES:
        for keyword in store.keywords:
            s.add(StoreKeyword(keyword=keyword, store_id=store.store_id, source="import", created_at=at,
                               created_by=SYSTEM.id))
            log(SubjectType.KEYWORD, keyword, "keyword_add", store_id=store.store_id)
    couriers: list[Courier] = []

    def courier(name: str, tier: Tier, store_id: str | None, capacity: int, on_duty: bool = True) -> None:
        couriers.append(Courier(id=f"C{len(couriers) + 1:03d}", name=name, tier=tier.value, store_id=store_id,
                                phone=mobile(rng), capacity=capacity, on_duty=on_duty))

    for n, store in enumerate(district.STORES):
        for i, capacity in enumerate(COMPANY_CAPACITY):
            # Every third store works the morning with one courier (the other is off today), so its
            # busy spells escalate by capacity.
            courier(person_name(rng), Tier.COMPANY, store.store_id, capacity, on_duty=not (i and n % 3 == 0))
        courier(person_name(rng), Tier.STORE_STAFF, store.store_id, 1)  # a shop assistant who can run out
    for carrier in THIRD_PARTY:
        courier(f"{carrier}·{person_name(rng)[0]}师傅", Tier.THIRD_PARTY, None, 4)
    for _ in range(EMERGENCY_TEAM):
        courier(f"应急·{person_name(rng)}", Tier.EMERGENCY, None, 5)
    for c in couriers:
        s.add(c)
        log(SubjectType.COURIER, c.id, "courier_add", tier=c.tier, store_id=c.store_id)
        if not c.on_duty:
            log(SubjectType.COURIER, c.id, "courier_off_duty")
    for k in demo_skus():
        # Packaged goods carry their pack size in the name, as on a shelf label.
        name = k.name if k.category == "produce" else f"{k.name} {k.spec}"
        s.add(Sku(code=k.code, name=name, category=k.category, unit=k.unit, step=k.step, price=k.price,
                  stock=k.stock, weight_g=k.weight_g))
        log(SubjectType.SKU, k.code, "sku_add", step=k.step)
    for op in OPERATORS:
        s.add(Operator(id=op.id, name=op.name, role=op.role, pin_hash=hash_pin(op.pin)))
        log(SubjectType.OPERATOR, op.id, "operator_add", role=op.role)


def _morning(ctx: AppContext, start: datetime, end: datetime, rng: random.Random, rate: float) -> None:
    clock = ManualClock(start)
    morning = at_clock(ctx, start)
    sim = Simulator(morning, rng, SimSettings(rate_per_minute=rate))
    showcase = sorted(((end - timedelta(minutes=x.minutes_before_end), x) for x in _SHOWCASE), key=lambda x: x[0])
    sim.step(start)
    while clock.now() < end:
        now = clock.advance(seconds=HISTORY_STEP.total_seconds())
        now = min(now, end)
        while showcase and showcase[0][0] <= now:
            _showcase_order(sim, now, showcase.pop(0)[1], rng)
        sim.step(now)


def _showcase_order(sim: Simulator, now: datetime, show: _Showcase, rng: random.Random) -> None:
    address = None
    if show.case is not None:
        text, _auto, store = district.labelled_case(rng, show.case)
        address = (text, store)
    sim.create_order(now, address=address, review_fail=show.review_fail, anomaly=show.anomaly, payment=show.payment,
                     **{**_SHOWCASE_PLAN, "leave": show.leave, **dict(show.plan)})


def _result(ctx: AppContext) -> InitResult:
    with read_session(ctx.engine) as s:
        tiers = Counter(s.exec(select(Courier.tier)).all())
        statuses = dict(s.exec(select(Order.status, func.count()).group_by(Order.status)).all())
        return InitResult(
            True,
            "created",
            stores=s.exec(select(func.count()).select_from(Store)).one(),
            keywords=s.exec(select(func.count()).select_from(StoreKeyword)).one(),
            couriers=dict(tiers),
            skus=s.exec(select(func.count()).select_from(Sku)).one(),
            orders=statuses,
            events=s.exec(select(func.count()).select_from(Event)).one(),
        )
