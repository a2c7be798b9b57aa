"""Held orders are released by the checks `appointment_lead_minutes` before the appointment, once."""

from __future__ import annotations

from datetime import timedelta

from ops_console.domain.types import Action
from ops_console.services.appointments import release_due_holds
from ops_console.services.lifecycle import order_history, perform
from ops_console.services.scheduler import ReminderRunner
from tests.conftest import DISPATCHER
from tests.factories import new_order


def _held(ctx, no: str, minutes: int) -> None:
    new_order(ctx, no)
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}),
                       (Action.FINISH_PICKING, {}), (Action.DISPATCH, {"courier_id": "C01"})):
        perform(ctx, no, action, DISPATCHER, **kw)
    perform(ctx, no, Action.CALL, DISPATCHER, outcome="appointment",
            appointment_at=ctx.clock.now() + timedelta(minutes=minutes))


def test_hold_released_at_the_lead_time_and_only_once(city) -> None:
    ctx = city
    _held(ctx, "H1", 60)
    _held(ctx, "H2", 120)
    ctx.clock.advance(minutes=39)
    assert release_due_holds(ctx) == []
    ctx.clock.advance(minutes=1)  # 20 minutes before H1's appointment
    released = release_due_holds(ctx)
    assert [o.order_no for o in released] == ["H1"]
    assert release_due_holds(ctx) == []
    order, events = order_history(ctx, "H1")
    assert order.status == "dispatched"
    assert (events[-1].action, events[-1].actor) == ("release_hold", "system")
    assert order_history(ctx, "H2")[0].status == "held"


def test_the_scheduler_tick_releases_due_holds(city) -> None:
    ctx = city
    _held(ctx, "H3", 15)  # already inside the lead time
    ReminderRunner(ctx).tick()
    assert order_history(ctx, "H3")[0].status == "dispatched"
