"""The shortage form asks which line is short and how much is there; `partial` lowers the order amount,
the detail shows the line short and the hand-over dialog expects the lowered amount."""

from __future__ import annotations

from sqlmodel import select

from ops_console.domain.types import Action
from ops_console.services.lifecycle import order_history, perform
from ops_console.services.receiving import receive_order
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Delivery, Order, OrderLine
from ops_console.tui.screens import HandOverScreen, OrderDetailScreen, ShortageScreen
from tests.conftest import DISPATCHER
from tests.tui.screens.conftest import SIZE, Harness, done, options, screen_text, settle, shown


def two_line_order(ctx) -> int:
    """COD, line 1: 2 × 上海青 at 3.50; line 2: 12 × 矿泉水 at 2.00 — 31.00 in all; picking at S01."""
    with write_session(ctx.engine) as s:
        order = Order(channel="meituan", order_no="MT77", status="received", customer_name="赵女士",
                      phone="13812341234", address="阳光小区3栋2单元501", payment_method="cod",
                      payment_status="pending", placed_at=ctx.clock.now())
        lines = [OrderLine(order_id=0, line_no=1, sku="P001", name="上海青", category="produce", qty=2, unit_price=350),
                 OrderLine(order_id=0, line_no=2, sku="G001", name="矿泉水", qty=12, unit_price=200, step=12)]
        oid = receive_order(s, ctx, order, lines, match_address=False).order_id
    perform(ctx, oid, Action.ASSIGN, DISPATCHER, store_id="S01")
    perform(ctx, oid, Action.START_PICKING, DISPATCHER)
    return oid


async def test_partial_shortage_on_line_two_marks_it_and_the_hand_over_expects_the_new_amount(city) -> None:
    oid = two_line_order(city)
    app = Harness(lambda: ShortageScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert [o.split(" ")[0] for o in options(app.screen, "#lines")] == ["1.", "2."]
        assert "矿泉水" in options(app.screen, "#lines")[1]  # the lines are offered by name
        await pilot.press("down", "enter")  # line 2
        await pilot.press(*"6", "enter")  # 6 of the 12 bottles are there
        await pilot.press("down")  # partial
        await pilot.pause()
        assert "19.00" in shown(app.screen, "#after")  # the amount it will have, before confirming
        await pilot.press("enter")
        result = await done(pilot)
    assert result.ok
    order, events = order_history(city, oid)
    assert events[-1].action == "report_shortage"
    assert (events[-1].detail["line_no"], events[-1].detail["resolution"]) == (2, "partial")
    assert order.amount == 1900

    app = Harness(lambda: OrderDetailScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app.screen)
    line_two = next(line for line in text.splitlines() if "矿泉水" in line)
    assert "实拣 6" in line_two  # line 2 shows what was picked
    assert "¥19.00" in text  # the order total is the adjusted one

    perform(city, oid, Action.FINISH_PICKING, DISPATCHER)
    perform(city, oid, Action.DISPATCH, DISPATCHER, courier_id="C01")
    app = Harness(lambda: HandOverScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#amount").value == "19.00"  # pre-filled: the adjusted amount
        await pilot.press(*"R-7", "enter")  # the receipt number and Enter: the amount is already there
        await done(pilot)
    with read_session(city.engine) as s:
        d = s.exec(select(Delivery).where(Delivery.order_id == oid)).one()
    assert (d.till_receipt, d.till_amount) == ("R-7", 1900)
    assert "cash_difference" not in order_history(city, oid)[1][-1].detail  # no difference against the amount


async def test_the_form_refuses_an_available_quantity_that_is_not_short(city) -> None:
    oid = two_line_order(city)
    app = Harness(lambda: ShortageScreen(city, DISPATCHER, oid))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", *"2", "enter", "enter")  # line 1: 2 of the 2 ordered is no shortage
        await settle(pilot)
        assert "小于订购数量 2" in shown(app.screen) and app.results == []
    assert order_history(city, oid)[1][-1].action == "start_picking"
