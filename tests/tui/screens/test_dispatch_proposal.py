"""The dispatch dialog preselects the courier proposal (delivery, #16); Enter dispatches it."""

from __future__ import annotations

from ops_console.domain.types import Action
from ops_console.services.lifecycle import order_history, perform
from ops_console.storage.db import write_session
from ops_console.storage.models import Courier
from ops_console.tui.screens import CourierScreen
from tests.conftest import DISPATCHER
from tests.factories import new_order
from tests.tui.screens.conftest import SIZE, Harness, done, highlighted, settle


def picked(ctx, no: str) -> int:
    oid = new_order(ctx, no).order_id
    for action, params in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}),
                           (Action.FINISH_PICKING, {})):
        perform(ctx, oid, action, DISPATCHER, **params)
    return oid


async def test_the_proposal_is_preselected_and_enter_dispatches_it(city) -> None:
    with write_session(city.engine) as s:
        c01 = s.get(Courier, "C01")
        c01.capacity = 1  # the store's own courier is full…
        s.add(c01)
        s.add(Courier(id="C09", name="赵九", tier="company", store_id=None, capacity=2))  # …this one is free
    perform(city, picked(city, "MT0"), Action.DISPATCH, DISPATCHER, courier_id="C01")
    oid = picked(city, "MT1")
    app = Harness(lambda: CourierScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert highlighted(app.screen, "#couriers").startswith("C09")
        await pilot.press("enter")
        result = await done(pilot)
    assert result.ok
    order, _ = order_history(city, oid)
    assert (order.status, order.courier_id) == ("dispatched", "C09")


async def test_a_proposal_of_another_tier_is_offered_first_and_enter_escalates_then_dispatches(city) -> None:
    with write_session(city.engine) as s:
        c01 = s.get(Courier, "C01")
        c01.capacity = 1  # the store's only company courier is full: the proposal is the third party's
        s.add(c01)
    perform(city, picked(city, "MT0"), Action.DISPATCH, DISPATCHER, courier_id="C01")
    oid = picked(city, "MT1")
    app = Harness(lambda: CourierScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        line = highlighted(app.screen, "#couriers")
        assert line.startswith("★") and "第三方" in line and "C03" in line
        await pilot.press("enter")
        result = await done(pilot)
    assert result.ok and "C03" in result.outcomes[0].message
    order, events = order_history(city, oid)
    assert (order.status, order.tier, order.courier_id) == ("dispatched", "third_party", "C03")
    assert [e.action for e in events[-2:]] == ["escalate", "dispatch"]
