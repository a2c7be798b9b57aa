"""#14's key promises: movement keys only move (nothing in the database changes), `h`/`l` change
pane, the cursor never rests on a section heading, and `u` takes back a delivery with an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from ops_console.services.context import AppContext
from ops_console.storage.db import read_session
from ops_console.storage.models import Delivery, Event, Order
from ops_console.tui.panes.view import Heading
from tests.tui.conftest import SIZE, row_of, settle, texts, wait_until
from tests.tui.test_keys import notes, select_row, status_of

MOVEMENT = ("j", "k", "down", "up", "g", "G", "home", "end", "pageup", "pagedown", "h", "l")


def _database_state(ctx: AppContext) -> tuple[int, list[tuple[str, str, int]]]:
    with read_session(ctx.engine) as s:
        events = s.exec(select(func.count()).select_from(Event)).one()
        orders = [(o.order_no, o.status, o.version) for o in s.exec(select(Order).order_by(Order.id))]
    return events, orders


async def test_no_movement_key_changes_data_in_any_pane(ctx: AppContext, make_app: Any,
                                                         shift: dict[str, int]) -> None:
    before = _database_state(ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        for pane_key in ("1", "2", "3", "4"):
            for key in MOVEMENT:
                await pilot.press(pane_key, key)
                assert app.screen is main, f"{key} in pane {pane_key} opened {app.screen!r}"
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert _database_state(ctx) == before


async def test_movement_keys_move_the_cursor_and_skip_headings(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("3")
        pane = main.panes["board"]
        on_heading = lambda: isinstance(pane.items.get(pane.ordered_rows[pane.cursor_row].key.value), Heading)  # noqa: E731
        await pilot.press("G")
        assert pane.cursor_row == pane.row_count - 1
        await pilot.press("g")
        first = pane.cursor_row
        assert not on_heading()
        for _ in range(pane.row_count):
            await pilot.press("j")
            assert not on_heading()
        await pilot.press("home")
        assert pane.cursor_row == first
        await pilot.press("end")
        assert pane.cursor_row == pane.row_count - 1
        await pilot.press("k")
        assert pane.cursor_row < pane.row_count - 1 and not on_heading()
        await pilot.press("l")
        assert main.focused_pane().pane_id == "alerts"
        await pilot.press("h", "h")
        assert main.focused_pane().pane_id == "picking"


async def test_u_undoes_a_delivery_with_an_event(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "board", "MT1009")
        await pilot.press("D")
        main = await settle(pilot)
        assert status_of(ctx, "MT1009") == "delivered"
        assert "u" in notes(app) and "ctrl+z" in notes(app)  # the toast offers the undo
        await pilot.press("u")
        main = await settle(pilot)
        assert status_of(ctx, "MT1009") == "out_for_delivery"
        assert "MT1009" in texts(main.panes["board"])[row_of(main.panes["board"], "MT1009")]
        with read_session(ctx.engine) as s:
            actions = [e.action for e in s.exec(select(Event).where(Event.order_id == shift["MT1009"])
                                                .order_by(Event.id))]
            attempt = s.exec(select(Delivery).where(Delivery.order_id == shift["MT1009"])).one()
        assert actions[-2:] == ["deliver", "undo"]  # both steps stay in the history
        assert attempt.finished_at is None and attempt.outcome is None  # the courier is on the road again
        await pilot.press("u")  # once only
        await wait_until(pilot, lambda: "没有可撤销的操作" in notes(app))
        assert status_of(ctx, "MT1009") == "out_for_delivery"


async def test_after_dispatching_the_cursor_stays_on_the_next_picked_order(
        ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    from ops_console.domain.types import Action
    from ops_console.services.lifecycle import perform
    from tests.conftest import DISPATCHER

    perform(ctx, shift["MT1006"], Action.FINISH_PICKING, DISPATCHER)  # two picked orders wait for a courier
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        board = main.panes["board"]
        first = next(line for line in texts(board) if "MT1006" in line or "MT1007" in line)
        dispatched, other = ("MT1006", "MT1007") if "MT1006" in first else ("MT1007", "MT1006")
        await select_row(pilot, main, "board", dispatched)
        await pilot.press("i")
        await wait_until(pilot, lambda: app.screen is not main and bool(app.screen.query("#couriers")))
        await pilot.press("enter")
        await wait_until(pilot, lambda: status_of(ctx, dispatched) == "dispatched")
        await settle(pilot)
        selected = board.selected()
        assert selected is not None and selected.order_no == other  # the next one to work, not the one gone


async def test_a_claim_keeps_the_cursor_on_its_order_when_another_arrives_above(
        ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    from ops_console.services.receiving import receive_order
    from ops_console.storage.db import write_session
    from ops_console.storage.models import OrderLine

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "unassigned", "MT1003")
        queue = main.panes["unassigned"]
        await pilot.press("c")  # claim: the order stays where it is, the cursor with it
        await wait_until(pilot, lambda: "王丽" in texts(queue)[row_of(queue, "MT1003")])
        with write_session(ctx.engine) as s:  # an urgent order arrives: it goes to the top
            order = Order(channel="meituan", order_no="MT1099", status="received", customer_name="赵女士",
                          phone="13812341234", address="阳光小区3栋2单元501", payment_method="online",
                          payment_status="paid", paid_amount=700, placed_at=ctx.clock.now(), urgent=True)
            receive_order(s, ctx, order, [OrderLine(order_id=0, sku="P001", name="x", category="produce", qty=2,
                                                    unit_price=350)], match_address=False, evaluate=False)
        await settle(pilot)
        assert row_of(queue, "MT1099") < row_of(queue, "MT1003")
        selected = queue.selected()
        assert selected is not None and selected.order_no == "MT1003"  # still the order being worked
