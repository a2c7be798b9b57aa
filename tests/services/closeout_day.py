"""One business day (2026-11-24, Shanghai) built through the services with a fixed clock, for the
closeout tests. Every figure the tests expect is worked out by hand in test_closeout.py from the
timeline below.

| order | channel | pay | what happens (local times) |
|---|---|---|---|
| A | meituan | online 7.00 | 10:00 received, auto-assigned S01; picking 10:02–10:05; C01 10:10; out 10:15; delivered 10:40; confirmed 10:50 |
| B | eleme | COD 35.00 | 10:10 received; backlog reminder 10:21 (ack 10:24); U01 assigns 10:22; picking 10:25–10:35; C01 10:40; out 10:45; delivered 11:30 (late); return with cash refund 12:30/12:40 |
| C | jd | online 7.00 | 11:00; U01 11:05; picking 11:06–11:09; escalated (no free courier) 11:20; C03 11:25; appointment 13:00 (held 11:30); released 12:40; out 12:45; delivered 13:05; confirmed 13:30 |
| D | app | online 7.00 | 11:30; U01 → S02 11:31; picking 11:32–11:35; C02 11:40; out 11:45; refused (quality) 12:00 |
| E | meituan | online 7.00 | 12:00; cancelled (out of area) 12:05 |
| F | phone | online 79.50 | call 12:08, entered 12:15: manual review (stock); rejected 12:20 |
| G | meituan | COD 12.00 | weighed produce 1.5 kg; 13:00; U01 13:10; picking 13:11–13:14; C01 13:20; out 13:25; failed (customer absent) 13:50 |
| H | eleme | online 7.00 | 14:00; U01 14:02; store cannot supply → emergency 14:05; C05 14:10; hand-over; out 14:15; delivered 14:45 |
| I | meituan | online 7.00 | 23:50 (late night); U01 assigns 00:10 next day; picking 00:12–00:15; C01 00:20; out 00:25; delivered 00:40 |

Beside the lifecycle, all through the services: cash floats issued by the supervisor (C01 200.00,
C05 100.00; C02 and C03 worked without one booked, so they carry the standard float
`cash.float_default` 200.00), the emergency team's compensation for H (10.00), B's return (opened
12:30, confirmed, contacted, picked up, refunded in cash by C01 12:40: 35.00), two anomalies (a
staff report on E, open; G weighed 1.40 kg of 1.50 at 13:30, resolved), and a replenishment order of
S02 placed at 13:30 (10 × 50.00, COD 500.00). `actions` tallies the events each call wrote per
operator on the 24th.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.domain.types import Action
from ops_console.services import anomalies, cash, replenishment_intake, service_requests
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.lifecycle import perform
from ops_console.services.receiving import receive_order
from ops_console.services.reminders import acknowledge, run_checks
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Event, Order, OrderLine, Reminder, Sku
from tests.conftest import CS, DISPATCHER, SUPERVISOR

SH = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-24"


def at(h: int, m: int, day: int = 24) -> datetime:
    return datetime(2026, 11, day, h, m, tzinfo=SH).astimezone(UTC)


def add_rows(ctx: AppContext, *rows: Any) -> None:
    """Rows with no service of their own in the day (catalogue entries, a test's stray rows)."""
    with write_session(ctx.engine) as s:
        for row in rows:
            s.add(row)


class Day:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        assert isinstance(ctx.clock, ManualClock)
        self.clock: ManualClock = ctx.clock
        self.actions: Counter[str] = Counter()  # events by operator on the 24th (hand tally)

    def receive(self, no: str, when: datetime, *, channel: str, payment: str = "online", sku: str = "P001",
                qty: float = 2, price: int = 350, weight_g: int | None = None, call_minutes: int = 0) -> None:
        self.clock.set(when)
        with write_session(self.ctx.engine) as s:
            amount = round(qty * price)
            order = Order(channel=channel, order_no=no, status="received", customer_name="赵女士",
                          phone="13812341234", address="阳光小区3栋2单元501", payment_method=payment,
                          payment_status="paid" if payment == "online" else "pending",
                          paid_amount=amount if payment == "online" else 0,
                          placed_at=when - timedelta(minutes=call_minutes))
            line = OrderLine(order_id=0, sku=sku, name="x", category="produce", qty=qty, unit_price=price,
                             weight_g=weight_g)
            receive_order(s, self.ctx, order, [line], match_address=False,
                          evaluate=False)  # the day's anomalies are the hand-made rows below

    def do(self, no: str, when: datetime, action: Action, actor: Actor = DISPATCHER, **kw: Any) -> None:
        self.clock.set(when)
        perform(self.ctx, no, action, actor, **kw)
        if not actor.is_system and when < at(0, 0, 25):
            self.actions[actor.id] += 1

    def call(self, when: datetime, fn: Any, *args: Any, **kw: Any) -> Any:
        """Another service's call at `when`; the events it wrote count as their operators' actions."""
        self.clock.set(when)
        with read_session(self.ctx.engine) as s:
            last = max(s.exec(select(Event.id)).all() or [0])
        out = fn(*args, **kw)
        with read_session(self.ctx.engine) as s:
            for who in s.exec(select(Event.actor).where(Event.id > last)):
                if who != SYSTEM.id and when < at(0, 0, 25):
                    self.actions[who] += 1
        return out


def build_day(ctx: AppContext) -> Day:
    d = Day(ctx)
    A = Action
    add_rows(ctx, Sku(code="P002", name="西红柿(称重)", category="produce", unit="kg", step=1, price=800, stock=100),
             Sku(code="R001", name="东北大米 10kg", category="default", unit="袋", step=1, price=5000, stock=500))
    d.call(at(9, 0), cash.issue_float, ctx, "C01", SUPERVISOR, 20000)
    d.call(at(9, 0), cash.issue_float, ctx, "C05", SUPERVISOR, 10000)

    d.receive("A", at(10, 0), channel="meituan")
    d.do("A", at(10, 0), A.ASSIGN, SYSTEM, store_id="S01")
    d.do("A", at(10, 2), A.START_PICKING)
    d.do("A", at(10, 5), A.FINISH_PICKING)
    d.do("A", at(10, 10), A.DISPATCH, courier_id="C01")

    d.receive("B", at(10, 10), channel="eleme", payment="cod", qty=10)
    d.do("A", at(10, 15), A.CALL, outcome="now")
    d.clock.set(at(10, 21))
    raised = run_checks(ctx)
    assert [c.reminder.kind for c in raised] == ["backlog_warn"], raised
    d.do("B", at(10, 22), A.ASSIGN, store_id="S01")
    d.clock.set(at(10, 24))
    acknowledge(ctx, raised[0].reminder.id, DISPATCHER)
    d.actions[DISPATCHER.id] += 1
    d.do("B", at(10, 25), A.START_PICKING)
    d.do("B", at(10, 35), A.FINISH_PICKING)
    d.do("A", at(10, 40), A.DELIVER)
    d.do("B", at(10, 40), A.DISPATCH, courier_id="C01")
    d.do("B", at(10, 45), A.CALL, outcome="now")
    d.do("A", at(10, 50), A.CONFIRM, CS)

    d.receive("C", at(11, 0), channel="jd")
    d.do("C", at(11, 5), A.ASSIGN, store_id="S01")
    d.do("C", at(11, 6), A.START_PICKING)
    d.do("C", at(11, 9), A.FINISH_PICKING)
    d.do("C", at(11, 20), A.ESCALATE, reason="no_free_courier")
    d.do("C", at(11, 25), A.DISPATCH, courier_id="C03")
    d.do("C", at(11, 30), A.CALL, outcome="appointment", appointment_at=at(13, 0))
    d.do("B", at(11, 30), A.DELIVER)

    d.receive("D", at(11, 30), channel="app")
    d.do("D", at(11, 31), A.ASSIGN, store_id="S02")
    d.do("D", at(11, 32), A.START_PICKING)
    d.do("D", at(11, 35), A.FINISH_PICKING)
    d.do("D", at(11, 40), A.DISPATCH, courier_id="C02")
    d.do("D", at(11, 45), A.CALL, outcome="now")
    d.do("D", at(12, 0), A.REFUSE, reason="quality")

    d.receive("E", at(12, 0), channel="meituan")
    d.do("E", at(12, 5), A.CANCEL, reason="out_of_area")
    d.call(at(12, 6), anomalies.report, ctx, "E", "顾客称下单数量被改过", DISPATCHER)

    # A phone order entered 7 minutes after the call began (entry limit 5); stock 3 < 5: manual review.
    d.receive("F", at(12, 15), channel="phone", sku="F001", qty=5, price=1590, call_minutes=7)
    d.do("F", at(12, 20), A.REJECT, reason_text="库存不足")

    ret = d.call(at(12, 30), service_requests.open_request, ctx, "B", "return", "菜叶发黄", CS, reason="quality")
    for step, minute in (("confirm", 31), ("contact", 32), ("pickup", 38)):
        d.call(at(12, minute), service_requests.act, ctx, ret.id, step, CS)
    d.call(at(12, 40), service_requests.refund, ctx, ret.id, "cash", CS, courier_id="C01")

    d.do("C", at(12, 40), A.RELEASE_HOLD)
    d.do("C", at(12, 45), A.CALL, outcome="now")

    d.receive("G", at(13, 0), channel="meituan", payment="cod", sku="P002", qty=1.5, price=800, weight_g=1500)
    d.do("C", at(13, 5), A.DELIVER)
    d.do("G", at(13, 10), A.ASSIGN, store_id="S01")
    d.do("G", at(13, 11), A.START_PICKING)
    d.do("G", at(13, 14), A.FINISH_PICKING)
    d.do("G", at(13, 20), A.DISPATCH, courier_id="C01")
    d.do("G", at(13, 25), A.CALL, outcome="now")
    d.do("C", at(13, 30), A.CONFIRM, CS)
    weight = d.call(at(13, 30), anomalies.record_weight, ctx, "G", "P002", 1400, DISPATCHER)
    assert weight is not None
    d.call(at(13, 32), anomalies.resolve, ctx, weight, DISPATCHER, "补足", informed=True)
    d.call(at(13, 33), replenishment_intake.place, ctx, "S02", {"R001": 10}, DISPATCHER)
    d.do("G", at(13, 50), A.FAIL, reason="customer_absent")

    d.receive("H", at(14, 0), channel="eleme")
    d.do("H", at(14, 2), A.ASSIGN, store_id="S01")
    d.do("H", at(14, 5), A.ESCALATE, reason="store_cannot_supply")
    d.do("H", at(14, 10), A.DISPATCH, courier_id="C05")
    d.do("H", at(14, 12), A.HAND_OVER)
    d.do("H", at(14, 15), A.CALL, outcome="now")
    d.do("H", at(14, 45), A.DELIVER)
    d.call(at(15, 0), cash.record_compensation, ctx, "C05", 1000, "交接时压坏一盒鸡蛋", SUPERVISOR, order_ref="H")

    d.receive("I", at(23, 50), channel="meituan")
    d.do("I", at(0, 10, 25), A.ASSIGN, store_id="S01")
    d.do("I", at(0, 12, 25), A.START_PICKING)
    d.do("I", at(0, 15, 25), A.FINISH_PICKING)
    d.do("I", at(0, 20, 25), A.DISPATCH, courier_id="C01")
    d.do("I", at(0, 25, 25), A.CALL, outcome="now")
    d.do("I", at(0, 40, 25), A.DELIVER)
    d.clock.set(at(1, 0, 25))
    with read_session(ctx.engine) as s:
        open_reminders = s.exec(select(Reminder).where(Reminder.status == "open")).all()
    assert not [r for r in open_reminders if r.severity == "critical"]
    return d

