"""Service requests in the console (Pilot): customer service opens one from the order detail (`s`),
and sees the live ones in pane 4 with their next limit; a dispatcher's pane 4 is alerts only."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from ops_console.services.context import AppContext
from ops_console.services.service_requests import open_request
from ops_console.storage.db import read_session
from ops_console.storage.models import ServiceRequest
from ops_console.tui.screens.detail import OrderDetailScreen
from tests.conftest import CS
from tests.services.test_service_requests import delivered
from tests.tui.conftest import SIZE, row_of, settle, texts, wait_until


def requests(ctx: AppContext) -> list[ServiceRequest]:
    with read_session(ctx.engine) as s:
        return list(s.exec(select(ServiceRequest)))


async def test_customer_service_opens_a_request_from_the_detail_and_sees_it_in_pane_4(
        ctx: AppContext, shift: dict[str, int], make_app: Any) -> None:
    delivered(ctx, "MT2001")
    app = make_app(actor=CS)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        main.look_up_order("MT2001", "detail")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderDetailScreen) and app.screen.snapshot is not None)
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(app.screen.query("#types")))
        await pilot.press("enter", "down", "enter")  # a return; the reason: quality
        await pilot.press(*"菜叶发黄", "enter")
        await wait_until(pilot, lambda: len(requests(ctx)) == 1)
        sr = requests(ctx)[0]
        assert (sr.kind, sr.reason_code, sr.reason, sr.created_by) == ("return", "quality", "菜叶发黄", "U02")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderDetailScreen))
        await pilot.press("escape")
        main = await settle(pilot)
        pane = main.panes["alerts"]
        line = texts(pane)[row_of(pane, "MT2001")]
        assert "退货" in line and "已申请" in line and "首次联系" in line
        assert main.header.alert_counts == (2, 1)  # a request is not an alert: the header counts as before


async def test_a_dispatchers_pane_4_lists_alerts_only(ctx: AppContext, shift: dict[str, int],
                                                      make_app: Any) -> None:
    delivered(ctx, "MT2001")
    open_request(ctx, "MT2001", "return", "包装破损", CS, reason="quality")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert not any("MT2001" in line for line in texts(main.panes["alerts"]))
        await pilot.press("4")
        assert "售后下一步" not in main.query_one("#keybar").render().plain  # nothing of the kind here


async def test_s_in_pane_4_takes_a_requests_next_steps_up_to_the_refund(
        ctx: AppContext, shift: dict[str, int], make_app: Any) -> None:
    from ops_console.tui.screens.service_step import ServiceStepScreen

    delivered(ctx, "MT2001")
    opened = open_request(ctx, "MT2001", "refund", "少送一袋", CS, reason="quality")

    def status() -> str:
        with read_session(ctx.engine) as s:
            sr = s.get(ServiceRequest, opened.id)
            assert sr is not None
            return sr.status

    app = make_app(actor=CS)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("4")
        assert "s 售后下一步" in main.query_one("#keybar").render().plain
        pane = main.panes["alerts"]
        for step, after in (("confirm", "confirmed"), ("contact", "contacted")):
            pane.move_cursor(row=row_of(pane, "MT2001"))
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, ServiceStepScreen) and bool(app.screen.steps))
            screen = app.screen
            assert isinstance(screen, ServiceStepScreen) and screen.steps[0].value == step  # only what may come next
            await pilot.press("enter", "enter")  # the step, then the (empty) note
            await wait_until(pilot, lambda after=after: status() == after)
            main = await settle(pilot)
        pane.move_cursor(row=row_of(pane, "MT2001"))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ServiceStepScreen) and bool(app.screen.steps))
        screen = app.screen
        assert isinstance(screen, ServiceStepScreen)
        assert [a.value for a in screen.steps] == ["refund", "decline"]  # a refund request: no pick-up, no close
        await pilot.press("enter")  # refund: how?
        assert screen.query_one("#refund").display
        await pilot.press("enter")  # online (the first), then the amount
        await pilot.press(*"abc", "enter", "enter")
        assert "无效" in str(screen.query_one("#message").render())  # not an amount: the form stays
        screen.query_one("#amount").value = ""
        screen.query_one("#amount").focus()
        await pilot.press("enter", "enter")  # all the customer paid
        await wait_until(pilot, lambda: status() == "refunded")
        await wait_until(pilot, lambda: any("已退款" in str(n.message) for n in app._notifications))


async def test_s_on_an_alert_says_it_is_for_service_requests(ctx: AppContext, shift: dict[str, int],
                                                             make_app: Any) -> None:
    app = make_app(actor=CS)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("4")
        pane = main.panes["alerts"]
        pane.move_cursor(row=row_of(pane, "MT1002"))
        await pilot.press("s")
        await wait_until(pilot, lambda: any("售后申请" in str(n.message) for n in app._notifications))
        assert app.screen is main
