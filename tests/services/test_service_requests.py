"""Service requests through every status, the policy, the refund deadline, an exchange's replacement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ops_console.domain.types import Action
from ops_console.services.errors import Conflict, Refused
from ops_console.services.lifecycle import order_history, order_lines, perform
from ops_console.services.reminders import run_checks
from ops_console.services.service_requests import (
    act,
    exchange,
    get_request,
    list_requests,
    open_request,
    refund,
)
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import CashEntry, Event, OrderLine, Reminder
from tests.conftest import CS, DISPATCHER, SUPERVISOR
from tests.factories import new_order


def delivered(ctx, no: str, *, payment: str = "online", produce: bool = False, till: int | None = None) -> None:
    new_order(ctx, no, payment=payment)
    if not produce:
        with write_session(ctx.engine) as s:
            for line in s.exec(select(OrderLine)):
                if line.category == "produce" and line.order_id == order_history(ctx, no)[0].id:
                    line.category = "default"
                    s.add(line)
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}),
                       (Action.FINISH_PICKING, {}), (Action.DISPATCH, {"courier_id": "C01"}),
                       (Action.HAND_OVER, {"till_receipt": "R1", "till_amount": till}),
                       (Action.CALL, {"outcome": "now"}), (Action.DELIVER, {})):
        perform(ctx, no, action, DISPATCHER, **kw)


def request_events(ctx, request_id: int) -> list[tuple[str, str, str | None, str]]:
    with read_session(ctx.engine) as s:
        return [(e.action, e.actor, e.from_status, e.to_status or "") for e in s.exec(
            select(Event).where(Event.subject_type == "service_request", Event.subject_id == str(request_id))
            .order_by(Event.id))]


def test_a_return_through_every_status_and_a_dispatcher_may_not_confirm(city) -> None:
    ctx = city
    delivered(ctx, "R1", payment="cod")  # 2 × 3.50 = 7.00 collected in cash at the door
    view = open_request(ctx, "R1", "return", "包装破损,要求退货", DISPATCHER, reason="wrong_items")
    assert (view.status, view.type, view.order_no) == ("requested", "return", "R1")

    with pytest.raises(Refused) as refused:
        act(ctx, view.id, "confirm", DISPATCHER)
    assert "调度" in refused.value.message and "客服" in refused.value.message
    assert get_request(ctx, view.id).status == "requested"

    steps = [("confirm", CS), ("contact", CS), ("pickup", DISPATCHER)]
    for step, actor in steps:
        ctx.clock.advance(minutes=10)
        act(ctx, view.id, step, actor)
    with pytest.raises(Refused):  # a return is paid back in cash by a courier who is named
        refund(ctx, view.id, "cash", CS)
    done = refund(ctx, view.id, "cash", CS, courier_id="C03")
    assert (done.status, done.refund_method, done.refund_amount, done.courier_id) == ("refunded", "cash", 700, "C03")
    closed = act(ctx, view.id, "close", CS)
    assert closed.status == "closed" and closed.deadline is None
    assert request_events(ctx, view.id) == [
        ("service_open", "U01", None, "requested"), ("service_confirm", "U02", "requested", "confirmed"),
        ("service_contact", "U02", "confirmed", "contacted"), ("service_pickup", "U01", "contacted", "picked_up"),
        ("service_refund", "U02", "picked_up", "refunded"), ("service_close", "U02", "refunded", "closed")]
    with read_session(ctx.engine) as s:
        refunds = [(c.courier_id, c.kind, c.amount) for c in s.exec(select(CashEntry).where(
            CashEntry.kind == "cash_refund"))]
    assert refunds == [("C03", "cash_refund", 700)]
    assert list_requests(ctx) == [] and [v.id for v in list_requests(ctx, include_closed=True)] == [view.id]


def test_refund_complaint_and_decline_take_their_own_steps(city) -> None:
    ctx = city
    delivered(ctx, "O1")
    r = open_request(ctx, "O1", "refund", "少送一件", CS)
    for step in ("confirm", "contact"):
        act(ctx, r.id, step, CS)
    with pytest.raises(Refused):  # a refund request has no pick-up
        act(ctx, r.id, "pickup", CS)
    with pytest.raises(Refused) as too_much:
        refund(ctx, r.id, "online", CS, amount=701)
    assert "7.01" in too_much.value.message and "7.00" in too_much.value.message
    assert refund(ctx, r.id, "online", CS, amount=350).refund_amount == 350

    c = open_request(ctx, "O1", "complaint", "配送员态度差", CS, reason="service_attitude")
    with pytest.raises(Refused):  # nothing is done before customer service confirms
        act(ctx, c.id, "contact", CS)
    act(ctx, c.id, "confirm", SUPERVISOR)  # a supervisor may do what customer service does
    act(ctx, c.id, "contact", CS)
    assert act(ctx, c.id, "close", CS).status == "closed"

    x = open_request(ctx, "O1", "exchange", "想换个口味", CS)
    with pytest.raises(Conflict):
        open_request(ctx, "O1", "exchange", "again", CS)
    with pytest.raises(Refused):
        act(ctx, x.id, "decline", CS)  # declining says why
    assert act(ctx, x.id, "decline", CS, note="已拆封,不符合换货条件").status == "declined"
    assert act(ctx, x.id, "close", CS).status == "closed"


def test_the_policy_window_and_the_produce_rule(city) -> None:
    ctx = city
    delivered(ctx, "P1", produce=True)
    with pytest.raises(Refused) as not_quality:
        open_request(ctx, "P1", "return", "不想要了", CS)
    assert "质量" in not_quality.value.message
    assert open_request(ctx, "P1", "return", "菜叶发黄", CS, reason="quality").status == "requested"
    delivered(ctx, "P2", produce=True)
    ctx.clock.advance(hours=25)
    with pytest.raises(Refused) as late:
        open_request(ctx, "P2", "exchange", "菜叶发黄", CS, reason="quality")
    assert "24" in late.value.message
    delivered(ctx, "G1")
    ctx.clock.advance(days=7, seconds=1)
    with pytest.raises(Refused) as window:
        open_request(ctx, "G1", "return", "不想要了", CS)
    assert "7" in window.value.message
    assert open_request(ctx, "G1", "complaint", "上周的服务问题", CS).status == "requested"  # always heard
    new_order(ctx, "U1")
    with pytest.raises(Refused):  # not delivered: nothing to return
        open_request(ctx, "U1", "return", "x", CS)


def test_the_refund_deadline_skips_a_holiday_and_counts_an_extra_workday(city) -> None:
    ctx = city
    delivered(ctx, "D1")
    # Opened Tuesday 2026-11-24 (Shanghai); 3 workdays: Wed 25, (Thu 26 holiday), Fri 27, Mon 30.
    ctx.settings = ctx.settings.replace(returns={"holidays": ["2026-11-26"]})
    r = open_request(ctx, "D1", "refund", "重复扣款", CS)
    assert r.deadline == ctx.clock.now() + timedelta(hours=24)  # first contact first
    act(ctx, r.id, "confirm", CS)
    r = act(ctx, r.id, "contact", CS)
    assert r.deadline_kind == "refund"
    assert r.deadline == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # end of Monday 30th, local time
    # Without the holiday: Wed, Thu, Fri; with the holiday and Saturday 28th worked: Wed, Fri, Sat.
    ctx.settings = ctx.settings.replace(returns={"holidays": []})
    assert get_refund_due(ctx, "D1", "退款2") == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    ctx.settings = ctx.settings.replace(returns={"holidays": ["2026-11-26"], "extra_workdays": ["2026-11-28"]})
    assert get_refund_due(ctx, "D1", "退款3") == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def get_refund_due(ctx, order: str, text: str) -> datetime:
    r = open_request(ctx, order, "return", text, CS, reason="quality")
    with read_session(ctx.engine) as s:
        from ops_console.storage.models import ServiceRequest

        row = s.get(ServiceRequest, r.id)
        due = row.refund_due_at
    act(ctx, r.id, "decline", CS, note="test")
    return due


def test_a_reminder_before_the_contact_limit_is_missed_and_it_closes_when_done(city) -> None:
    ctx = city
    delivered(ctx, "M1")
    r = open_request(ctx, "M1", "refund", "未收到退款", CS)
    ctx.clock.advance(hours=20, seconds=-1)
    run_checks(ctx)
    with read_session(ctx.engine) as s:
        assert s.exec(select(Reminder).where(Reminder.kind == "service_request_due")).all() == []
    ctx.clock.advance(seconds=1)  # 4 hours (returns.remind_before_hours) before the 24 h contact limit
    (raised,) = [c for c in run_checks(ctx) if c.reminder.kind == "service_request_due"]
    assert raised.change == "raised" and "M1" in raised.reminder.message("en")
    assert "first contact" in raised.reminder.message("en")
    act(ctx, r.id, "confirm", CS)
    act(ctx, r.id, "contact", CS)
    ctx.clock.advance(seconds=15)
    closed = [c for c in run_checks(ctx) if c.reminder.kind == "service_request_due"]
    assert [c.change for c in closed] == ["closed"]


def test_an_exchange_creates_the_replacement_order_for_the_same_store(city) -> None:
    ctx = city
    delivered(ctx, "X1", payment="cod")
    r = open_request(ctx, "X1", "exchange", "换成大瓶装", CS, reason="wrong_items")
    for step in ("confirm", "contact", "pickup"):
        act(ctx, r.id, step, CS)
    view, order_no = exchange(ctx, r.id, CS)
    assert view.status == "exchanged" and view.replacement_order_no == order_no == "X1-X1"
    order, events = order_history(ctx, order_no)
    assert (order.status, order.store_id, order.assign_method) == ("assigned", "S01", "manual")
    assert (order.payment_method, order.payment_status, order.amount) == ("online", "paid", 700)  # no cash again
    assert [(e.action, e.detail.get("review")) for e in events] == [
        ("receive", None), ("review_pass", "skipped_exchange"), ("assign", None)]
    assert [(li.sku, li.qty, li.unit_price) for li in order_lines(ctx, order.id)] == [("P001", 2, 350)]
    # It goes through the normal flow from here.
    perform(ctx, order_no, Action.START_PICKING, DISPATCHER)
    assert act(ctx, r.id, "close", CS).status == "closed"
