"""Live data: reloads by the event log, rows updated in place, two consoles on one database,
database trouble shown and survived."""

from __future__ import annotations

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
from ops_console.services.lifecycle import perform
from ops_console.storage.db import read_session
from ops_console.storage.models import Event
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
        assert "03:00/5m" in texts(pane)[row_of(pane, "MT1005")]
        mark = main.mark
        ctx.clock.advance(seconds=75)
        await wait_until(pilot, lambda: "04:15/5m" in texts(pane)[row_of(pane, "MT1005")], timeout=3)
        assert main.mark == mark  # nothing moved in the database: the time came from the screen
        ctx.clock.advance(minutes=1)
        await wait_until(pilot, lambda: "05:15/5m" in texts(pane)[row_of(pane, "MT1005")], timeout=3)
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
        real = pane_service.load

        def broken(*args: Any, **kw: Any) -> Any:
            raise OperationalError("SELECT", {}, Exception("database is locked"))

        monkeypatch.setattr(pane_service, "load", broken)
        perform(ctx, shift["MT1005"], Action.START_PICKING, DISPATCHER)
        await wait_until(pilot, lambda: main.header.error is not None)
        assert "database is locked" in main.header.render_text(T0).plain
        assert app.is_running
        monkeypatch.setattr(pane_service, "load", real)
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
