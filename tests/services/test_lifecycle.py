"""The lifecycle service: every action of the table, role refusals, readable errors, the event log."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlmodel import select

from ops_console.domain.lifecycle import LIFECYCLE
from ops_console.domain.types import Action, Status
from ops_console.i18n import set_language
from ops_console.services.context import SYSTEM
from ops_console.services.errors import Conflict, Refused
from ops_console.services.lifecycle import order_history, perform
from ops_console.storage.db import read_session
from ops_console.storage.models import CashEntry, Delivery, Event, Order
from tests.conftest import CS, DISPATCHER, SUPERVISOR
from tests.factories import new_order


def status(ctx, ref: str) -> str:
    order, _ = order_history(ctx, ref)
    return order.status


def test_every_action_of_the_table_is_walked(city) -> None:
    ctx = city
    taken: set[Action] = set()

    def do(ref: str, action: Action, actor=DISPATCHER, **kw) -> None:
        out = perform(ctx, ref, action, actor, **kw)
        taken.add(action)
        ctx.clock.advance(minutes=1)
        assert out.to_status == Status(status(ctx, ref))

    # A: the happy path, with claim, shortage, hold, hand-over and confirm.
    new_order(ctx, "A1")
    taken |= {Action.RECEIVE, Action.REVIEW_PASS}
    assert status(ctx, "A1") == "unassigned"
    do("A1", Action.CLAIM)
    do("A1", Action.RELEASE)
    do("A1", Action.ASSIGN, store_id="S02")
    do("A1", Action.REASSIGN, store_id="S01")
    do("A1", Action.START_PICKING)
    do("A1", Action.REPORT_SHORTAGE, resolution="substitute", note="换成小白菜")
    do("A1", Action.FINISH_PICKING)
    do("A1", Action.ESCALATE, reason="no_free_courier")
    do("A1", Action.DISPATCH, courier_id="C03")
    do("A1", Action.UNDISPATCH, reason="vehicle_problem")
    do("A1", Action.DISPATCH, courier_id="C03")
    do("A1", Action.HAND_OVER, till_receipt="R-1", till_amount=700)
    appointment = ctx.clock.now() + timedelta(hours=2)
    do("A1", Action.CALL, outcome="appointment", appointment_at=appointment)
    assert status(ctx, "A1") == "held"
    do("A1", Action.RELEASE_HOLD)
    do("A1", Action.CALL, outcome="now")
    do("A1", Action.REVEAL_PHONE, actor=CS)
    do("A1", Action.DELIVER)
    do("A1", Action.CONFIRM, actor=CS)
    assert status(ctx, "A1") == "completed"

    # B: manual review, refusal, redispatch, failure, cancel.
    new_order(ctx, "B1", sku="F001", qty=5, price=1590)  # stock 3 < 5 → manual review
    assert status(ctx, "B1") == "manual_review"
    taken.add(Action.REVIEW_FAIL)
    do("B1", Action.APPROVE)
    do("B1", Action.ASSIGN, store_id="S01")
    do("B1", Action.START_PICKING)
    do("B1", Action.FINISH_PICKING)
    do("B1", Action.DISPATCH, courier_id="C01")
    do("B1", Action.CALL, outcome="now")
    do("B1", Action.REFUSE, reason="quality")
    do("B1", Action.REDISPATCH)
    do("B1", Action.DISPATCH, courier_id="C01")
    do("B1", Action.CALL, outcome="now")
    do("B1", Action.FAIL, reason="customer_absent")
    do("B1", Action.CANCEL, actor=CS, reason="customer_cancelled")

    # C: reject in review; D: store cannot supply → emergency team, COD delivery with cash booked.
    new_order(ctx, "C1", sku="F001", qty=9, price=1590)
    do("C1", Action.REJECT, reason_text="无货")
    new_order(ctx, "D1", payment="cod")
    do("D1", Action.ASSIGN, store_id="S01")
    do("D1", Action.ESCALATE, reason="store_cannot_supply")
    order, _ = order_history(ctx, "D1")
    assert order.tier == "emergency"
    do("D1", Action.DISPATCH, courier_id="C05")
    do("D1", Action.HAND_OVER)  # the emergency team bypasses the till
    do("D1", Action.CALL, outcome="now")
    do("D1", Action.DELIVER)

    assert taken == set(LIFECYCLE), set(LIFECYCLE) - taken
    with read_session(ctx.engine) as s:
        cash = s.exec(select(CashEntry)).all()
        assert [(c.courier_id, c.kind, c.amount) for c in cash] == [("C05", "cod_collected", 700)]
        attempts = s.exec(select(Delivery).join(Order).where(Order.order_no == "B1")).all()
        assert [d.outcome for d in attempts] == ["refused", "not_completed"]


def test_events_record_who_when_from_to_and_chain_without_gaps(city) -> None:
    ctx = city
    new_order(ctx, "E1")
    perform(ctx, "E1", Action.ASSIGN, DISPATCHER, store_id="S01")
    perform(ctx, "E1", Action.START_PICKING, DISPATCHER)
    order, events = order_history(ctx, "E1")
    assert [e.action for e in events] == ["receive", "review_pass", "assign", "start_picking"]
    assert [e.actor for e in events] == ["system", "system", "U01", "U01"]
    assert events[-1].detail["on_behalf_of"] == "store"
    for before, after in itertools.pairwise(events):
        assert before.to_status == after.from_status
    assert [e.detail["version"] for e in events] == [1, 2, 3, 4] == list(range(1, order.version + 1))
    assert all(e.at.tzinfo is not None for e in events)


@pytest.mark.parametrize(
    ("actor", "action", "kw"),
    [
        (CS, Action.ASSIGN, {"store_id": "S01"}),  # customer service does not dispatch
        (DISPATCHER, Action.REVIEW_PASS, {}),  # automatic review is the system's
        (SUPERVISOR, Action.REVIEW_FAIL, {"reason": "data"}),  # not even a supervisor fakes a review
        (SYSTEM, Action.CANCEL, {"reason": "duplicate"}),  # cancelling needs a person
    ],
)
def test_one_refused_action_per_role(city, actor, action, kw) -> None:
    new_order(city, "R1")
    with pytest.raises(Refused) as err:
        perform(city, "R1", action, actor, **kw)
    assert status(city, "R1") == "unassigned"
    assert "无权" in err.value.message
    with read_session(city.engine) as s:
        assert len(s.exec(select(Event).where(Event.order_id == 1)).all()) == 2


def test_refusal_says_who_did_what_when(city) -> None:
    ctx = city
    new_order(ctx, "MT9001")
    ctx.clock.set(ctx.clock.now().replace(hour=2, minute=42))  # 10:42 in Shanghai
    perform(ctx, "MT9001", Action.ASSIGN, DISPATCHER, store_id="S01")
    with pytest.raises(Refused) as err:
        perform(ctx, "MT9001", Action.ASSIGN, SUPERVISOR, store_id="S02")
    assert "MT9001" in err.value.message and "阳光店" in err.value.message
    assert "王丽" in err.value.message and "10:42" in err.value.message
    set_language("en")
    assert err.value.message == "order MT9001 is already assigned to 阳光店 by 王丽 at 10:42; cannot assign"


def test_stale_version_loses_with_a_clear_message(city) -> None:
    ctx = city
    new_order(ctx, "V1")
    seen = order_history(ctx, "V1")[0].version
    perform(ctx, "V1", Action.CLAIM, DISPATCHER, expected_version=seen)
    with pytest.raises(Conflict) as err:
        perform(ctx, "V1", Action.ASSIGN, SUPERVISOR, expected_version=seen, store_id="S01")
    assert "王丽" in err.value.message
    assert status(ctx, "V1") == "unassigned"


def test_reason_codes_are_checked(city) -> None:
    new_order(city, "X1")
    with pytest.raises(Refused) as err:
        perform(city, "X1", Action.CANCEL, DISPATCHER, reason="bored")
    assert "customer_cancelled" in err.value.message
    with pytest.raises(Refused):
        perform(city, "X1", Action.CANCEL, DISPATCHER, reason="other")  # other needs a text
    perform(city, "X1", Action.CANCEL, DISPATCHER, reason="other", reason_text="客户电话取消")
    assert status(city, "X1") == "cancelled"


def test_claim_is_exclusive(city) -> None:
    new_order(city, "K1")
    perform(city, "K1", Action.CLAIM, DISPATCHER)
    with pytest.raises(Refused) as err:
        perform(city, "K1", Action.CLAIM, CS)
    assert "王丽" in err.value.message
    perform(city, "K1", Action.RELEASE, SUPERVISOR)  # a supervisor may free a forgotten claim


def test_company_courier_must_be_of_the_store_and_tier(city) -> None:
    ctx = city
    new_order(ctx, "T1")
    perform(ctx, "T1", Action.ASSIGN, DISPATCHER, store_id="S01")
    perform(ctx, "T1", Action.START_PICKING, DISPATCHER)
    perform(ctx, "T1", Action.FINISH_PICKING, DISPATCHER)
    with pytest.raises(Refused):
        perform(ctx, "T1", Action.DISPATCH, DISPATCHER, courier_id="C02")  # S02's courier
    with pytest.raises(Refused):
        perform(ctx, "T1", Action.DISPATCH, DISPATCHER, courier_id="C03")  # third party, tier is company
    perform(ctx, "T1", Action.DISPATCH, DISPATCHER, courier_id="C01")
    assert status(ctx, "T1") == "dispatched"


def test_address_correction_to_another_store_sends_back_to_queue(city) -> None:
    ctx = city
    new_order(ctx, "AC1")
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}), (Action.FINISH_PICKING, {}),
                       (Action.DISPATCH, {"courier_id": "C01"})):
        perform(ctx, "AC1", action, DISPATCHER, **kw)
    perform(ctx, "AC1", Action.CALL, DISPATCHER, outcome="address_corrected", address="河畔花园1栋", store_id="S02")
    order, _ = order_history(ctx, "AC1")
    assert (order.status, order.store_id, order.courier_id) == ("unassigned", None, None)
    assert order.address == "河畔花园1栋"
    assert order.unassigned_at == ctx.clock.now()  # the backlog clock restarts
