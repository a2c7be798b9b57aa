"""Reason, courier, call outcome, hand-over and shortage dialogs: what lands in the database and what
the dialog shows when the input is incomplete or the rules refuse."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from ops_console.domain.types import Action
from ops_console.services.lifecycle import order_history, perform
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Courier, Delivery
from ops_console.tui.screens import (
    CallOutcomeScreen,
    ConfirmScreen,
    CourierScreen,
    HandOverScreen,
    ReasonScreen,
    ShortageScreen,
)
from tests.conftest import CS, DISPATCHER
from tests.factories import new_order
from tests.tui.screens.conftest import SIZE, Harness, done, highlighted, options, settle, shown


def walk(ctx, no: str, *steps: tuple[Action, dict], category: str = "produce") -> int:
    oid = new_order(ctx, no, category=category).order_id
    for action, params in steps:
        perform(ctx, oid, action, DISPATCHER, **params)
    return oid


ASSIGNED = ((Action.ASSIGN, {"store_id": "S01"}),)
PICKING = (*ASSIGNED, (Action.START_PICKING, {}))
PICKED = (*PICKING, (Action.FINISH_PICKING, {}))
DISPATCHED = (*PICKED, (Action.DISPATCH, {"courier_id": "C01"}))
OUT = (*DISPATCHED, (Action.CALL, {"outcome": "now"}))


def last_event(ctx, oid: int):
    return order_history(ctx, oid)[1][-1]


# ---------------------------------------------------------------------------- reasons


async def test_cancel_with_a_reason_code(city) -> None:
    oid = walk(city, "MT1")
    app = Harness(lambda: ReasonScreen(city, DISPATCHER, "cancel", [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert options(app.screen, "#codes")[:2] == ["超出配送范围", "客户取消"]
        await pilot.press("down", "enter")
        result = await done(pilot)
    ev = last_event(city, oid)
    assert (ev.action, ev.to_status, ev.detail["reason"], ev.actor) == ("cancel", "cancelled", "customer_cancelled", "U01")
    assert result.ok


async def test_other_needs_a_text_before_anything_is_sent(city) -> None:
    oid = walk(city, "MT1", *OUT)
    app = Harness(lambda: ReasonScreen(city, DISPATCHER, Action.REFUSE, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("end", "enter")  # "other", no text
        await settle(pilot)
        assert "其他" in shown(app.screen) and app.results == []
        assert order_history(city, oid)[0].status == "out_for_delivery"
        assert app.screen.focused is app.screen.query_one("#text")
        await pilot.press(*"门口放着不要", "enter")
        result = await done(pilot)
    ev = last_event(city, oid)
    assert (ev.to_status, ev.detail["reason"], ev.detail["reason_text"]) == ("refused", "other", "门口放着不要")
    assert result.ok


async def test_reject_has_no_code_list_and_requires_a_text(city) -> None:
    oid = new_order(city, "MT1", price=999).order_id  # price mismatch: manual review
    assert order_history(city, oid)[0].status == "manual_review"
    app = Harness(lambda: ReasonScreen(city, DISPATCHER, "reject", [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app.screen.query("#codes")
        await pilot.press("enter")
        await settle(pilot)
        assert "驳回" in shown(app.screen) and app.results == []
        await pilot.press(*"价格错误", "enter")
        await done(pilot)
    assert order_history(city, oid)[0].status == "rejected"


async def test_escalating_before_picking_preselects_store_cannot_supply(city) -> None:
    oid = walk(city, "MT1", *PICKING)
    app = Harness(lambda: ReasonScreen(city, DISPATCHER, "escalate", [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert highlighted(app.screen, "#codes") == "门店无法供货"
        await pilot.press("enter")
        await done(pilot)
    order, _ = order_history(city, oid)
    assert (order.status, order.tier) == ("picked", "emergency")


async def test_a_refusal_by_role_is_shown_inline(city) -> None:
    oid = walk(city, "MT1", *PICKED)
    app = Harness(lambda: ReasonScreen(city, CS, "escalate", [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "客服无权执行“升级配送”" in shown(app.screen)
        assert app.results == [] and app.screen is app.dialog
        await pilot.press("escape")
        result = await done(pilot)
    assert not result.ok and result.failed[0].order_no == "MT1"
    assert order_history(city, oid)[0].tier == "company"


# ---------------------------------------------------------------------------- dispatch


async def test_dispatch_proposes_the_own_store_courier_first(city) -> None:
    with write_session(city.engine) as s:
        s.add(Courier(id="C09", name="赵九", tier="company", store_id=None, capacity=2))
    oid = walk(city, "MT1", *PICKED)
    app = Harness(lambda: CourierScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = options(app.screen, "#couriers")
        assert lines[0].startswith("C01 刘一") and "本店" in lines[0] and lines[1].startswith("C09")
        assert "公司配送员" in shown(app.screen, "#tier")
        await pilot.press("enter")
        result = await done(pilot)
    order, _ = order_history(city, oid)
    assert (order.status, order.courier_id) == ("dispatched", "C01")
    assert result.ok


async def test_no_courier_on_duty_is_said_not_guessed(city) -> None:
    with write_session(city.engine) as s:
        s.get(Courier, "C01").on_duty = False
    oid = walk(city, "MT1", *PICKED)
    app = Harness(lambda: CourierScreen(city, DISPATCHER, [oid]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "没有在岗的配送员" in shown(app.screen)
        # No company courier to guess: the only line is the proposal of the next tier, said as such.
        assert [line[:2] for line in options(app.screen, "#couriers")] == ["★ "]
        assert "第三方" in options(app.screen, "#couriers")[0]
        await pilot.press("escape")
        await settle(pilot)
        assert app.results == [None]
    assert order_history(city, oid)[0].status == "picked"


# ---------------------------------------------------------------------------- call, hand-over, shortage


async def test_call_now_sends_it_out(city) -> None:
    oid = walk(city, "MT1", *DISPATCHED)
    app = Harness(lambda: CallOutcomeScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await done(pilot)
    assert order_history(city, oid)[0].status == "out_for_delivery"


async def test_call_appointment_holds_the_order_until_then(city) -> None:
    oid = walk(city, "MT1", *DISPATCHED)
    app = Harness(lambda: CallOutcomeScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # appointment: the time field opens
        assert app.screen.focused is app.screen.query_one("#appointment")
        await pilot.press(*"09:30", "enter")  # already past (it is 10:00)
        await settle(pilot)
        assert "已过" in shown(app.screen) and app.results == []
        app.screen.query_one("#appointment").value = ""
        await pilot.press(*"15:30", "enter")
        await done(pilot)
    order, _ = order_history(city, oid)
    assert order.status == "held"
    assert order.appointment_at == datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # 15:30 in Shanghai


async def test_call_address_corrected_to_another_store_goes_back_to_the_queue(city) -> None:
    oid = walk(city, "MT1", *DISPATCHED)
    app = Harness(lambda: CallOutcomeScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#address").value == "阳光小区3栋2单元501"  # the old one, to edit
        await pilot.press("down", "down", "enter")
        app.screen.query_one("#address").value = "河畔花园2栋101"
        await pilot.press("enter")
        await done(pilot)
    order, events = order_history(city, oid)
    assert (order.status, order.address, order.store_id) == ("unassigned", "河畔花园2栋101", None)
    assert events[-1].detail["old_address"] == "阳光小区3栋2单元501"


async def test_hand_over_needs_the_till_receipt_and_amount(city) -> None:
    oid = walk(city, "MT1", *DISPATCHED)
    app = Harness(lambda: HandOverScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "¥7.00" in shown(app.screen, "#note")
        assert app.screen.query_one("#amount").value == "7.00"  # pre-filled with the order's amount
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert "收银小票" in shown(app.screen) and app.results == []
        app.screen.query_one("#amount").value = "7.0.0"
        await pilot.press(*"R-1001", "enter")
        await settle(pilot)
        assert "7.0.0" in shown(app.screen)
        app.screen.query_one("#amount").value = "7.00"
        await pilot.press("enter")
        await done(pilot)
    with read_session(city.engine) as s:
        d = s.exec(select(Delivery).where(Delivery.order_id == oid)).one()
    assert (d.till_receipt, d.till_amount) == ("R-1001", 700)


async def test_a_till_amount_off_the_order_asks_for_the_reason_and_records_it(city) -> None:
    # Not produce: a weighed order's till total may differ without a reason (services/cash_checks.py).
    oid = walk(city, "MT1", *DISPATCHED, category="default")
    app = Harness(lambda: HandOverScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The amount comes pre-filled with the order's 7.00 (Enter would take it): Tab to it, clear, type 6.00.
        await pilot.press(*"R-1002", "tab", "ctrl+u", *"6.00", "enter")
        await settle(pilot)
        assert "¥6.00" in shown(app.screen) and "原因" in shown(app.screen)
        assert app.screen.focused is app.screen.query_one("#cash_reason")
        await pilot.press(*"少拣一件", "enter")
        await done(pilot)
    ev = last_event(city, oid)
    assert (ev.action, ev.detail["cash_reason"]) == ("hand_over", "少拣一件")


async def test_the_emergency_team_hands_over_without_a_till(city) -> None:
    oid = walk(city, "MT1", *PICKING, (Action.ESCALATE, {"reason": "store_cannot_supply"}),
               (Action.DISPATCH, {"courier_id": "C05"}))
    app = Harness(lambda: HandOverScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "应急小组不经门店收银" in shown(app.screen, "#note")
        assert not app.screen.query_one("#till").display
        await pilot.press("enter")
        await done(pilot)
    assert last_event(city, oid).action == "hand_over"


async def test_shortage_records_the_resolution_and_note(city) -> None:
    oid = walk(city, "MT1", *PICKING)
    app = Harness(lambda: ShortageScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", *"1", "enter", "down")  # line 1, one of the two is there, partial
        app.screen.query_one("#note").focus()
        await pilot.press(*"缺一袋", "enter")
        await done(pilot)
    ev = last_event(city, oid)
    assert (ev.action, ev.detail["resolution"], ev.detail["note"]) == ("report_shortage", "partial", "缺一袋")
    assert (ev.detail["line_no"], ev.detail["available"]) == (1, 1)


async def test_confirm_says_yes_or_no() -> None:
    app = Harness(lambda: ConfirmScreen("退出控制台?"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown(app.screen, "#question") == "退出控制台?"
        await pilot.press("enter")
        assert await done(pilot) is True
    app = Harness(lambda: ConfirmScreen("退出控制台?"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        assert await done(pilot) is False
