"""Order detail: what the dispatcher sees, and the logged phone reveal."""

from __future__ import annotations

from sqlmodel import select

from ops_console.domain.types import Action
from ops_console.services.lifecycle import perform
from ops_console.services.service_requests import open_request
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Event, Order, Reminder
from ops_console.tui.screens import OrderDetailScreen
from tests.conftest import DISPATCHER
from tests.factories import new_order
from tests.services.test_service_requests import delivered
from tests.tui.screens.conftest import SIZE, Harness, done, screen_text, settle, shown, wait_until


async def test_detail_shows_lines_customer_and_history_with_the_phone_masked(city) -> None:
    out = new_order(city, "MT1")
    city.clock.advance(minutes=4)
    perform(city, out.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    app = Harness(lambda: OrderDetailScreen(city, DISPATCHER, out.order_id))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app.screen)
        assert "138****1234" in text and "13812341234" not in text
        assert "阳光小区3栋2单元501" in text
        assert "S01 阳光店 (人工)" in text
        assert "P001" in text and "¥7.00" in text
        assert "10:04:00" in text and "王丽" in text and "分配门店" in text  # who and when, local time
        await pilot.press("escape")
        assert await done(pilot) is None


async def test_v_reveals_the_phone_logs_it_and_masks_it_again(city) -> None:
    city.settings = city.settings.replace(ui={"reveal_seconds": 1})  # reveal for one second only
    out = new_order(city, "MT1")
    app = Harness(lambda: OrderDetailScreen(city, DISPATCHER, out.order_id))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        text = screen_text(app.screen)
        assert "13812341234" in text
        assert "查看完整电话" in text  # the reveal is in the history at once
        with read_session(city.engine) as s:
            ev = s.exec(select(Event).where(Event.action == "reveal_phone")).one()
        assert (ev.actor, ev.order_id) == ("U01", out.order_id)
        await pilot.pause(1.3)
        assert "13812341234" not in screen_text(app.screen)
        assert "138****1234" in screen_text(app.screen)


async def test_a_missing_order_is_a_message_not_a_traceback(city) -> None:
    app = Harness(lambda: OrderDetailScreen(city, DISPATCHER, 4242))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "4242" in shown(app.screen)
        await pilot.press("v")  # nothing to reveal: no crash
        await settle(pilot)
        assert app.screen is app.dialog


async def test_the_detail_follows_the_order_while_it_is_open(city) -> None:
    out = new_order(city, "MT1")
    app = Harness(lambda: OrderDetailScreen(city, DISPATCHER, out.order_id))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "待分配" in screen_text(app.screen)
        perform(city, out.order_id, Action.ASSIGN, DISPATCHER, store_id="S02")  # another console
        await wait_until(pilot, lambda: "S02 河畔店" in screen_text(app.screen), timeout=6)
        assert "已分配" in screen_text(app.screen)


async def test_detail_names_the_stores_an_ambiguous_address_could_belong_to(city) -> None:
    out = new_order(city, "MT1")
    with write_session(city.engine) as s:
        s.get(Order, out.order_id).match_reason = "ambiguous: S01, S02"  # as the matcher stores it
    app = Harness(lambda: OrderDetailScreen(city, DISPATCHER, out.order_id))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "多家门店:S01 阳光店, S02 河畔店" in screen_text(app.screen)
        assert "ambiguous" not in screen_text(app.screen)


async def test_the_detail_lists_the_reminders_of_the_orders_service_request(city) -> None:
    """Service-request reminders name the request, not the order: the detail said "none" for them."""
    delivered(city, "R1")
    req = open_request(city, "R1", "return", "包装破损", DISPATCHER, reason="wrong_items")
    order_id = req.order_id
    with write_session(city.engine) as s:
        for which, severity in (("contact", "critical"), ("refund", "warning")):
            s.add(Reminder(kind="service_request_due", severity=severity, subject=f"service_request:{req.id}:{which}",
                           dedup_key=f"service_request_due|service_request:{req.id}:{which}|x", status="open",
                           raised_at=city.clock.now(), last_raised_at=city.clock.now(), raise_count=1, payload={}))
    app = Harness(lambda: OrderDetailScreen(city, DISPATCHER, order_id))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app.screen)
        assert text.count("售后期限") == 2
