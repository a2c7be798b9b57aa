"""A store's replenishment order held by an anomaly (seed 004 §2.2) is worked from pane 4 (Pilot):
`y` on its alert — verified with the store, a note — releases it (accepted, the holding alerts
resolved); `x` cancels it with a reason. A key on an alert of no store order says why it cannot."""

from __future__ import annotations

from typing import Any

from ops_console.services import anomalies, replenishment, replenishment_intake
from ops_console.services.context import AppContext
from ops_console.tui.screens.alert_forms import AlertFormScreen
from tests.conftest import DISPATCHER
from tests.tui.conftest import SIZE, row_of, settle, texts, wait_until


def _status(ctx: AppContext, order_no: str) -> str:
    return next(v.status for v in replenishment.list_replenishment(ctx) if v.order_no == order_no)


async def _on_its_alert(pilot: Any, order_no: str) -> Any:
    main = await settle(pilot)
    await pilot.press("4")
    pane = main.panes["alerts"]
    pane.move_cursor(row=next(i for i, line in enumerate(texts(pane)) if order_no in line and "步长" in line))
    return main, pane


async def test_y_on_the_alert_of_a_held_store_order_verifies_it_with_a_note(
        ctx: AppContext, shift: dict[str, int], make_app: Any) -> None:
    held = replenishment_intake.place(ctx, "S01", {"G001": 13}, DISPATCHER)  # step 12: held
    assert held.status == "on_hold"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main, _pane = await _on_its_alert(pilot, held.order_no)
        assert "y 核实放行补货单" in main.query_one("#keybar").render().plain
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertFormScreen))
        await pilot.press(*"店长确认要13瓶", "enter")
        await wait_until(pilot, lambda: _status(ctx, held.order_no) == "accepted")
        await wait_until(pilot, lambda: any(f"{held.order_no}:核实放行补货单" in str(n.message)
                                            for n in app._notifications))  # what was done, in words
        step = [a for a in anomalies.list_alerts(ctx, include_all=True, rule="step_mismatch")
                if a.order_no == held.order_no]
        assert step and step[0].status == "resolved" and "店长确认要13瓶" in (step[0].resolution or "")


async def test_x_on_the_alert_of_a_held_store_order_cancels_it_with_a_reason(
        ctx: AppContext, shift: dict[str, int], make_app: Any) -> None:
    held = replenishment_intake.place(ctx, "S01", {"G001": 13}, DISPATCHER)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _on_its_alert(pilot, held.order_no)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertFormScreen))
        await pilot.press("enter")  # no reason: refused, the form stays
        assert "请填写说明" in str(app.screen.query_one("#message").render())
        await pilot.press(*"门店下错单", "enter")
        await wait_until(pilot, lambda: _status(ctx, held.order_no) == "cancelled")


async def test_y_on_a_customer_order_alert_says_it_is_no_store_order(
        ctx: AppContext, shift: dict[str, int], make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("4")
        pane = main.panes["alerts"]
        pane.move_cursor(row=row_of(pane, "MT1002"))  # amount_cap on a customer order
        await pilot.press("y")  # refused at once, no form: the alert is about a customer's order
        await wait_until(pilot, lambda: any("不是补货单的告警" in str(n.message) for n in app._notifications))
        assert app.screen is main
