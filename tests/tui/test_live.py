"""Live data: reloads by the event log, rows updated in place, two consoles on one database,
database trouble shown and survived."""

from __future__ import annotations

import contextlib
import random
import time
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.domain.types import Action
from ops_console.services import panes as pane_service
from ops_console.services.context import AppContext
from ops_console.services.errors import ServiceError
from ops_console.services.lifecycle import perform
from ops_console.storage import pane_queries
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Event, Order
from ops_console.tui.app import OpsConsoleApp
from tests.conftest import DISPATCHER, SUPERVISOR, T0
from tests.factories import new_order
from tests.tui.conftest import SIZE, row_of, settle, texts, wait_until


async def test_another_console_sees_an_action_within_two_seconds(ctx: AppContext, db_url: str, clock: ManualClock,
                                                                 shift: dict[str, int]) -> None:
    app = OpsConsoleApp(ctx, actor=DISPATCHER, database="ops.db", scheduler=False)  # the real one-second poll
    other = AppContext.open(Settings(), clock, url=db_url)  # another process on the same file
    try:
        async with app.run_test(size=SIZE) as pilot:
            main = await settle(pilot)
            picking = main.panes["picking"]
            perform(other, shift["MT1005"], Action.START_PICKING, SUPERVISOR)
            started = time.monotonic()
            await wait_until(pilot, lambda: "拣货中" in texts(picking)[row_of(picking, "MT1005")], timeout=2.0)
            assert time.monotonic() - started < 2.0
    finally:
        other.close()


async def test_two_consoles_race_for_one_order(ctx: AppContext, db_url: str, clock: ManualClock,
                                               shift: dict[str, int]) -> None:
    other_ctx = AppContext.open(Settings(), clock, url=db_url)
    first = OpsConsoleApp(ctx, actor=DISPATCHER, database="ops.db", poll_seconds=0.05, scheduler=False)
    second = OpsConsoleApp(other_ctx, actor=SUPERVISOR, database="ops.db", poll_seconds=0.05, scheduler=False)
    try:
        async with first.run_test(size=SIZE) as p1, second.run_test(size=SIZE) as p2:
            m1, m2 = await settle(p1), await settle(p2)
            for pilot, main in ((p1, m1), (p2, m2)):
                await pilot.press("2")
                main.panes["picking"].move_cursor(row=row_of(main.panes["picking"], "MT1005"))
                await pilot.pause()
            await p2.press("z")  # the second dispatcher's screen still shows the order as it was
            await p1.press("p")
            await settle(p1)
            await p2.press("p")
            await second.workers.wait_for_complete()
            await p2.pause()
            message = "\n".join(str(n.message) for n in second._notifications)
            assert "MT1005" in message and "王丽" in message  # who changed it first, not a traceback
            with read_session(ctx.engine) as s:
                started = s.exec(select(Event).where(Event.order_id == shift["MT1005"],
                                                     Event.action == "start_picking")).all()
            assert [e.actor for e in started] == ["U01"]
            await p2.press("z")
            picking = m2.panes["picking"]
            await wait_until(p2, lambda: "拣货中" in texts(picking)[row_of(picking, "MT1005")])
    finally:
        other_ctx.close()


async def test_rows_update_in_place_and_the_cursor_keeps_its_order(ctx: AppContext, make_app: Any,
                                                                   shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["unassigned"]
        pane.move_cursor(row=row_of(pane, "MT1003"))
        first_row = pane.ordered_rows[0].key
        ctx.clock.set(T0 - timedelta(hours=2))  # an order older than all: it goes above the cursor
        new_order(ctx, "MT2001")
        ctx.clock.set(T0)
        perform(ctx, shift["MT1002"], Action.ASSIGN, DISPATCHER, store_id="S02")  # one row goes
        await wait_until(pilot, lambda: any("MT2001" in line for line in texts(pane)))
        assert pane.selected().order_no == "MT1003"
        assert not any("MT1002" in line for line in texts(pane))
        assert pane.ordered_rows[0].key == first_row  # the section heading row was never replaced


async def test_a_reload_touches_only_the_panes_that_moved(ctx: AppContext, make_app: Any,
                                                          shift: dict[str, int]) -> None:
    mark = pane_service.event_mark(ctx)
    perform(ctx, shift["MT1005"], Action.START_PICKING, DISPATCHER)
    assert pane_service.affected(ctx, mark)[1] == {"picking"}
    mark = pane_service.event_mark(ctx)
    perform(ctx, shift["MT1006"], Action.FINISH_PICKING, DISPATCHER)
    assert pane_service.affected(ctx, mark)[1] == {"picking", "board"}
    assert pane_service.affected(ctx, pane_service.event_mark(ctx)) [1] == frozenset()


async def test_ages_tick_every_second_without_a_query(ctx: AppContext, make_app: Any,
                                                      shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        pane = main.panes["picking"]
        assert "3m/5m" in texts(pane)[row_of(pane, "MT1005")]
        mark = main.mark
        ctx.clock.advance(seconds=75)
        await wait_until(pilot, lambda: "4m/5m" in texts(pane)[row_of(pane, "MT1005")], timeout=3)
        assert main.mark == mark  # nothing moved in the database: the time came from the screen
        ctx.clock.advance(minutes=1)
        await wait_until(pilot, lambda: "5m/5m" in texts(pane)[row_of(pane, "MT1005")], timeout=3)
        assert "拣货超时 2" in main.header.render_text(ctx.clock.now()).plain


async def test_the_backlog_badge_turns_amber_then_red(ctx: AppContext, make_app: Any,
                                                      shift: dict[str, int]) -> None:
    from ops_console.tui.header import backlog_style

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert main.header.backlog_minutes(T0) == 35  # MT1002, counted from its entry into unassigned
        settings = ctx.settings
        assert "green" in backlog_style(5, settings)
        assert "yellow" in backlog_style(10, settings)
        assert "red" in backlog_style(30, settings)
        line = main.header.render_text(T0)
        badge = next(span for span in line.spans if "red" in str(span.style))
        assert "积压 35m" in line.plain[badge.start:badge.end]


async def test_database_trouble_is_shown_and_retried(ctx: AppContext, make_app: Any, shift: dict[str, int],
                                                     monkeypatch: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        real = pane_queries.max_event_id  # the poll's query: the first to meet a locked database

        def broken(*args: Any, **kw: Any) -> Any:
            raise OperationalError("SELECT", {}, Exception("database is locked"))

        monkeypatch.setattr(pane_queries, "max_event_id", broken)
        perform(ctx, shift["MT1005"], Action.START_PICKING, DISPATCHER)
        await wait_until(pilot, lambda: main.header.error is not None)
        assert "database is locked" in main.header.render_text(T0).plain
        assert app.is_running
        monkeypatch.setattr(pane_queries, "max_event_id", real)
        picking = main.panes["picking"]
        await wait_until(pilot, lambda: "拣货中" in texts(picking)[row_of(picking, "MT1005")], timeout=15)
        assert main.header.error is None


async def test_no_refresh_while_a_dialog_is_open(ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: app.screen is not main)
        loads = main.loads
        perform(ctx, shift["MT1005"], Action.START_PICKING, DISPATCHER)
        await pilot.pause(0.3)
        assert main.loads == loads
        await pilot.press("escape")
        picking = main.panes["picking"]
        await wait_until(pilot, lambda: "拣货中" in texts(picking)[row_of(picking, "MT1005")])


async def test_one_reload_brings_twenty_changed_orders_in_place(ctx: AppContext, clock: ManualClock, make_app: Any,
                                                                shift: dict[str, int]) -> None:
    """20 orders change between two polls: the next reload shows all of it, row by row — the cursor
    stays on its order, orders that left a pane are gone, orders that entered one are there, and the
    titles count right — without loading the panes whole."""
    ids = dict(shift)
    for i in range(14):  # older than the shift's queue: a window of 10 shows MT1001 (urgent) and the 9 oldest
        clock.set(T0 - timedelta(minutes=100 - i))
        ids[f"MX{i:03d}"] = new_order(ctx, f"MX{i:03d}").order_id
    clock.set(T0)
    app = make_app(window=10, poll_seconds=3600)  # the test says when the poll runs
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        queue, picking, board = main.panes["unassigned"], main.panes["picking"], main.panes["board"]
        assert order_nos(queue) == ["MT1001", *(f"MX{i:03d}" for i in range(9)), "MT1004"]
        assert "显示 11 / 共 18" in str(queue.border_title)
        queue.move_cursor(row=row_of(queue, "MX006"))
        await pilot.pause()
        cursor_row = queue.cursor_row

        changed: set[str] = set()

        def act(no: str, action: Action, **params: Any) -> None:
            perform(ctx, ids[no], action, DISPATCHER, **params)
            changed.add(no)

        act("MX001", Action.ASSIGN, store_id="S01")  # the one in the window that leaves it
        for no in ("MX009", "MX010", "MX011", "MX013"):  # beyond the window: only the count moves
            act(no, Action.ASSIGN, store_id="S02")
        for no in ("MX006", "MX002", "MT1001", "MT1002"):
            act(no, Action.CLAIM)
        act("MX012", Action.CANCEL, reason="duplicate")
        act("MT1003", Action.CANCEL, reason="duplicate")
        act("MT1004", Action.APPROVE)  # manual review → the back of the queue
        act("MT1005", Action.START_PICKING)
        act("MT1006", Action.FINISH_PICKING)  # picking → the board
        act("MT1007", Action.ESCALATE, reason="no_free_courier")  # company → third party
        for i in range(5):
            ids[f"MY{i:03d}"] = new_order(ctx, f"MY{i:03d}").order_id
            changed.add(f"MY{i:03d}")
        with write_session(ctx.engine) as s:  # two urgent calls: they enter the window at the top
            for no in ("MY000", "MY001"):
                s.get(Order, ids[no]).urgent = True
        assert len(changed) == 20

        loads, reloaded = main.loads, main.live.reloaded
        main.refresh_now()
        await wait_until(pilot, lambda: main.loads > loads and not main._loading)
        await pilot.pause()
        assert main.loads == loads + 1  # one reload
        assert main.live.reloaded == reloaded  # the panes were patched, not loaded whole

        assert queue.selected().order_no == "MX006"  # the cursor stayed on its order…
        assert queue.cursor_row == cursor_row + 1  # …which moved down under the new urgent order
        assert "王丽" in texts(queue)[queue.cursor_row]  # and shows who claimed it
        # MX001 left; MY000/MY001 entered at the top; MX008 was pushed out of the window of 10;
        # manual review emptied.
        assert order_nos(queue) == ["MT1001", "MY000", "MY001", "MX000", "MX002", "MX003", "MX004", "MX005",
                                    "MX006", "MX007"]
        assert texts(queue)[0].startswith("待分配 显示 10 / 共 16")
        assert "显示 10 / 共 16" in str(queue.border_title)  # 17 - 5 assigned - 2 cancelled + 1 approved + 5 new
        assert not any("人工审核" in line for line in texts(queue))

        assert sorted(order_nos(picking)) == ["MT1005", "MX001", "MX009", "MX010", "MX011", "MX013"]
        assert "拣货中" in texts(picking)[row_of(picking, "MT1005")]
        assert str(picking.border_title).endswith("· 6")
        assert "待派" in texts(board)[row_of(board, "MT1006")]
        assert row_of(board, "MT1007") > row_of(board, "MT1009")  # under the third-party heading now
        assert str(board.border_title).endswith("· 4")


def order_nos(pane: Any) -> list[str]:
    """The order numbers of a pane's rows, top to bottom (headings left out)."""
    return [line.split()[0].split(":")[1] for line in texts(pane) if ":" in line.split()[0]]


def test_patched_panes_match_a_whole_load(ctx: AppContext, clock: ManualClock, shift: dict[str, int]) -> None:
    """Random actions on 60 orders, a reload after each batch: every pane the console patched shows what
    a whole load shows — the same rows of a pane without a window, the first rows of a windowed one —
    with the same totals and the same header."""
    rng = random.Random(5)
    for i in range(50):
        clock.set(T0 - timedelta(minutes=rng.randint(1, 200)))
        new_order(ctx, f"MR{i:03d}")
    clock.set(T0)
    moves: dict[str, list[tuple[Action, dict[str, Any]]]] = {
        "unassigned": [(Action.ASSIGN, {"store_id": "S01"}), (Action.CLAIM, {}), (Action.CANCEL, {"reason": "duplicate"})],
        "manual_review": [(Action.APPROVE, {})],
        "assigned": [(Action.START_PICKING, {}), (Action.CLAIM, {})],
        "picking": [(Action.FINISH_PICKING, {})],
        "picked": [(Action.ESCALATE, {"reason": "no_free_courier"})],
    }
    view = pane_service.LiveView(window=6)
    view.load(ctx)
    for round_no in range(25):
        clock.advance(seconds=rng.randint(1, 120))
        with read_session(ctx.engine) as s:
            open_orders = s.exec(select(Order.id, Order.status).where(Order.status.in_(list(moves)))).all()
        for order_id, status in rng.sample(open_orders, min(rng.choice((1, 3, 8)), len(open_orders))):
            action, params = rng.choice(moves[status])
            with contextlib.suppress(ServiceError):  # e.g. escalating past the last tier: nothing moved
                perform(ctx, order_id, action, DISPATCHER, **params)
        if round_no % 4 == 0:
            new_order(ctx, f"MN{round_no:03d}")
        view.refresh(ctx)
        whole = pane_service.load(ctx, window=6)
        for pane_id, data in whole.panes.items():
            mine = view.panes[pane_id]
            assert (mine.total, dict(mine.sections)) == (data.total, dict(data.sections)), (round_no, pane_id)
            if pane_id == "unassigned":
                for section in pane_service.QUEUE_SECTIONS:
                    shown = [r for r in mine.rows if r.status == section]
                    assert shown == [r for r in data.rows if r.status == section][:len(shown)], (round_no, section)
            else:
                assert list(mine.rows) == list(data.rows)[:len(mine.rows)], (round_no, pane_id)
        assert view.header == whole.header, round_no
        assert tuple(d for d, _ in view.clocks) == whole.picking_deadlines
    assert view.patched > view.reloaded  # mostly patched, as it should be


async def test_an_order_beyond_the_window_moves_only_the_count(ctx: AppContext, clock: ManualClock, make_app: Any,
                                                               shift: dict[str, int]) -> None:
    for i in range(12):  # assigned long ago: their picking deadlines come first
        clock.set(T0 - timedelta(minutes=60 - i))
        perform(ctx, new_order(ctx, f"MP{i:03d}").order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    clock.set(T0)
    app = make_app(window=10, poll_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        picking = main.panes["picking"]
        before = texts(picking)
        assert "显示 10 / 共 14" in str(picking.border_title)
        perform(ctx, shift["MT1003"], Action.ASSIGN, DISPATCHER, store_id="S02")  # due last: beyond the window
        loads = main.loads
        main.refresh_now()
        await wait_until(pilot, lambda: main.loads > loads and not main._loading)
        await pilot.pause()
        assert "显示 10 / 共 15" in str(picking.border_title)
        assert texts(picking) == before


def test_a_full_board_still_shows_the_orders_waiting_for_a_courier(ctx: AppContext, clock: ManualClock,
                                                                   shift: dict[str, int]) -> None:
    """At the rush the board holds more orders on the road than its window: an order the store has just
    picked (the one the dispatcher must act on) is in the window all the same, ahead of the orders on
    the road, on a whole load and when a refresh patches it in."""
    order_no = {v: k for k, v in shift.items()}

    def board(rows: Any) -> list[str]:
        return [order_no[r.id] for r in rows]

    clock.set(T0 - timedelta(minutes=1))
    perform(ctx, shift["MT1007"], Action.DISPATCH, DISPATCHER, courier_id="C01")  # the board: all on the road
    clock.set(T0)
    view = pane_service.LiveView(window=2)
    view.load(ctx)
    assert board(view.panes["board"].rows) == ["MT1009", "MT1008"] and view.panes["board"].total == 3
    perform(ctx, shift["MT1006"], Action.FINISH_PICKING, DISPATCHER)  # picked just now: the newest on the board
    reloaded = view.reloaded
    view.refresh(ctx)
    assert view.reloaded == reloaded  # patched in, not loaded whole
    assert board(view.panes["board"].rows) == ["MT1006", "MT1009"] and view.panes["board"].total == 4
    whole = pane_service.load(ctx, window=2)
    assert board(whole.panes["board"].rows) == ["MT1006", "MT1009"]


async def test_the_console_shows_a_picked_order_on_a_board_fuller_than_its_window(
        ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app(window=2)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        board = main.panes["board"]
        shown = " ".join(texts(board))
        assert "MT1007" in shown  # picked 4 minutes ago: newer than both orders on the road
        assert "MT1009" in shown and "MT1008" not in shown  # the oldest on the road, then the window ends
