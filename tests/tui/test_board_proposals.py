"""The board shows each picked order's courier proposal (Pilot), and `i`, Enter takes it."""

from __future__ import annotations

from typing import Any

from ops_console.services.context import AppContext
from ops_console.services.lifecycle import order_history
from ops_console.storage.db import write_session
from ops_console.storage.models import Courier
from tests.tui.conftest import SIZE, row_of, settle, texts, wait_until


async def test_a_picked_order_shows_its_proposal_and_i_enter_escalates_and_dispatches_it(
        ctx: AppContext, shift: dict[str, int], make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        board = main.panes["board"]
        assert "C01" in texts(board)[row_of(board, "MT1007")]  # the store's own courier has room
        with write_session(ctx.engine) as s:
            c01 = s.get(Courier, "C01")
            c01.capacity = 2  # now full: MT1008 and MT1009 are on the road with him
            s.add(c01)
        main = await settle(pilot)
        assert "↑第三方 C03" in texts(board)[row_of(board, "MT1007")]
        await pilot.press("3")
        board.move_cursor(row=row_of(board, "MT1007"))
        await pilot.press("i")
        await wait_until(pilot, lambda: app.screen is not main and app.screen.query("#couriers")
                         and app.screen.query_one("#couriers").option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: order_history(ctx, shift["MT1007"])[0].status == "dispatched")
        order, _ = order_history(ctx, shift["MT1007"])
        assert (order.tier, order.courier_id) == ("third_party", "C03")
