"""Phone order entry: problems next to their fields with nothing lost, the read-back, then the order."""

from __future__ import annotations

from sqlmodel import select

from ops_console.services.lifecycle import order_history, order_lines
from ops_console.storage.db import read_session
from ops_console.storage.models import Order
from ops_console.tui.screens import ActionResult, ConfirmScreen, PhoneOrderScreen, ReadBackScreen
from tests.conftest import CS, DISPATCHER
from tests.tui.screens.conftest import SIZE, Harness, done, screen_text, settle, shown, type_into


def fill(screen, **values: str) -> None:
    for widget_id, value in values.items():
        type_into(screen, f"#{widget_id.replace('_', '-') if widget_id[:3] in ('sku', 'qty') else widget_id}", value)


def orders(ctx) -> list[Order]:
    with read_session(ctx.engine) as s:
        return list(s.exec(select(Order)))


async def test_problems_show_next_to_their_fields_and_nothing_typed_is_lost(city) -> None:
    app = Harness(lambda: PhoneOrderScreen(city, DISPATCHER))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = app.screen
        fill(form, customer_name="赵女士", phone="1381234", sku_0="p001", qty_0="2", sku_1="G001", qty_1="1.5",
             remarks="=放门口")
        await settle(pilot)
        assert "上海青" in shown(form, "#info-0") and "¥7.00" in shown(form, "#info-0")  # live from the catalogue
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "电话号码无效" in shown(form, "#err-phone")
        assert "必填" in shown(form, "#err-address")
        assert "数量: " in shown(form, "#err-line-1") and "1.5" in shown(form, "#err-line-1")
        assert shown(form, "#err-line-0") == ""
        assert "3 处" in shown(form)
        assert app.screen is form and orders(city) == []
        # Everything typed is still there.
        assert form.query_one("#remarks").value == "=放门口" and form.query_one("#qty-1").value == "1.5"
        assert form.focused is form.query_one("#phone")  # the first problem


async def test_read_back_then_save_creates_the_phone_order(city) -> None:
    app = Harness(lambda: PhoneOrderScreen(city, DISPATCHER))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = app.screen
        city.clock.advance(minutes=2)  # the call took two minutes
        fill(form, customer_name="赵女士", phone="138 1234 1234", address="幸福路88号", sku_0="p001", qty_0="2",
             sku_1="矿泉水", qty_1="12", appointment="15:30", remarks="=放门口")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReadBackScreen)
        text = screen_text(app.screen)
        for expected in ("赵女士", "13812341234", "幸福路88号", "上海青", "矿泉水", "¥31.00", "货到付款",
                         "2026-11-24 15:30", "=放门口"):
            assert expected in text, expected
        await pilot.press("escape")  # back to the form: nothing lost, nothing saved
        await settle(pilot)
        assert app.screen is form and form.query_one("#address").value == "幸福路88号"
        assert orders(city) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # read back and confirmed
        result = await done(pilot)
    assert isinstance(result, ActionResult) and result.ok
    assert result.outcomes[0].order_no == "P20261124-0001"
    order, events = order_history(city, result.outcomes[0].order_id)
    assert (order.channel, order.status, order.phone, order.remarks) == ("phone", "unassigned", "13812341234", "=放门口")
    assert order.received_at is not None and order.placed_at is not None
    assert (order.received_at - order.placed_at).total_seconds() == 120  # call start → entry
    assert events[0].actor == "U01"
    assert [(li.sku, li.qty) for li in order_lines(city, order.id)] == [("P001", 2), ("G001", 12)]


async def test_customer_service_is_refused_inline_and_the_form_is_kept(city) -> None:
    app = Harness(lambda: PhoneOrderScreen(city, CS))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = app.screen
        fill(form, customer_name="赵女士", phone="13812341234", address="幸福路88号", sku_0="P001", qty_0="1")
        await pilot.press("enter")  # Enter in a field checks too
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "客服无权执行“接收”" in shown(form)
        assert form.query_one("#customer_name").value == "赵女士"
    assert orders(city) == []


async def test_esc_with_a_half_typed_order_asks_first(city) -> None:
    app = Harness(lambda: PhoneOrderScreen(city, DISPATCHER))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fill(app.screen, customer_name="赵女士")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PhoneOrderScreen) and app.results == []
        await pilot.press("escape", "y")
        assert await done(pilot) is None


async def test_add_line_key_adds_a_row(city) -> None:
    app = Harness(lambda: PhoneOrderScreen(city, DISPATCHER))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.focused is app.screen.query_one("#sku-3")
        await pilot.press(*"f0")
        await settle(pilot)
        await pilot.press("right")  # accept the completion
        assert app.screen.query_one("#sku-3").value == "F001"
