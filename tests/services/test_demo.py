"""The demo city: `init_demo` on an empty database, and the simulator driven by a ManualClock."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.demo.catalog import COLLEAGUE_ID, OPERATORS
from ops_console.domain.service_requests import RequestStatus
from ops_console.domain.types import HUMAN_ROLES, TIER_ORDER, Action, RefusalReason, Status, Tier
from ops_console.services.cash import business_date, cash_day
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.demo import init_demo
from ops_console.services.demo_sim import SimSettings, Simulator, StepReport
from ops_console.services.demo_snapshot import read_snapshot
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import perform
from ops_console.services.operators import sign_in
from ops_console.storage.db import read_session
from ops_console.storage.models import (
    CashEntry,
    Courier,
    Delivery,
    Event,
    Order,
    ServiceRequest,
    Sku,
    Store,
    StoreKeyword,
)
from tests.conftest import DISPATCHER, T0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """One full demo init for the module's read-only checks (it takes a few seconds)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    ctx = AppContext.open(Settings(), ManualClock(T0), url=url)
    result = init_demo(ctx)
    assert result.created and result.state == "created"
    yield ctx
    ctx.close()


@pytest.fixture
def small_demo(tmp_path: Path, clock: ManualClock) -> Iterator[AppContext]:
    """A demo city with a short morning, for tests that change it."""
    ctx = AppContext.open(Settings(), clock, url=f"sqlite:///{tmp_path / 'small.db'}")
    init_demo(ctx, history_hours=0.2)
    yield ctx
    ctx.close()


def order_events(ctx: AppContext) -> dict[int, list[Event]]:
    with read_session(ctx.engine) as s:
        chains: dict[int, list[Event]] = defaultdict(list)
        for e in s.exec(select(Event).where(Event.subject_type == "order").order_by(Event.id)):  # type: ignore[arg-type]
            chains[e.order_id or 0].append(e)
        return chains


def assert_consistent_chains(ctx: AppContext) -> dict[int, list[Event]]:
    """Every order starts with `receive`; each event leaves from where the last one arrived, one
    version at a time, never back in time; the order's status is where its last event led.
    Customer orders only: a store's replenishment order starts with `place` (its own short lifecycle)."""
    with read_session(ctx.engine) as s:
        orders = {o.id: o for o in s.exec(select(Order).where(Order.kind == "customer"))}
    chains = {k: v for k, v in order_events(ctx).items() if k in orders}
    assert set(chains) == set(orders)
    for order_id, events in chains.items():
        assert events[0].action == Action.RECEIVE and events[0].from_status is None
        for before, after in itertools.pairwise(events):
            assert after.from_status == before.to_status, (orders[order_id].order_no, before.action, after.action)
            assert after.detail["version"] == before.detail["version"] + 1
            assert after.at >= before.at
        assert orders[order_id].status == events[-1].to_status
        assert orders[order_id].version == events[-1].detail["version"]
    return chains


def test_init_builds_the_district_couriers_goods_and_operators(demo: AppContext) -> None:
    with read_session(demo.engine) as s:
        stores = list(s.exec(select(Store)))
        keywords = Counter(k.store_id for k in s.exec(select(StoreKeyword)))
        couriers = list(s.exec(select(Courier)))
        skus = list(s.exec(select(Sku)))
    assert len(stores) >= 20
    assert all(keywords[store.id] >= 3 for store in stores)
    assert {c.tier for c in couriers} == {t.value for t in TIER_ORDER}
    company_stores = {c.store_id for c in couriers if c.tier == "company"}
    assert company_stores == {store.id for store in stores}  # every store has its own couriers
    assert len(skus) >= 200
    produce = [k for k in skus if k.category == "produce"]
    assert produce and all(k.unit == "500g" and k.step == 1 and k.weight_g == 500 for k in produce)
    steps = Counter(k.step for k in skus if k.category != "produce")
    assert steps[6] > 0 and steps[12] > 0
    assert all(k.price > 0 and k.stock >= 0 for k in skus)
    assert len({k.name for k in skus}) == len(skus)


def test_the_printed_pins_sign_in_for_every_role(demo: AppContext) -> None:
    roles = set()
    for op in OPERATORS:
        actor = sign_in(demo, op.id, op.pin)
        assert (actor.id, actor.name, actor.role.value) == (op.id, op.name, op.role)
        roles.add(actor.role)
    assert roles == set(HUMAN_ROLES)
    with pytest.raises(Refused):
        sign_in(demo, "U01", "0000")


def test_the_morning_has_orders_in_every_stage_with_consistent_event_chains(demo: AppContext) -> None:
    now = demo.clock.now()
    chains = assert_consistent_chains(demo)
    with read_session(demo.engine) as s:
        orders = list(s.exec(select(Order)))
    statuses = Counter(o.status for o in orders)
    for status in (Status.COMPLETED, Status.DELIVERED, Status.OUT_FOR_DELIVERY, Status.PICKING, Status.PICKED,
                   Status.HELD, Status.UNASSIGNED, Status.MANUAL_REVIEW, Status.REFUSED, Status.NOT_COMPLETED):
        assert statuses[status] >= 1, (status, statuses)
    assert statuses[Status.MANUAL_REVIEW] >= 2
    assert len(orders) >= 150
    # Unassigned orders of several ages: fresh, past the 10-minute warning, past the 30-minute limit.
    ages = sorted((now - o.unassigned_at).total_seconds() / 60 for o in orders
                  if o.status == Status.UNASSIGNED and o.unassigned_at)
    assert ages[0] < 10 and any(10 <= a < 30 for a in ages) and ages[-1] >= 30
    # The morning happened in the three hours before now, and nothing after it.
    times = [e.at for events in chains.values() for e in events]
    assert min(times) >= now - timedelta(hours=3, minutes=1) and max(times) <= now
    actions = Counter(e.action for events in chains.values() for e in events)
    for action in (Action.ASSIGN, Action.START_PICKING, Action.FINISH_PICKING, Action.DISPATCH, Action.HAND_OVER,
                   Action.CALL, Action.DELIVER, Action.CONFIRM, Action.REFUSE, Action.FAIL, Action.REVIEW_FAIL,
                   Action.RELEASE_HOLD, Action.ESCALATE):
        assert actions[action] >= 1, action
    # Everything was done by the system or the colleague dispatcher, never by anyone else.
    assert {e.actor for events in chains.values() for e in events} <= {"system", COLLEAGUE_ID}


def test_the_morning_has_realistic_orders(demo: AppContext) -> None:
    with read_session(demo.engine) as s:
        orders = list(s.exec(select(Order)))
    channels = Counter(o.channel for o in orders)
    assert len(channels) >= 4
    assert Counter(o.payment_method for o in orders)["cod"] >= 10
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in o.address) for o in orders)
    # Some addresses are in traditional characters (the matcher must fold them).
    assert any(ch in o.address for o in orders for ch in "區園號樓單門")
    assert any(o.amount >= 100_000 and o.payment_method == "cod" for o in orders)  # above the COD cap


def test_the_morning_plays_escalations_refusals_and_the_service_desk(demo: AppContext) -> None:
    """What the board and pane 4 show after `demo init`: capacity-driven escalations, refusals with
    their reasons and the decision after them, service requests walked by customer service, an
    exchange's replacement order, a cash refund in the courier's ledger."""
    desk = {op.id for op in OPERATORS if op.role == "customer_service"}
    with read_session(demo.engine) as s:
        escalations = list(s.exec(select(Event).where(Event.action == Action.ESCALATE.value)))
        deliveries = list(s.exec(select(Delivery)))
        requests = list(s.exec(select(ServiceRequest)))
        orders = {o.id: o for o in s.exec(select(Order))}
        service_events = list(s.exec(select(Event).where(Event.subject_type == "service_request")))
        refunds = list(s.exec(select(CashEntry).where(CashEntry.kind == "cash_refund")))
    # The proposal took orders past the company tier because the store's couriers were full.
    assert any(e.detail.get("reason") == "courier_at_capacity" for e in escalations), escalations
    assert {d.tier for d in deliveries if d.tier != Tier.COMPANY} & {Tier.THIRD_PARTY, Tier.STORE_STAFF,
                                                                     Tier.EMERGENCY}
    # Refusals carry their reason code; the colleague decided on each one not left for the console.
    refused = [d for d in deliveries if d.outcome == "refused"]
    assert refused and all(RefusalReason(d.reason_code) for d in refused)
    decided = [orders[d.order_id] for d in refused if orders[d.order_id].status != Status.REFUSED]
    assert decided
    # Requests opened and walked by customer service (U02 / U05), past confirmation.
    assert {e.actor for e in service_events} <= desk
    past = [r for r in requests if r.status not in (RequestStatus.REQUESTED, RequestStatus.CONFIRMED)]
    assert past and all(r.confirmed_by in desk for r in past)
    # An exchange made its replacement order for the same store, which the field then plays.
    swapped = [r for r in requests if r.replacement_order_id]
    assert swapped
    for r in swapped:
        replacement, original = orders[r.replacement_order_id], orders[r.order_id]
        assert replacement.order_no.startswith(f"{original.order_no}-X")
        assert replacement.store_id == original.store_id
    # A cash refund by the courier who collected the COD cash, in that courier's ledger to the fen.
    cash_requests = [r for r in requests if r.refund_method == "cash"]
    assert cash_requests and refunds
    for r in cash_requests:
        collected = sum(d.cod_collected or 0 for d in deliveries if d.order_id == r.order_id)
        assert r.courier_id in {d.courier_id for d in deliveries if d.order_id == r.order_id}
        assert 0 < r.amount <= collected
    day = business_date(demo.settings, demo.clock.now())
    ledger = {line.courier_id: line for line in cash_day(demo, day)}
    for courier_id in {e.courier_id for e in refunds}:
        paid = sum(e.amount for e in refunds if e.courier_id == courier_id)
        line = ledger[courier_id]
        assert line.refunds_paid == paid
        assert line.expected == line.float + line.cod_collected - paid - line.compensation


def test_a_second_init_changes_nothing(demo: AppContext) -> None:
    with read_session(demo.engine) as s:
        before = (s.exec(select(func.max(Event.id))).one(), s.exec(select(func.count()).select_from(Order)).one())
    again = init_demo(demo)
    assert not again.created and again.state == "not_empty"
    with read_session(demo.engine) as s:
        after = (s.exec(select(func.max(Event.id))).one(), s.exec(select(func.count()).select_from(Order)).one())
    assert after == before


def test_a_database_that_is_not_empty_is_left_alone_and_the_simulator_refuses_it(city: AppContext) -> None:
    with read_session(city.engine) as s:
        stores = s.exec(select(func.count()).select_from(Store)).one()
    result = init_demo(city)
    assert result.state == "not_empty"
    with read_session(city.engine) as s:
        assert s.exec(select(func.count()).select_from(Store)).one() == stores
        assert s.exec(select(func.count()).select_from(Event)).one() == 0
    with pytest.raises(Refused) as refused:
        Simulator(city, random.Random(1))
    assert "demo init" in refused.value.message


def test_the_simulator_creates_orders_and_plays_the_field(small_demo: AppContext, clock: ManualClock) -> None:
    with read_session(small_demo.engine) as s:
        first_new = (s.exec(select(func.max(Order.id))).one() or 0) + 1
    sim = Simulator(small_demo, random.Random(10), SimSettings(rate_per_minute=1.5, anomalies=False))  # the field alone
    created = 0
    for _ in range(120):  # one hour in 30-second steps
        clock.advance(seconds=30)
        created += len(sim.step().created)
    assert created >= 60
    chains = assert_consistent_chains(small_demo)
    mine = {oid: events for oid, events in chains.items() if oid >= first_new}
    assert len(mine) == created
    actions = Counter(e.action for events in mine.values() for e in events)
    for action in (Action.RECEIVE, Action.START_PICKING, Action.FINISH_PICKING, Action.DISPATCH,
                   Action.HAND_OVER, Action.CALL, Action.DELIVER, Action.CONFIRM):
        assert actions[action] >= 1, (action, actions)
    assert all(e.at <= clock.now() for events in mine.values() for e in events)


def test_the_same_seed_plays_the_same_city(tmp_path: Path) -> None:
    def play(name: str) -> list[tuple[str, str, str | None]]:
        clock = ManualClock(T0)
        ctx = AppContext.open(Settings(), clock, url=f"sqlite:///{tmp_path / name}")
        init_demo(ctx, history_hours=0.1, seed=5)
        # Many refusals and calls to customer service, so the desk's draws are compared too.
        sim = Simulator(ctx, random.Random(10), SimSettings(rate_per_minute=2, p_refuse=0.3, p_aftercare=0.6,
                                                            relief_minutes=(3, 6), anomalies=False))
        for _ in range(90):
            clock.advance(seconds=30)
            sim.step()
        with read_session(ctx.engine) as s:
            rows = s.exec(select(Event.subject_type, Event.subject_id, Event.actor, Event.action, Event.to_status)
                          .order_by(Event.id)).all()  # type: ignore[arg-type]
        ctx.close()
        return [tuple(r) for r in rows]

    first = play("a.db")
    assert len(first) > 50
    assert any(r[0] == "service_request" for r in first)
    assert first == play("b.db")


def test_the_manual_queue_is_left_to_the_dispatcher_until_it_waits_long(small_demo: AppContext,
                                                                       clock: ManualClock) -> None:
    sim = Simulator(small_demo, random.Random(3), SimSettings(rate_per_minute=0, relief_minutes=(20, 20)))
    order_id = sim.create_order(address=("江苏省淮渚市柳汀区某某路没有关键词的小区8栋", "S05"))
    assert order_id is not None
    for _ in range(18):  # 18 minutes: the colleague leaves it alone
        clock.advance(minutes=1)
        sim.step()
    with read_session(small_demo.engine) as s:
        assert s.get(Order, order_id).status == Status.UNASSIGNED
    for _ in range(4):
        clock.advance(minutes=1)
        sim.step()
    with read_session(small_demo.engine) as s:
        order = s.get(Order, order_id)
        assign = s.exec(select(Event).where(Event.order_id == order_id, Event.action == "assign")).one()
    assert (order.status, order.store_id, order.assign_method) in {
        ("assigned", "S05", "manual"), ("picking", "S05", "manual")}
    assert assign.actor == COLLEAGUE_ID


def test_a_person_who_acts_first_wins_over_the_simulator(small_demo: AppContext, clock: ManualClock) -> None:
    sim = Simulator(small_demo, random.Random(5), SimSettings(rate_per_minute=0))
    order_id = sim.create_order(address=("梧桐苑3栋2单元501室", "S01"))
    assert order_id is not None
    if _status(small_demo, order_id) == Status.UNASSIGNED:  # the matcher may have assigned it already
        perform(small_demo, order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    clock.advance(minutes=5)
    seen = read_snapshot(small_demo)  # the simulator looks at the board ...
    row = next(o for o in seen.orders if o.id == order_id)
    perform(small_demo, order_id, Action.CANCEL, DISPATCHER, reason="customer_cancelled")  # ... a person acts
    report = StepReport(clock.now())
    sim._do(small_demo, row, Action.START_PICKING, SYSTEM, {}, report, seen)  # ... the store's click comes late
    assert report.lost == 1 and not report.actions
    assert _status(small_demo, order_id) == Status.CANCELLED
    sim.step()  # and the next step leaves the cancelled order alone
    assert _status(small_demo, order_id) == Status.CANCELLED


def _status(ctx: AppContext, order_id: int) -> str:
    with read_session(ctx.engine) as s:
        order = s.get(Order, order_id)
        assert order is not None
        return order.status


def test_couriers_back_from_the_road_hand_in_their_cash_at_the_end_of_the_day(small_demo: AppContext,
                                                                              clock: ManualClock) -> None:
    sim = Simulator(small_demo, random.Random(9), SimSettings(rate_per_minute=0))
    sim.step()
    day = business_date(small_demo.settings, clock.now())
    assert not any(line.handed_in for line in cash_day(small_demo, day))  # 10:00: the day is on
    clock.advance(hours=11)  # 21:00 local, the shift is over; the field finishes its trips
    for _ in range(8):  # until 23:40, before the business day turns
        clock.advance(minutes=20)
        sim.step()
    lines = cash_day(small_demo, day)
    on_road = read_snapshot(small_demo).load
    back = [line for line in lines if not on_road[line.courier_id]]
    assert back and any(line.cod_collected for line in back)
    for line in back:  # each hands in what it should hold, to the fen: nothing left over, nothing missing
        assert line.handed_in == line.expected, line
    with read_session(small_demo.engine) as s:
        events = list(s.exec(select(Event).where(Event.action == "cash_handed_in")))
    assert len(events) == len([line for line in back if line.expected > 0])
    assert {e.actor for e in events} == {COLLEAGUE_ID}


def test_the_morning_feeds_the_alert_feed_with_many_rules_held_orders_and_worked_alerts(demo: AppContext) -> None:
    """The seeded morning leaves alerts of many rules, a held replenishment order for this console,
    and alerts a colleague resolved with a text (issue #15: the feed is never empty for long)."""
    from ops_console.storage.models import Anomaly

    with read_session(demo.engine) as s:
        alerts = list(s.exec(select(Anomaly)))
        held = s.exec(select(Order).where(Order.kind == "replenishment", Order.status == "on_hold")).all()
    rules = {a.rule for a in alerts}
    assert len(rules) >= 8, rules
    assert {"picking_overdue", "outside_reorder_window", "payment_failed", "weight_deviation"} <= rules
    assert held
    worked = [a for a in alerts if a.status == "resolved" and a.resolved_by == COLLEAGUE_ID and a.resolution]
    assert worked
