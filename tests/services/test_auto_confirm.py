"""Auto-confirm: the system completes a delivered order after `delivery.auto_confirm_hours`."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from ops_console.domain.types import Action
from ops_console.services.lifecycle import order_history, perform
from ops_console.services.reminders import run_checks
from ops_console.storage.db import read_session
from ops_console.storage.models import Reminder
from tests.conftest import DISPATCHER
from tests.factories import new_order


def delivered(ctx, no: str) -> None:
    new_order(ctx, no)
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}),
                       (Action.FINISH_PICKING, {}), (Action.DISPATCH, {"courier_id": "C01"}),
                       (Action.HAND_OVER, {"till_receipt": "R1"}), (Action.CALL, {"outcome": "now"}),
                       (Action.DELIVER, {})):
        perform(ctx, no, action, DISPATCHER, **kw)


def reminders(ctx) -> list[tuple[str, str]]:
    with read_session(ctx.engine) as s:
        return [(r.kind, r.status) for r in s.exec(select(Reminder).where(Reminder.kind == "unconfirmed_delivery"))]


def test_a_delivered_order_is_completed_by_the_system_after_the_hours(city) -> None:
    ctx = city
    delivered(ctx, "AC1")
    at = ctx.clock.now()
    ctx.clock.set(at + timedelta(hours=24) - timedelta(seconds=1))
    run_checks(ctx)
    assert order_history(ctx, "AC1")[0].status == "delivered"
    ctx.clock.set(at + timedelta(hours=24))
    run_checks(ctx)
    order, events = order_history(ctx, "AC1")
    assert order.status == "completed" and order.closed_at == ctx.clock.now()
    last = events[-1]
    assert (last.action, last.actor, last.from_status, last.to_status) == ("confirm", "system", "delivered",
                                                                           "completed")
    assert last.detail["auto"] is True
    assert reminders(ctx) == []  # confirmed on time: nobody is nagged
    run_checks(ctx)  # idempotent: one confirm only
    assert [e.action for e in order_history(ctx, "AC1")[1]].count("confirm") == 1


def test_a_claimed_order_waits_for_its_caller_then_is_confirmed_and_the_reminder_closes(city) -> None:
    ctx = city
    delivered(ctx, "AC2")
    at = ctx.clock.now()
    perform(ctx, "AC2", Action.CLAIM, DISPATCHER)  # someone is phoning the customer about it
    ctx.clock.set(at + timedelta(hours=24))
    run_checks(ctx)
    assert order_history(ctx, "AC2")[0].status == "delivered"
    assert reminders(ctx) == [("unconfirmed_delivery", "open")]
    perform(ctx, "AC2", Action.RELEASE, DISPATCHER)
    ctx.clock.advance(seconds=15)
    changes = run_checks(ctx)
    assert order_history(ctx, "AC2")[0].status == "completed"
    assert [(c.change, c.reminder.kind) for c in changes] == [("closed", "unconfirmed_delivery")]
    assert reminders(ctx) == [("unconfirmed_delivery", "closed")]


def test_the_hours_come_from_the_settings(city) -> None:
    ctx = city
    ctx.settings = ctx.settings.replace(delivery={"auto_confirm_hours": 2})
    delivered(ctx, "AC3")
    ctx.clock.advance(hours=2)
    run_checks(ctx)
    assert order_history(ctx, "AC3")[0].status == "completed"
