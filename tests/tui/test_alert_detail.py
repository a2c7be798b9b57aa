"""Enter on an alert about no order opens the alert itself (Pilot): a store's report shows the store
at a glance — its open orders by status and its other live alerts — and the history; a courier's
cash difference shows the courier. Esc goes back to the feed."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from ops_console.services import anomalies
from ops_console.services.alert_detail import alert_detail
from ops_console.services.context import AppContext
from ops_console.storage.db import write_session
from ops_console.tui.screens.alert_detail import AlertDetailScreen
from tests.conftest import DISPATCHER
from tests.tui.conftest import SIZE, row_of, settle, wait_until


async def open_the_store_alert(pilot: Any) -> Any:
    """Pane 4, the staff report on S01, Enter: until its detail has loaded."""
    app = pilot.app
    main = await settle(pilot)
    await pilot.press("4")
    pane = main.panes["alerts"]
    pane.move_cursor(row=row_of(pane, "人工上报 S01"))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, AlertDetailScreen) and app.screen.detail is not None)
    return main


async def test_enter_on_a_store_report_opens_the_alert_with_the_store_at_a_glance(
        ctx: AppContext, shift: dict[str, int], make_app: Any) -> None:
    anomalies.report(ctx, "MT1005", "顾客说少了一袋", DISPATCHER)  # an order of S01: another live alert of it
    store_alert = anomalies.report(ctx, "S01", "冷柜温度偏高", DISPATCHER)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await open_the_store_alert(pilot)
        screen = app.screen
        assert isinstance(screen, AlertDetailScreen) and screen.alert_id == store_alert.id
        console = Console(width=160)
        with console.capture() as capture:
            console.print(screen.view)
        shown = capture.get()
        assert "冷柜温度偏高" in shown  # the report's text, in the history
        assert "门店 S01" in shown
        # S01's open orders by status (MT1005 assigned, MT1007 picked, MT1008 dispatched, MT1009 out)
        assert "已分配 1" in shown and "已拣货 1" in shown
        assert "MT1005" in shown  # its other live alert
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, AlertDetailScreen))
        assert app.screen is main


async def test_a_feed_key_in_the_alert_detail_acts_on_that_alert(
        ctx: AppContext, shift: dict[str, int], make_app: Any) -> None:
    store_alert = anomalies.report(ctx, "S01", "冷柜温度偏高", DISPATCHER)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await open_the_store_alert(pilot)
        assert "A 确认" in str(app.screen.query_one("#hint").render())
        await pilot.press("A")  # the feed's acknowledge: it asks first, as on the feed
        await wait_until(pilot, lambda: not isinstance(app.screen, AlertDetailScreen) and app.screen is not main)
        await pilot.press("enter")
        await wait_until(pilot, lambda: _status(ctx, store_alert.id) == "acknowledged")


def _status(ctx: AppContext, alert_id: int) -> str:
    return anomalies.get_alert(ctx, alert_id)[0].status


def test_a_cash_difference_names_the_courier_and_what_it_carries(ctx: AppContext, shift: dict[str, int]) -> None:
    with write_session(ctx.engine) as s:
        alert_id = anomalies.raise_cash_difference(s, ctx, "C01", "2026-11-24", expected=12000, counted=11000)
    assert alert_id is not None
    detail = alert_detail(ctx, alert_id)
    assert detail.store is None and detail.courier is not None
    assert (detail.courier.id, detail.courier.business_date) == ("C01", "2026-11-24")
    assert detail.courier.carrying == 2  # MT1008 dispatched and MT1009 out for delivery
    assert detail.courier.name
