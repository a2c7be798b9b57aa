"""The demo simulator: customers order, stores pick, couriers deliver — through the lifecycle service.

`Simulator(ctx, rng).step()` plays one moment of the field: new orders arrive (a Poisson stream at
`rate_per_minute`), and every open order whose next field step is due takes it. Every decision
comes from the injected `random.Random`, every time from the clock, so a test with a ManualClock
and a fixed seed sees the same city every time. Each action is one `perform(...)` call with the
version the simulator saw: when a person at the console moved the order first, the simulator's
step loses the race and lets it be.

Who does what:
- the system (as intake, the store, the courier, the customer's app): receive, automatic
  assignment by the matcher, start/finish picking, shortage, dispatch, hand-over, call,
  release of a held order, deliver / refuse / fail, confirm;
- the colleague dispatcher (the demo operator `COLLEAGUE_ID`, at "another console"): only what
  a person decides — orders left in the manual queue, manual review, escalation, redispatch and
  cancellation — and only after they have waited long (`relief_minutes`), a few per step, so the
  queue stays for the dispatcher at this console but never explodes. Most picked orders take the
  board's courier proposal (services/dispatch.py): at the company tier the field dispatches; an
  escalation it implies (the store's couriers full, or waited too long) is the colleague's. After a
  refusal or a failed trip the colleague redispatches, cancels, or leaves it to customer service;
- customer service and the couriers' cash (services/demo_desk.py, the demo's U02/U05): returns,
  exchanges, refunds and complaints walked through their statuses, cash refunds, the emergency
  team's compensation, hand-in at the end of the day.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.demo import district
from ops_console.demo.catalog import COLLEAGUE_ID, demo_skus
from ops_console.domain.dispatch import escalation_steps, propose
from ops_console.domain.service_requests import RequestType
from ops_console.domain.types import (
    Action,
    CallOutcome,
    CancelReason,
    EscalationReason,
    NotCompletedReason,
    PaymentMethod,
    PaymentStatus,
    RefusalReason,
    Role,
    ShortageResolution,
    Status,
    Tier,
)
from ops_console.services.actions import perform
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.demo_alerts import AlertPlayer
from ops_console.services.demo_desk import ServiceDesk
from ops_console.services.demo_draws import (
    CHANNEL_WEIGHTS,
    CHANNELS,
    NUMBER_PREFIX,
    REMARKS,
    Plan,
    SimSettings,
    SkuRow,
    basket,
    customer_name,
    customer_phone,
    poisson,
    roll_plan,
)
from ops_console.services.demo_snapshot import OrderRow as _OrderRow
from ops_console.services.demo_snapshot import Snapshot as _Snapshot
from ops_console.services.demo_snapshot import first_suggestion as _first_suggestion
from ops_console.services.demo_snapshot import read_snapshot
from ops_console.services.dispatch import dispatch_proposal
from ops_console.services.errors import Refused, ServiceError
from ops_console.services.matching import auto_store
from ops_console.services.receiving import receive_order
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Meta, Operator, Order, OrderLine, Sku

# The Meta key `demo init` writes: the simulator only ever plays on a demo database.
DEMO_MARKER = "demo_city"


@dataclass
class StepReport:
    at: datetime
    created: list[str] = field(default_factory=list)  # channel:order_no
    actions: Counter[str] = field(default_factory=Counter)
    lost: int = 0  # actions a person (or the rules) refused or took first

    @property
    def total(self) -> int:
        return sum(self.actions.values())


def is_demo_database(ctx: AppContext) -> bool:
    with read_session(ctx.engine) as s:
        meta = s.get(Meta, DEMO_MARKER)
    return meta is not None


def at_clock(ctx: AppContext, when: datetime) -> AppContext:
    """The same database and settings with the clock pinned at `when` (every event of a step)."""
    return AppContext(ctx.settings, ManualClock(when), ctx.engine, ctx.cache)


class Simulator:
    """Call `step()` every few seconds (a thread worker is fine: each action is its own transaction)."""

    def __init__(self, ctx: AppContext, rng: random.Random | None = None, settings: SimSettings | None = None,
                 *, require_demo: bool = True) -> None:
        if require_demo and not is_demo_database(ctx):
            raise Refused("demo.not_demo_db", url=ctx.settings.database.url)
        self.ctx = ctx
        self.rng = rng or random.Random()
        self.settings = settings or SimSettings()
        self.plans: dict[int, Plan] = {}
        self._last: datetime | None = None
        # Order lines carry the bare name and the spec apart, as the platforms send them.
        known = {k.code: (k.name, k.spec) for k in demo_skus()}
        with read_session(ctx.engine) as s:
            self._skus = [
                SkuRow(k.code, *known.get(k.code, (k.name, "")), k.category, k.unit, k.step, k.price, k.stock,
                        k.weight_g)
                for k in s.exec(select(Sku).order_by(Sku.code))
            ]
            colleague = s.get(Operator, COLLEAGUE_ID)
        self.colleague = (Actor(colleague.id, colleague.name, Role(colleague.role))
                          if colleague is not None and colleague.active else None)
        if not self._skus:
            raise Refused("demo.no_skus")
        # Customer service (returns, exchanges, refunds, complaints) and courier cash, after the door.
        self.desk = ServiceDesk(ctx, self.rng, self.settings.speed)
        # Payments, tracking, weights, replenishment, staff reports, the scheduler's checks, alerts worked.
        # Its own rng seeded from the field's state (no draw taken), so the field's draws stay as they were.
        self.alerts = AlertPlayer(random.Random(str(self.rng.getstate()[1][:8])), self.settings.speed)

    # ------------------------------------------------------------------------------------------
    # One moment of the field
    # ------------------------------------------------------------------------------------------

    def step(self, now: datetime | None = None) -> StepReport:
        """Arrivals since the last step, then every field step that is due at `now` (default: the clock)."""
        now = now or self.ctx.clock.now()
        ctx = at_clock(self.ctx, now)
        report = StepReport(now)
        if self._last is not None and now > self._last:
            minutes = min((now - self._last).total_seconds() / 60, self.settings.max_catch_up_minutes)
            for _ in range(poisson(self.rng, self.settings.rate_per_minute * minutes)):
                self.create_order(now, report=report)
        self._last = now if self._last is None else max(self._last, now)
        snap = read_snapshot(ctx)
        live = {o.id for o in snap.orders}
        self.plans = {k: v for k, v in self.plans.items() if k in live}  # closed orders need no plan
        relief_left = self.settings.relief_per_step
        for order in snap.orders:
            plan = self.plans.get(order.id) or self._adopt(order)
            self._customer_calls(ctx, order, plan, now, report)
            move = self._decide(ctx, order, plan, now, snap)
            if move is None:
                continue
            action, actor, params = move
            if actor is not SYSTEM:
                if relief_left <= 0 or order.claimed_by:
                    continue  # a person is on it, or the colleague has done enough this round
                relief_left -= 1
            self._do(ctx, order, action, actor, params, report, snap, plan)
        self.desk.end_of_day(ctx, now, self.colleague or SYSTEM, snap.load, report.actions)
        for number in self.desk.step(ctx, now, report.actions):
            report.created.append(number)  # an exchange's replacement order joins the field next step
        self._play_anomalies(ctx, now, report, snap)
        return report

    def _play_anomalies(self, ctx: AppContext, now: datetime, report: StepReport, snap: _Snapshot) -> None:
        """The anomaly kinds the field produces beyond the order's own data, the scheduler's checks and
        people working the alerts (services/demo_alerts.py); the step's new orders get the intake rules."""
        if self.settings.anomalies:
            self.alerts.step(ctx, now, report.created, snap, report.actions, self.colleague)

    def _customer_calls(self, ctx: AppContext, order: _OrderRow, plan: Plan, now: datetime,
                        report: StepReport) -> None:
        """A customer rings customer service: about a delivered order (return, exchange, refund,
        complaint), or after refusing one (an exchange for the goods, else a complaint)."""
        if plan.request_opened or not plan.own or Status(order.status) in plan.leave:
            return
        if order.status == Status.DELIVERED and plan.aftercare and self._due(order.status_entered_at,
                                                                            plan.aftercare_after, now):
            plan.request_opened = True
            kind = RequestType(plan.aftercare)
            reason = (self.rng.choice((RefusalReason.LATE, RefusalReason.SERVICE_ATTITUDE))
                      if kind == RequestType.COMPLAINT else RefusalReason.QUALITY)
            self.desk.open(ctx, order.id, kind, payment_method=order.payment_method, courier_id=order.courier_id,
                           reason=reason, actions=report.actions)
        elif order.status == Status.REFUSED and plan.after_refusal == "service" and self._due(
                order.status_entered_at, plan.relief_after / 2, now):
            plan.request_opened = True
            reason = RefusalReason(plan.reason) if plan.reason in set(RefusalReason) else RefusalReason.OTHER
            goods = reason in (RefusalReason.QUALITY, RefusalReason.WRONG_ITEMS)
            self.desk.open(ctx, order.id, RequestType.EXCHANGE if goods else RequestType.COMPLAINT,
                           payment_method=order.payment_method, courier_id=None, reason=reason,
                           actions=report.actions)

    # ------------------------------------------------------------------------------------------
    # New orders
    # ------------------------------------------------------------------------------------------

    def create_order(
        self,
        now: datetime | None = None,
        *,
        address: tuple[str, str | None] | None = None,
        review_fail: str | None = None,
        anomaly: str | None = None,
        payment: PaymentMethod | None = None,
        report: StepReport | None = None,
        **plan_overrides: object,
    ) -> int | None:
        """One new customer order through `receive_order`, then the matcher. Returns its id.

        `address` is `(text, store a person would choose)`; `review_fail` one of price / payment /
        stock; `anomaly` one of step / surge / amount; `payment` fixes the method; `plan_overrides` fix
        parts of its field life (e.g. `outcome=Action.REFUSE, leave=frozenset({Status.REFUSED})`).
        Unset, everything is drawn from the rng.
        """
        now = now or self.ctx.clock.now()
        ctx = at_clock(self.ctx, now)
        rng, cfg = self.rng, self.settings
        text, hint = address or district.random_address(rng)
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        if review_fail is None and rng.random() < cfg.p_review_fail:
            review_fail = rng.choice(("price", "payment", "stock"))
        if anomaly is None and review_fail is None and rng.random() < cfg.p_anomaly:
            anomaly = rng.choice(("step", "surge", "amount"))
        lines = basket(rng, self._skus, review_fail, anomaly)
        amount = sum(round(li["qty"] * li["unit_price"]) for li in lines)
        method = rng.choices((PaymentMethod.ONLINE, PaymentMethod.COD, PaymentMethod.INSTALLMENT), (72, 25, 3))[0]
        if anomaly == "amount" or review_fail == "payment":
            method = PaymentMethod.COD if anomaly == "amount" else PaymentMethod.ONLINE
        method = payment or method
        paid = method == PaymentMethod.ONLINE and review_fail != "payment"
        status = PaymentStatus.PAID if paid else PaymentStatus.PENDING
        local = now.astimezone(ctx.settings.tz)
        appointment = None
        if rng.random() < cfg.p_requested_time:
            appointment = now + timedelta(minutes=rng.choice((90, 120, 150, 180)) / cfg.speed)
        remarks = rng.choice(REMARKS) if rng.random() < 0.25 else ""
        fields: dict[str, Any] = dict(
            channel=channel.value, status=Status.RECEIVED.value, customer_name=customer_name(rng),
            phone=customer_phone(rng, channel), address=text, payment_method=method.value, payment_status=status.value,
            paid_amount=amount if paid else 0, remarks=remarks, urgent=rng.random() < 0.04,
            appointment_at=appointment, placed_at=now - timedelta(seconds=rng.randint(5, 120)),
            source="demo simulator",
        )
        order_id = order_no = last = None
        for _ in range(5):
            number = f"{NUMBER_PREFIX[channel]}{local:%y%m%d%H%M}{rng.randrange(10000):04d}"
            try:
                with write_session(ctx.engine) as s:
                    taken = s.exec(select(Order.id).where(Order.channel == channel.value,
                                                          Order.order_no == number)).first()
                    if taken is None:
                        order = Order(order_no=number, **fields)
                        last = receive_order(s, ctx, order, [OrderLine(order_id=0, **li) for li in lines])
                        order_id, order_no = order.id, number
            except IntegrityError:  # another process took the number between our check and insert
                continue
            if order_id is not None:
                break
        if order_id is None:
            return None
        plan = roll_plan(self.rng, self.settings, own=True, hint=hint)
        for key, value in plan_overrides.items():
            setattr(plan, key, value)
        self.plans[order_id] = plan
        if report is not None:
            report.created.append(f"{channel.value}:{order_no}")
            report.actions[Action.RECEIVE.value] += 1
            if last is not None and last.action == Action.ASSIGN:  # intake's matcher assigned it at once
                report.actions[Action.ASSIGN.value] += 1
        self._auto_assign(ctx, order_id, plan, report)
        return order_id

    def _auto_assign(self, ctx: AppContext, order_id: int, plan: Plan, report: StepReport | None) -> None:
        """The matcher's automatic assignment, unless `receive_order` has matched the address already
        (it leaves a `match_reason` on every order it could not assign)."""
        plan.match_tried = True
        with read_session(ctx.engine) as s:
            order = s.get(Order, order_id)
        if order is None or order.status != Status.UNASSIGNED or order.match_reason:
            return
        store = auto_store(ctx, order.address)
        if store is None:
            return  # left in the manual queue for the dispatcher
        try:
            perform(ctx, order_id, Action.ASSIGN, SYSTEM, expected_version=order.version, store_id=store,
                    method="auto")
        except ServiceError:
            if report is not None:
                report.lost += 1
            return
        if report is not None:
            report.actions[Action.ASSIGN.value] += 1

    # ------------------------------------------------------------------------------------------
    # Plans
    # ------------------------------------------------------------------------------------------

    def _adopt(self, order: _OrderRow) -> Plan:
        """An order the simulator did not create (intake, phone entry, an earlier run): play its field."""
        plan = roll_plan(self.rng, self.settings, own=False, hint=None)
        plan.match_tried = True
        self.plans[order.id] = plan
        return plan

    def _due(self, since: datetime | None, minutes: float, now: datetime) -> bool:
        return since is not None and now >= since + timedelta(minutes=minutes / self.settings.speed)

    def _decide(self, ctx: AppContext, order: _OrderRow, plan: Plan, now: datetime,
                snap: _Snapshot) -> tuple[Action, Actor, dict[str, object]] | None:
        """The next field step of this order if it is due now: (action, actor, params), or None."""
        status = Status(order.status)
        since = order.status_entered_at
        mate = self.colleague if Status(order.status) not in plan.leave else None
        lead = timedelta(minutes=ctx.settings.dispatch.appointment_lead_minutes)
        match status:
            case Status.UNASSIGNED:
                if plan.own and not plan.match_tried:
                    plan.match_tried = True
                    store = auto_store(ctx, order.address)
                    if store:
                        return Action.ASSIGN, SYSTEM, {"store_id": store, "method": "auto"}
                if mate and self._due(order.unassigned_at or since, plan.relief_after, now):
                    store = plan.store_hint or _first_suggestion(order)
                    if store:
                        return Action.ASSIGN, mate, {"store_id": store, "method": "manual"}
                    if plan.own and self._due(order.unassigned_at or since, plan.relief_after * 2, now):
                        return Action.CANCEL, mate, {"reason": CancelReason.OUT_OF_AREA.value}
            case Status.MANUAL_REVIEW:
                if mate and plan.own and self._due(since, plan.relief_after, now):
                    if order.review_reason == "stock":
                        return Action.REJECT, mate, {"reason_text": "库存不足,已电话告知客户"}
                    plan.match_tried = True  # approval runs the matcher itself (services/actions.py)
                    return Action.APPROVE, mate, {}
            case Status.ASSIGNED:
                if plan.cannot_supply and mate and self._due(since, 2, now):
                    plan.cannot_supply = False
                    return Action.ESCALATE, mate, {"reason": EscalationReason.STORE_CANNOT_SUPPLY.value}
                if not plan.cannot_supply and self._due(since, plan.pick_start, now):
                    return Action.START_PICKING, SYSTEM, {}
            case Status.PICKING:
                if plan.shortage and not plan.shortage_done and self._due(since, plan.pick_minutes / 2, now):
                    plan.shortage_done = True
                    return Action.REPORT_SHORTAGE, SYSTEM, {"resolution": self.rng.choice(
                        (ShortageResolution.SUBSTITUTE.value, ShortageResolution.PARTIAL.value))}
                if self._due(since, plan.pick_minutes, now):
                    return Action.FINISH_PICKING, SYSTEM, {}
            case Status.PICKED:
                tier = Tier(order.tier or Tier.COMPANY)
                if plan.busy:
                    wait = ctx.settings.dispatch.wait_minutes_before_escalation + plan.dispatch_wait
                    if mate and tier != Tier.EMERGENCY and self._due(since, wait, now):
                        plan.busy = self.rng.random() < 0.15  # now and then the next tier is busy too
                        return Action.ESCALATE, mate, {"reason": EscalationReason.NO_FREE_COURIER.value}
                    if not self._due(since, wait * 2.5, now):
                        return None  # no courier comes; the board waits for a person
                if self._due(since, plan.dispatch_wait, now) and plan.take_proposal:
                    # The board's proposal: a free company courier first, else the next tier up with the
                    # reason (capacity, waiting) — the colleague accepts an escalation, the field a dispatch.
                    # Read from the step's snapshot (cheap); an escalation is taken through the dispatch
                    # service, which works the proposal out again inside its transaction.
                    proposal = propose(store_id=order.store_id, tier=tier, waiting_since=since,
                                       couriers=snap.loads(), now=now, wait=timedelta(
                                           minutes=ctx.settings.dispatch.wait_minutes_before_escalation))
                    if proposal.courier_id is None:
                        return None
                    if proposal.tier == tier:
                        return Action.DISPATCH, SYSTEM, {"courier_id": proposal.courier_id}
                    return (Action.DISPATCH, mate, {"proposal": True}) if mate else None
                if self._due(since, plan.dispatch_wait, now):
                    courier = self._free_courier(order, tier, snap)
                    if courier is not None:
                        return Action.DISPATCH, SYSTEM, {"courier_id": courier}
            case Status.DISPATCHED:
                delivery = snap.open_delivery.get(order.id)
                if delivery is None:
                    return None
                if delivery.handed_over_at is None:
                    if self._due(since, plan.handover, now):
                        params: dict[str, object] = {}
                        if order.tier != Tier.EMERGENCY:  # the emergency team bypasses the store till
                            local = now.astimezone(ctx.settings.tz)
                            params = {"till_receipt": f"{order.store_id}-{local:%m%d}-{self.rng.randrange(10000):04d}",
                                      "till_amount": order.amount}
                        return Action.HAND_OVER, SYSTEM, params
                    return None
                last = plan.last_call or delivery.handed_over_at
                if not self._due(last, 1.0 if plan.calls == 0 else 5.0, now):
                    return None
                return Action.CALL, SYSTEM, self._call(ctx, order, plan, now)
            case Status.HELD:
                if order.appointment_at is not None and now >= order.appointment_at - lead:
                    return Action.RELEASE_HOLD, SYSTEM, {}
            case Status.OUT_FOR_DELIVERY:
                if self._due(since, plan.travel, now):
                    if plan.outcome == Action.REFUSE:
                        return Action.REFUSE, SYSTEM, {"reason": plan.reason}
                    if plan.outcome == Action.FAIL:
                        return Action.FAIL, SYSTEM, {"reason": plan.reason}
                    return Action.DELIVER, SYSTEM, {}
            case Status.DELIVERED:
                if plan.confirm_after is not None and self._due(since, plan.confirm_after, now):
                    return Action.CONFIRM, SYSTEM, {}
            case Status.REFUSED | Status.NOT_COMPLETED:
                if mate and plan.own and self._due(since, plan.relief_after, now):
                    return self._after_refusal(order, plan, mate)
        return None

    def _after_refusal(self, order: _OrderRow, plan: Plan, mate: Actor) -> tuple[Action, Actor, dict[str, object]]:
        """The colleague's decision on a refused or not-completed order: try again, or cancel it (the
        customer's money goes back through a refund request; a refusal's exchange is under way)."""
        if plan.after_refusal == "redispatch":
            # The next attempt goes through: a new courier trip, delivered.
            plan.outcome, plan.call, plan.calls, plan.last_call = Action.DELIVER, CallOutcome.NOW, 0, None
            return Action.REDISPATCH, mate, {}
        if plan.after_refusal == "service":
            return Action.CANCEL, mate, {"reason": CancelReason.OTHER.value, "reason_text": "客户已转售后处理"}
        if order.status == Status.NOT_COMPLETED and plan.reason in (NotCompletedReason.CUSTOMER_ABSENT,
                                                                    NotCompletedReason.CUSTOMER_UNREACHABLE):
            return Action.CANCEL, mate, {"reason": CancelReason.CUSTOMER_UNREACHABLE.value}
        return Action.CANCEL, mate, {"reason": CancelReason.CUSTOMER_CANCELLED.value}

    def _call(self, ctx: AppContext, order: _OrderRow, plan: Plan, now: datetime) -> dict[str, object]:
        plan.calls += 1
        plan.last_call = now
        outcome = plan.call
        if plan.calls > 1 or (order.appointment_at is not None and order.appointment_at <= now + timedelta(
                minutes=ctx.settings.dispatch.appointment_lead_minutes)):
            outcome = CallOutcome.NOW  # an unanswered customer picks up the second time; a due appointment goes
        elif order.appointment_at is not None:
            outcome = CallOutcome.APPOINTMENT  # the time the customer asked for when ordering
        if outcome == CallOutcome.APPOINTMENT:
            when = order.appointment_at or now + timedelta(minutes=plan.appointment_minutes / self.settings.speed)
            return {"outcome": outcome.value, "appointment_at": when}
        return {"outcome": outcome.value}

    def _free_courier(self, order: _OrderRow, tier: Tier, snap: _Snapshot) -> str | None:
        """The least-loaded active courier of the tier with room left (the store's own for company)."""
        pool = [c for c in snap.couriers if c.tier == tier.value]
        if tier in (Tier.COMPANY, Tier.STORE_STAFF):
            own = [c for c in pool if c.store_id == order.store_id]
            pool = own if own or tier == Tier.COMPANY else pool
        free = [c for c in pool if snap.load[c.id] < c.capacity]
        if not free:
            return None
        least = min(snap.load[c.id] for c in free)
        return self.rng.choice([c for c in free if snap.load[c.id] == least]).id

    def _do(self, ctx: AppContext, order: _OrderRow, action: Action, actor: Actor, params: dict[str, object],
            report: StepReport, snap: _Snapshot, plan: Plan | None = None) -> None:
        try:
            if params.pop("proposal", False):
                proposal = dispatch_proposal(ctx, order.id, actor, expected_version=order.version)
                steps = escalation_steps(Tier(order.tier) if order.tier else None, proposal.tier)
                report.actions[Action.ESCALATE.value] += len(steps)
                params["courier_id"] = proposal.courier_id
            else:
                perform(ctx, order.id, action, actor, expected_version=order.version, **params)
        except ServiceError:
            report.lost += 1  # a person moved it first, or the rules say no: the next step looks again
            return
        report.actions[action.value] += 1
        if action == Action.DISPATCH:
            snap.load[str(params["courier_id"])] += 1
        elif action in (Action.DELIVER, Action.REFUSE, Action.FAIL) and order.courier_id:
            snap.load[order.courier_id] -= 1
        if action == Action.DELIVER and order.tier == Tier.EMERGENCY and order.courier_id:
            self.desk.compensate(ctx, self.colleague or SYSTEM, order.courier_id, order.id, report.actions)
        elif action == Action.CANCEL and order.status in (Status.REFUSED, Status.NOT_COMPLETED) and \
                order.payment_method == PaymentMethod.ONLINE and order.payment_status == PaymentStatus.PAID and \
                (plan is None or plan.after_refusal != "service"):
            # The cancelled order's money goes back: customer service opens the refund request.
            self.desk.open(ctx, order.id, RequestType.REFUND, payment_method=order.payment_method, courier_id=None,
                           reason=RefusalReason.OTHER, actions=report.actions)
