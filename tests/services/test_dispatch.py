"""Courier capacity and the proposal of the next courier, with a fixed clock."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ops_console.domain.types import Action, Tier
from ops_console.services.dispatch import dispatch_proposal, proposal_for_order, propose
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import order_history, perform
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Courier, Event
from tests.conftest import DISPATCHER
from tests.factories import new_order


def picked(ctx, no: str, store: str = "S01") -> None:
    new_order(ctx, no)
    perform(ctx, no, Action.ASSIGN, DISPATCHER, store_id=store)
    perform(ctx, no, Action.START_PICKING, DISPATCHER)
    perform(ctx, no, Action.FINISH_PICKING, DISPATCHER)


def set_courier(ctx, courier_id: str, **values) -> None:
    with write_session(ctx.engine) as s:
        c = s.get(Courier, courier_id)
        for k, v in values.items():
            setattr(c, k, v)
        s.add(c)


def test_a_dispatch_past_capacity_is_refused_naming_the_courier_and_its_orders(city) -> None:
    ctx = city
    set_courier(ctx, "C01", capacity=2)
    for no in ("K1", "K2", "K3"):
        picked(ctx, no)
    perform(ctx, "K1", Action.DISPATCH, DISPATCHER, courier_id="C01")
    perform(ctx, "K2", Action.DISPATCH, DISPATCHER, courier_id="C01")
    with pytest.raises(Refused) as refused:
        perform(ctx, "K3", Action.DISPATCH, DISPATCHER, courier_id="C01")
    message = refused.value.message
    assert "C01" in message and "刘一" in message and "K1" in message and "K2" in message and "2" in message
    order, _proposal = propose(ctx, "K3")
    assert order.status == "picked"  # nothing changed

    # The dispatcher overrides with a reason: dispatched, and the event says why.
    out = perform(ctx, "K3", Action.DISPATCH, DISPATCHER, courier_id="C01", override_reason="顺路,同一栋楼")
    assert out.to_status == "dispatched"
    with read_session(ctx.engine) as s:
        ev = s.exec(select(Event).where(Event.id == out.event_id)).one()
    assert ev.actor == "U01"
    assert ev.detail["capacity_override"] is True and ev.detail["override_reason"] == "顺路,同一栋楼"
    assert ev.detail["carried_orders"] == ["K1", "K2"]


def test_a_blank_override_reason_is_no_override(city) -> None:
    ctx = city
    set_courier(ctx, "C01", capacity=1)
    picked(ctx, "B1")
    picked(ctx, "B2")
    perform(ctx, "B1", Action.DISPATCH, DISPATCHER, courier_id="C01")
    with pytest.raises(Refused):
        perform(ctx, "B2", Action.DISPATCH, DISPATCHER, courier_id="C01", override_reason="   ")


def test_a_free_company_courier_of_the_store_is_proposed_first(city) -> None:
    ctx = city
    with write_session(ctx.engine) as s:
        s.add(Courier(id="C11", name="周六", tier="company", store_id="S01", capacity=3))
    picked(ctx, "F0")
    perform(ctx, "F0", Action.DISPATCH, DISPATCHER, courier_id="C01")  # C01 now carries one
    picked(ctx, "F1")
    _, p = propose(ctx, "F1")
    assert p.to_json() == {"tier": "company", "courier_id": "C11", "reason": None}  # fewest open deliveries


def test_between_equally_loaded_couriers_the_longest_idle_goes_first(city) -> None:
    ctx = city
    with write_session(ctx.engine) as s:
        s.add(Courier(id="C00", name="钱七", tier="company", store_id="S01", capacity=3))
    picked(ctx, "I1")
    perform(ctx, "I1", Action.DISPATCH, DISPATCHER, courier_id="C00")
    perform(ctx, "I1", Action.CALL, DISPATCHER, outcome="now")
    perform(ctx, "I1", Action.DELIVER, DISPATCHER)
    ctx.clock.advance(minutes=5)
    picked(ctx, "I2")
    perform(ctx, "I2", Action.DISPATCH, DISPATCHER, courier_id="C01")
    perform(ctx, "I2", Action.CALL, DISPATCHER, outcome="now")
    perform(ctx, "I2", Action.DELIVER, DISPATCHER)
    picked(ctx, "I3")
    # Both free and empty-handed; C00 finished first, so it has waited longest. (By id C00 would win too:
    # swap the roles to be sure it is the idle time that decides.)
    assert propose(ctx, "I3")[1].courier_id == "C00"
    ctx.clock.advance(minutes=1)
    perform(ctx, "I3", Action.DISPATCH, DISPATCHER, courier_id="C00")
    perform(ctx, "I3", Action.CALL, DISPATCHER, outcome="now")
    perform(ctx, "I3", Action.DELIVER, DISPATCHER)
    picked(ctx, "I4")
    assert propose(ctx, "I4")[1].courier_id == "C01"


def test_at_capacity_the_proposal_moves_to_the_next_tier(city) -> None:
    ctx = city
    set_courier(ctx, "C01", capacity=1)
    picked(ctx, "A1")
    perform(ctx, "A1", Action.DISPATCH, DISPATCHER, courier_id="C01")
    picked(ctx, "A2")
    _, p = propose(ctx, "A2")
    assert p.to_json() == {"tier": "third_party", "courier_id": "C03", "reason": "courier_at_capacity"}


def test_no_company_courier_on_duty_is_no_free_courier(city) -> None:
    ctx = city
    set_courier(ctx, "C01", on_duty=False)
    picked(ctx, "N1")
    assert propose(ctx, "N1")[1].to_json() == {"tier": "third_party", "courier_id": "C03",
                                              "reason": "no_free_courier"}


def test_after_the_wait_the_reason_is_waited_too_long(city) -> None:
    ctx = city
    set_courier(ctx, "C01", capacity=1)
    picked(ctx, "W0")
    perform(ctx, "W0", Action.DISPATCH, DISPATCHER, courier_id="C01")
    picked(ctx, "W1")
    ctx.clock.advance(minutes=ctx.settings.dispatch.wait_minutes_before_escalation - 1)
    assert propose(ctx, "W1")[1].reason == "courier_at_capacity"
    ctx.clock.advance(minutes=1)
    p = propose(ctx, "W1")[1]
    assert (p.tier, p.courier_id, p.reason) == (Tier.THIRD_PARTY, "C03", "waited_too_long")
    # A courier free again wins over escalation, however long the order waited.
    perform(ctx, "W0", Action.UNDISPATCH, DISPATCHER, reason="vehicle_problem")
    assert propose(ctx, "W1")[1].to_json() == {"tier": "company", "courier_id": "C01", "reason": None}


def test_the_emergency_team_is_last(city) -> None:
    ctx = city
    set_courier(ctx, "C01", on_duty=False)
    set_courier(ctx, "C03", on_duty=False)
    picked(ctx, "E1", store="S02")
    set_courier(ctx, "C02", on_duty=False)
    # Store staff of the order's store are next…
    assert propose(ctx, "E1")[1].to_json() == {"tier": "store_staff", "courier_id": "C04",
                                              "reason": "no_free_courier"}
    set_courier(ctx, "C04", on_duty=False)
    # …then the emergency team…
    assert propose(ctx, "E1")[1].to_json() == {"tier": "emergency", "courier_id": "C05", "reason": "no_free_courier"}
    # …and when nobody at all is free, still the emergency team, with nobody named.
    set_courier(ctx, "C05", on_duty=False)
    assert propose(ctx, "E1")[1].to_json() == {"tier": "emergency", "courier_id": None, "reason": "no_free_courier"}


def test_taking_the_proposal_escalates_with_its_reason_then_dispatches(city) -> None:
    ctx = city
    set_courier(ctx, "C01", capacity=1)
    set_courier(ctx, "C03", on_duty=False)
    picked(ctx, "T0")
    perform(ctx, "T0", Action.DISPATCH, DISPATCHER, courier_id="C01")
    picked(ctx, "T1", store="S01")
    with write_session(ctx.engine) as s:
        s.add(Courier(id="C14", name="门店小吴", tier="store_staff", store_id="S01", capacity=1))
    p = dispatch_proposal(ctx, "T1", DISPATCHER)
    assert (p.tier, p.courier_id, p.reason) == (Tier.STORE_STAFF, "C14", "courier_at_capacity")
    order, history = order_history(ctx, "T1")
    assert (order.status, order.tier, order.courier_id) == ("dispatched", "store_staff", "C14")
    events = [(e.action, e.detail.get("reason"), e.detail.get("to_tier")) for e in history]
    assert events[-3:] == [("escalate", "courier_at_capacity", "third_party"),
                           ("escalate", "courier_at_capacity", "store_staff"), ("dispatch", None, None)]


def test_store_cannot_supply_goes_to_the_emergency_team_with_that_reason(city) -> None:
    ctx = city
    new_order(ctx, "X1")
    perform(ctx, "X1", Action.ASSIGN, DISPATCHER, store_id="S01")
    perform(ctx, "X1", Action.START_PICKING, DISPATCHER)
    out = perform(ctx, "X1", Action.ESCALATE, DISPATCHER, reason="store_cannot_supply")
    assert out.to_status == "picked"
    assert proposal_for_order(ctx, out.order_id).to_json() == {"tier": "emergency", "courier_id": "C05",
                                                               "reason": "store_cannot_supply"}


def test_only_a_picked_order_has_a_proposal(city) -> None:
    new_order(city, "U1")
    with pytest.raises(Refused):
        propose(city, "U1")
    assert proposal_for_order(city, 1) is None
