"""The demo simulator's anomalies: the field produces every detectable kind now and then, and people
work the alerts, so the feed is never empty for long — all through the services, no table writes.

`AlertPlayer(ctx, rng, speed).step(ctx, now, created, snap, actions, colleague)` is called once per
simulator step (services/demo_sim.py `_play_anomalies`):
- the step's new customer orders (`receive_order` has already run the intake-time rules on them:
  step, surge, amount, duplicate), taken on for payment notices and duplicates;
- store replenishment orders (`replenishment_intake.place`): each store once a day between 13:00 and
  15:00 local, now and then an urgent one outside the window; now and then a tenfold quantity or a
  quantity off the SKU's step (held). The colleague verifies or cancels held ones after a while,
  except some left for the dispatcher at this console; the warehouse sorts and delivers the rest;
- payment notices for new online orders (now and then failed, duplicate or for the wrong amount);
- tracking updates for third-party deliveries (some carriers go silent: `tracking_stale`);
- weights of produce at hand-over (now and then off by more than the tolerance);
- a staff report and a duplicate customer order now and then;
- the colleague acknowledging, owning and resolving alerts with a text;
- the scheduler's checks (`run_anomaly_checks`: picking / delivery overdue, tracking stale, ack
  timeouts) every `CHECK_EVERY` of simulated time.
Every draw comes from the simulator's rng; every time from `now`.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlmodel import col, select

from ops_console.domain.replenishment import ReplStatus
from ops_console.domain.types import Action, CancelReason, PaymentMethod, Status, Tier
from ops_console.services import anomalies, anomaly_checks, replenishment
from ops_console.services.actions import perform
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.demo_snapshot import Snapshot
from ops_console.services.errors import ServiceError
from ops_console.services.payments import (
    PaymentRecord,
    TrackingRecord,
    record_payment,
    record_tracking_update,
)
from ops_console.services.receiving import receive_order
from ops_console.services.replenishment_intake import place
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Order, OrderLine, Sku, Store

CHECK_EVERY = timedelta(minutes=2)  # the scheduler's anomaly checks, in simulated time
WORK_EVERY = timedelta(minutes=3)  # how often the colleague looks at the alert feed
HELD_FOR = timedelta(minutes=60)  # a held order waits this long before the colleague calls the store
WINDOW = (time(13, 0), time(15, 0))  # stores reorder daily in this local window (seed 004 1.1)

# Chances (per new order / per simulated minute / per order); tuned so a 3-hour morning shows every kind.
P_PAYMENT_NOTICE = 0.25  # an online order's payment notice arrives through the feed
P_PAYMENT_BAD = 0.25  # ...and of those, failed / duplicate / wrong amount
P_DUPLICATE_ORDER = 0.02  # a customer submits the same order twice
P_STAFF_REPORT_PER_MIN = 1 / 45
P_OFF_WINDOW_PER_MIN = 1 / 20  # a store's urgent order outside 13:00-15:00
P_REPL_TENFOLD = 0.15
P_REPL_STEP = 0.4
P_SILENT_CARRIER = 0.35  # a third-party delivery whose carrier sends no tracking
P_WEIGH = 0.35  # produce weighed at hand-over
P_WEIGHT_OFF = 0.2
P_LEAVE_HELD = 0.5  # held replenishment orders left to the dispatcher at this console
P_LEAVE_ALERT = 0.45  # alerts the colleague leaves alone

STAFF_NOTES = ("客户来电说包装破损,请核实", "门店反馈该单商品与描述不符", "骑手反映地址门牌不清,需再确认",
               "客户称少送一件,请跟进")
RESOLUTIONS = ("已电话联系客户并处理完毕", "已与门店核实,数据无误", "已补录并通知相关人员", "已安排重新处理")


@dataclass
class AlertPlayer:
    rng: random.Random
    speed: float = 1.0
    last_check: datetime | None = None
    last_work: datetime | None = None
    last: datetime | None = None
    reorder_days: dict[str, set[str]] = field(default_factory=dict)  # local day -> stores that reordered
    reorder_at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    silent: dict[int, bool] = field(default_factory=dict)  # third-party order id -> carrier silent
    tracked: dict[int, datetime] = field(default_factory=dict)
    weighed: set[int] = field(default_factory=set)
    left: set[int] = field(default_factory=set)  # alert / held-order ids the colleague leaves alone
    seen: set[int] = field(default_factory=set)
    stores: list[str] = field(default_factory=list)
    skus: list[tuple[str, int, str]] = field(default_factory=list)  # code, step, category

    def _minutes(self, now: datetime) -> float:
        return 0.0 if self.last is None else max(0.0, (now - self.last).total_seconds() / 60) * self.speed

    def _chance(self, per_minute: float, minutes: float) -> bool:
        return minutes > 0 and self.rng.random() < per_minute * minutes

    def step(self, ctx: AppContext, now: datetime, created: list[str], snap: Snapshot, actions: Counter[str],
             colleague: Actor | None) -> None:
        if not self.stores:
            with read_session(ctx.engine) as s:
                self.stores = list(s.exec(select(Store.id).where(col(Store.active)).order_by(col(Store.id))))
                self.skus = [(k.code, k.step or 1, k.category) for k in s.exec(select(Sku).order_by(col(Sku.code)))]
        minutes = self._minutes(now)
        self.last = now if self.last is None else max(self.last, now)
        new_ids = self._new_orders(ctx, created, actions)
        self._payments(ctx, now, new_ids, actions)
        if new_ids and self.rng.random() < P_DUPLICATE_ORDER * len(new_ids):
            self._duplicate(ctx, now, self.rng.choice(new_ids), created, actions)
        self._replenish(ctx, now, minutes, actions)
        self._tracking(ctx, now, snap, actions)
        self._weights(ctx, snap, actions)
        if colleague is not None and self._chance(P_STAFF_REPORT_PER_MIN, minutes) and snap.orders:
            order = self.rng.choice(snap.orders)
            try:
                anomalies.report(ctx, str(order.id), self.rng.choice(STAFF_NOTES), colleague)
                actions["alert_report"] += 1
            except ServiceError:
                pass
        if self.last_check is None or now - self.last_check >= CHECK_EVERY / self.speed:
            self.last_check = now
            anomaly_checks.run_anomaly_checks(ctx)
        if colleague is not None and (self.last_work is None or now - self.last_work >= WORK_EVERY / self.speed):
            self.last_work = now
            self._work_alerts(ctx, colleague, actions)
            self._work_held(ctx, now, colleague, actions)

    # ---------------------------------------------------------------------------------- customer orders

    def _new_orders(self, ctx: AppContext, created: list[str], actions: Counter[str]) -> list[int]:
        """The ids of the step's new customer orders (`receive_order` judged them as they came in)."""
        keys = [tuple(c.split(":", 1)) for c in created if ":" in c]
        if not keys:
            return []
        with read_session(ctx.engine) as s:
            return [i for ch, no in keys for i in s.exec(select(Order.id).where(col(Order.channel) == ch,
                                                                                 col(Order.order_no) == no)) if i]

    def _payments(self, ctx: AppContext, now: datetime, ids: list[int], actions: Counter[str]) -> None:
        with write_session(ctx.engine) as s:
            for order_id in ids:
                order = s.get(Order, order_id)
                if order is None or order.payment_method != PaymentMethod.ONLINE or order.paid_amount <= 0:
                    continue
                if self.rng.random() >= P_PAYMENT_NOTICE:
                    continue
                ref = f"PAY{order.order_no}"
                kind = self.rng.choice(("failed", "duplicate", "mismatch")) if self.rng.random() < P_PAYMENT_BAD \
                    else "paid"
                amount = order.paid_amount
                if kind == "mismatch":
                    amount = max(1, amount - self.rng.choice((100, 500, 1000)))
                record_payment(s, ctx, PaymentRecord(order.channel, order.order_no, ref, amount,
                                                     "failed" if kind == "failed" else "paid", now))
                if kind == "duplicate":  # charged twice under a second reference
                    record_payment(s, ctx, PaymentRecord(order.channel, order.order_no, ref + "-2", amount, "paid",
                                                         now))
                actions[f"payment_{kind}"] += 1

    def _duplicate(self, ctx: AppContext, now: datetime, order_id: int, created: list[str],
                   actions: Counter[str]) -> None:
        """The customer submits the same basket again a minute later (a new number, same phone and lines)."""
        with write_session(ctx.engine) as s:
            first = s.get(Order, order_id)
            if first is None:
                return
            lines = [OrderLine(order_id=0, **li.model_dump(exclude={"id", "order_id", "line_no"}))
                     for li in s.exec(select(OrderLine).where(OrderLine.order_id == order_id))]
            again = Order(**first.model_dump(include={
                "channel", "customer_name", "phone", "address", "payment_method", "payment_status", "paid_amount",
                "remarks", "urgent", "appointment_at", "source"}))
            again.order_no = f"{first.order_no}D"
            again.status = Status.RECEIVED.value
            again.placed_at = now
            if s.exec(select(Order.id).where(Order.channel == again.channel, Order.order_no == again.order_no)).first():
                return
            receive_order(s, ctx, again, lines)
            anomaly_checks.evaluate_new_order(s, ctx, again.id or 0)
        created.append(f"{again.channel}:{again.order_no}")
        actions["duplicate_order"] += 1

    # ---------------------------------------------------------------------------------- replenishment

    def _replenish(self, ctx: AppContext, now: datetime, minutes: float, actions: Counter[str]) -> None:
        tz = ctx.settings.tz
        local = now.astimezone(tz)
        day = local.date().isoformat()
        start = datetime.combine(local.date(), WINDOW[0], tzinfo=tz)
        done = self.reorder_days.setdefault(day, set())
        for store in self.stores:
            key = (day, store)
            if key not in self.reorder_at:  # the store's time today, somewhere in the window
                self.reorder_at[key] = start + timedelta(minutes=self.rng.uniform(0, 119))
            if store not in done and self.reorder_at[key] <= now and local.time() < WINDOW[1]:
                done.add(store)
                self._place(ctx, store, actions)
        if not (WINDOW[0] <= local.time() < WINDOW[1]) and self._chance(P_OFF_WINDOW_PER_MIN, minutes):
            self._place(ctx, self.rng.choice(self.stores), actions, urgent=True)

    def _place(self, ctx: AppContext, store: str, actions: Counter[str], urgent: bool = False) -> None:
        picks = self.rng.sample(self.skus, k=min(len(self.skus), 2 if urgent else self.rng.randint(3, 6)))
        items: dict[str, float] = {code: float(step * self.rng.randint(2, 12)) for code, step, _ in picks}
        first = next(iter(items))
        roll = self.rng.random()
        if roll < P_REPL_TENFOLD:
            items[first] *= 10  # an extra zero typed in the store
        elif roll < P_REPL_TENFOLD + P_REPL_STEP:
            # A quantity off the order step of a SKU sold in packs (a step of 1 takes any quantity).
            code, step, _ = self.rng.choice([k for k in self.skus if k[1] > 1] or self.skus)
            items[code] = float(step * self.rng.randint(2, 6) + 1)
        try:
            place(ctx, store, items, SYSTEM)
            actions["replenish_place"] += 1
        except ServiceError:
            pass

    def _work_held(self, ctx: AppContext, now: datetime, colleague: Actor, actions: Counter[str]) -> None:
        """Held orders: verified with the store or cancelled (some left for this console); accepted ones
        sorted, sorted ones delivered by the warehouse."""
        for view in replenishment.list_replenishment(ctx, status=ReplStatus.ON_HOLD.value, limit=50):
            if view.id in self.seen or (view.placed_at is not None and now - view.placed_at < HELD_FOR / self.speed):
                continue  # decided already, or the store has not been reached yet
            self.seen.add(view.id)
            if self.rng.random() < P_LEAVE_HELD:
                continue
            try:
                if self.rng.random() < 0.6:
                    replenishment.verify(ctx, view.order_no, colleague, "已与门店电话核实")
                    actions["replenish_verify"] += 1
                else:
                    replenishment.cancel(ctx, view.order_no, colleague, "门店确认录入错误,重新下单")
                    actions["replenish_cancel"] += 1
            except ServiceError:
                pass
        for status, act, name in ((ReplStatus.SORTED, replenishment.mark_delivered, "replenish_deliver"),
                                  (ReplStatus.ACCEPTED, replenishment.mark_sorted, "replenish_sort")):
            for view in replenishment.list_replenishment(ctx, status=status.value, limit=20):
                if self.rng.random() < 0.5:
                    try:
                        act(ctx, view.order_no)
                        actions[name] += 1
                    except ServiceError:
                        pass

    # ---------------------------------------------------------------------------------- on the road

    def _tracking(self, ctx: AppContext, now: datetime, snap: Snapshot, actions: Counter[str]) -> None:
        road = [o for o in snap.orders if o.tier == Tier.THIRD_PARTY
                and o.status in (Status.DISPATCHED, Status.OUT_FOR_DELIVERY)]
        due = []
        for o in road:
            if o.id not in self.silent:
                self.silent[o.id] = self.rng.random() < P_SILENT_CARRIER
            last = self.tracked.get(o.id, o.status_entered_at)
            if not self.silent[o.id] and last is not None and now - last >= timedelta(minutes=10 / self.speed):
                due.append(o)
        if not due:
            return
        with write_session(ctx.engine) as s:
            for o in due:
                order = s.get(Order, o.id)
                if order is None:
                    continue
                record_tracking_update(s, ctx, TrackingRecord(order.channel, order.order_no, o.status, now, "在途"))
                self.tracked[o.id] = now
                actions["tracking_update"] += 1

    def _weights(self, ctx: AppContext, snap: Snapshot, actions: Counter[str]) -> None:
        """Produce weighed at hand-over: the first time an order is seen handed over."""
        handed = [o for o in snap.orders if o.id not in self.weighed and o.status == Status.DISPATCHED
                  and (d := snap.open_delivery.get(o.id)) is not None and d.handed_over_at is not None]
        for o in handed:
            self.weighed.add(o.id)
            if self.rng.random() >= P_WEIGH:
                continue
            with read_session(ctx.engine) as s:
                line = s.exec(select(OrderLine).where(OrderLine.order_id == o.id, OrderLine.category == "produce",
                                                      col(OrderLine.weight_g).is_not(None))).first()
            if line is None or not line.weight_g:
                continue
            ordered = line.weight_g * line.qty
            off = self.rng.uniform(0.08, 0.2) if self.rng.random() < P_WEIGHT_OFF else self.rng.uniform(0, 0.03)
            measured = round(ordered * (1 + self.rng.choice((-1, 1)) * off))
            try:
                anomalies.record_weight(ctx, str(o.id), line.sku, measured, SYSTEM)
                actions["weight_recorded"] += 1
            except ServiceError:
                pass

    # ---------------------------------------------------------------------------------- people

    def _work_alerts(self, ctx: AppContext, colleague: Actor, actions: Counter[str]) -> None:
        """The colleague takes one or two alerts a round a step further: acknowledge, own, resolve."""
        todo = [a for a in anomalies.list_alerts(ctx, limit=200)
                if a.id not in self.left and (a.owner in (None, colleague.id)) and a.escalated_to is None]
        for alert in todo:
            if alert.id not in self.seen:
                self.seen.add(alert.id)
                if self.rng.random() < P_LEAVE_ALERT:
                    self.left.add(alert.id)  # for the dispatcher at this console
        todo = [a for a in todo if a.id not in self.left][:2]
        for alert in todo:
            try:
                if alert.status == "open" and alert.acknowledged_by is None:
                    anomalies.acknowledge(ctx, alert.id, colleague)
                    actions["alert_acknowledge"] += 1
                elif alert.owner is None:
                    anomalies.take_ownership(ctx, alert.id, colleague)
                    actions["alert_own"] += 1
                else:
                    if alert.rule == "duplicate_order" and alert.order_id is not None:
                        self._cancel_duplicate(ctx, alert.order_id, colleague)
                    informed = True if alert.order_kind == "customer" else None
                    anomalies.resolve(ctx, alert.id, colleague, self.rng.choice(RESOLUTIONS), informed)
                    actions["alert_resolve"] += 1
            except ServiceError:
                continue

    def _cancel_duplicate(self, ctx: AppContext, order_id: int, colleague: Actor) -> None:
        with read_session(ctx.engine) as s:
            order = s.get(Order, order_id)
        if order is None:
            return
        with contextlib.suppress(ServiceError):  # already on the road or closed: the rules say no
            perform(ctx, order_id, Action.CANCEL, colleague, expected_version=order.version,
                    reason=CancelReason.DUPLICATE.value)

