"""What the demo simulator draws at random: its knobs, order baskets, customers, each order's field plan.

Every draw takes the injected `random.Random`, in a fixed order, so a fixed seed plays the same
city every time (services/demo_sim.py does the playing).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops_console.demo.catalog import mobile, person_name
from ops_console.domain.types import (
    Action,
    CallOutcome,
    Channel,
    NotCompletedReason,
    RefusalReason,
    Status,
)


@dataclass(frozen=True)
class SimSettings:
    """The simulator's knobs. Durations are minutes of the field; `speed` divides all of them."""

    rate_per_minute: float = 1.0
    speed: float = 1.0
    anomalies: bool = True  # services/demo_alerts.py: payments, tracking, weights, replenishment, alerts worked
    p_anomaly: float = 0.06  # a step violation, a quantity surge or a large COD amount
    p_review_fail: float = 0.04  # stale platform price, online payment not through, not enough stock
    p_requested_time: float = 0.03  # the customer asked for a delivery time when ordering
    p_appointment: float = 0.05  # the customer asks for later when the courier calls
    p_unreachable: float = 0.06  # the first call goes unanswered
    p_shortage: float = 0.05
    p_busy: float = 0.05  # no courier of the tier comes: the order waits on the board (capacity does the rest)
    p_cannot_supply: float = 0.01  # the store cannot supply: the emergency team takes it
    p_refuse: float = 0.04
    p_fail: float = 0.04
    p_take_proposal: float = 0.85  # the board's courier proposal is taken (else a courier of the order's tier)
    p_aftercare: float = 0.07  # a delivered order's customer calls customer service (return, exchange, ...)
    refusal_decisions: tuple[float, float, float] = (0.35, 0.3, 0.35)  # redispatch, cancel, a service request
    p_fail_cancel: float = 0.25  # a not-completed order is cancelled instead of redispatched
    p_confirm: float = 0.75  # the customer confirms in the app (others wait for the back office)
    relief_minutes: tuple[float, float] = (20.0, 45.0)  # how long the colleague leaves a case alone
    relief_per_step: int = 2
    max_catch_up_minutes: float = 10.0  # after a long pause, do not flood the city with orders


@dataclass
class Plan:
    """How one order's field life will go, rolled once when the simulator first sees the order."""

    own: bool  # created by this simulator (else: intake, phone entry — only the field is played)
    store_hint: str | None  # the store a person would choose (the district's label)
    pick_start: float
    pick_minutes: float
    shortage: bool
    cannot_supply: bool
    dispatch_wait: float
    busy: bool
    handover: float
    call: CallOutcome
    appointment_minutes: float
    travel: float
    outcome: Action  # DELIVER / REFUSE / FAIL
    reason: str
    confirm_after: float | None
    relief_after: float
    # Statuses in which the colleague leaves this order to the people at the console (demo init's
    # showcase orders: a refusal that stays a refusal until someone acts on it).
    leave: frozenset[Status] = frozenset()
    match_tried: bool = False
    calls: int = 0
    last_call: datetime | None = None
    shortage_done: bool = False
    take_proposal: bool = True  # dispatched by taking the board's proposal (escalations follow from capacity)
    after_refusal: str = "cancel"  # what the colleague decides on a refusal: redispatch / cancel / service
    aftercare: str | None = None  # the request type the customer asks for once delivered, if any
    aftercare_after: float = 10.0
    request_opened: bool = False  # the desk opened this order's request already


CHANNELS = (Channel.MEITUAN, Channel.ELEME, Channel.JD, Channel.APP, Channel.PHONE)
CHANNEL_WEIGHTS = (35, 25, 10, 22, 8)
NUMBER_PREFIX = {Channel.MEITUAN: "MT", Channel.ELEME: "EL", Channel.JD: "JD", Channel.APP: "AP", Channel.PHONE: "DH"}
REMARKS = (
    "请放门口", "到了打电话", "不要香菜", "老人在家,请敲门", "尽快送达,谢谢", "放快递柜", "小孩在睡觉,别按门铃",
    "发票抬头:个人", "蔬菜挑新鲜的", "鸡蛋小心轻放",
)
_REFUSALS = (RefusalReason.LATE, RefusalReason.QUALITY, RefusalReason.WRONG_ITEMS, RefusalReason.SERVICE_ATTITUDE)
_FAILURES = (NotCompletedReason.CUSTOMER_ABSENT, NotCompletedReason.CUSTOMER_UNREACHABLE,
             NotCompletedReason.WRONG_ADDRESS, NotCompletedReason.GOODS_DAMAGED, NotCompletedReason.VEHICLE_PROBLEM)


@dataclass(frozen=True)
class SkuRow:
    """A catalogue line as the baskets need it (the bare name and the spec apart)."""

    code: str
    name: str
    spec: str
    category: str
    unit: str
    step: int
    price: int
    stock: int
    weight_g: int | None


def basket(rng: random.Random, skus: list[SkuRow], review_fail: str | None, anomaly: str | None) -> list[dict[str, Any]]:
    """The order's lines as OrderLine fields: a few vegetables, some packaged goods."""
    produce = [k for k in skus if k.category == "produce"] or skus
    others = [k for k in skus if k.category != "produce"] or skus
    chosen: dict[str, tuple[SkuRow, int]] = {}
    for _ in range(rng.choices((1, 2, 3, 4, 5, 6), (14, 24, 24, 18, 12, 8))[0]):
        sku = rng.choice(produce if rng.random() < 0.5 else others)
        qty = rng.choice((1, 1, 2, 2, 3, 4)) if sku.category == "produce" else sku.step * rng.choice((1, 1, 1, 2))
        chosen[sku.code] = (sku, qty)
    items = list(chosen.values())
    if anomaly == "step":
        stepped = [k for k in skus if k.step > 1]
        if stepped:
            sku = rng.choice(stepped)
            items.append((sku, sku.step * rng.randint(1, 2) + rng.randint(1, sku.step - 1)))
    elif anomaly == "surge":
        i = rng.randrange(len(items))
        sku, qty = items[i]
        items[i] = (sku, max(qty, sku.step) * rng.randint(15, 30))
    elif anomaly == "amount":
        dear = sorted(skus, key=lambda k: -k.price * k.step)[:5]
        sku = rng.choice(dear)
        items.append((sku, sku.step * max(2, math.ceil(120_000 / (sku.price * sku.step)))))
    if review_fail == "stock":
        scarce = [k for k in skus if 0 < k.stock < 20]
        if scarce:
            sku = rng.choice(scarce)
            items.append((sku, sku.stock + sku.step * rng.randint(1, 3)))
    lines = []
    seen: set[str] = set()
    for sku, qty in items:
        if sku.code in seen:
            continue
        seen.add(sku.code)
        lines.append(dict(sku=sku.code, name=sku.name, spec=sku.spec, category=sku.category, qty=qty,
                          unit=sku.unit, unit_price=sku.price, step=sku.step,
                          weight_g=sku.weight_g * qty if sku.weight_g else None))
    if review_fail == "price":
        line = rng.choice(lines)
        price = line["unit_price"]
        if isinstance(price, int):
            line["unit_price"] = price + rng.choice((10, 20, 50, 100))  # yesterday's price
    return lines

def customer_name(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return person_name(rng)[0] + rng.choice(("先生", "女士"))
    return person_name(rng)

def customer_phone(rng: random.Random, channel: Channel) -> str:
    if channel in (Channel.MEITUAN, Channel.ELEME) and rng.random() < 0.35:
        # Platforms hand out privacy numbers with an extension.
        return f"{mobile(rng)}{rng.choice(('-', '转'))}{rng.randrange(10000):04d}"
    if channel == Channel.PHONE and rng.random() < 0.3:
        return f"0527-6{rng.randrange(1000000):06d}"
    return mobile(rng)

def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw: how many orders arrive in a stretch with `lam` expected."""
    if lam <= 0:
        return 0
    if lam > 30:  # long pauses are capped; a normal approximation is plenty here
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def roll_plan(rng: random.Random, cfg: SimSettings, *, own: bool, hint: str | None) -> Plan:
    """An order's whole field life, drawn once when the simulator first sees it."""
    r = rng.random()
    outcome = Action.REFUSE if r < cfg.p_refuse else Action.FAIL if r < cfg.p_refuse + cfg.p_fail else Action.DELIVER
    reason = ""
    if outcome == Action.REFUSE:
        reason = rng.choice(_REFUSALS).value
    elif outcome == Action.FAIL:
        reason = rng.choice(_FAILURES).value
    c = rng.random()
    call = (CallOutcome.APPOINTMENT if c < cfg.p_appointment
            else CallOutcome.UNREACHABLE if c < cfg.p_appointment + cfg.p_unreachable else CallOutcome.NOW)
    plan = Plan(
        own=own,
        store_hint=hint,
        pick_start=rng.uniform(0.3, 3.0),
        pick_minutes=rng.uniform(2.0, 9.0),
        shortage=rng.random() < cfg.p_shortage,
        cannot_supply=rng.random() < cfg.p_cannot_supply,
        dispatch_wait=rng.uniform(1.0, 6.0),
        busy=rng.random() < cfg.p_busy,
        handover=rng.uniform(1.0, 4.0),
        call=call,
        appointment_minutes=rng.choice((60, 90, 120)),
        travel=rng.triangular(8.0, 55.0, 18.0),
        outcome=outcome,
        reason=reason,
        confirm_after=rng.uniform(5.0, 90.0) if rng.random() < cfg.p_confirm else None,
        relief_after=rng.uniform(*cfg.relief_minutes),
    )
    # Drawn after the original plan, so a city's field stays recognisable across versions of the desk.
    plan.take_proposal = rng.random() < cfg.p_take_proposal
    if outcome == Action.REFUSE:
        plan.after_refusal = rng.choices(("redispatch", "cancel", "service"), cfg.refusal_decisions)[0]
    elif outcome == Action.FAIL:
        plan.after_refusal = "cancel" if rng.random() < cfg.p_fail_cancel else "redispatch"
    if outcome == Action.DELIVER and rng.random() < cfg.p_aftercare:
        plan.aftercare = rng.choices(("return", "exchange", "refund", "complaint"), (40, 25, 15, 20))[0]
        plan.aftercare_after = rng.uniform(2.0, 12.0)
    return plan
