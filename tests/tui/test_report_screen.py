"""`:report` (Pilot): a supervisor reads today's figures so far; anyone else is told it is theirs."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from ops_console.services.context import AppContext
from ops_console.tui.screens.report import ReportScreen
from tests.conftest import SUPERVISOR
from tests.tui.conftest import SIZE, settle, wait_until


def notes(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_supervisor_gets_todays_figures_read_only(ctx: AppContext, shift: dict[str, int],
                                                          make_app: Any) -> None:
    app = make_app(actor=SUPERVISOR)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"report", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen.loaded)
        console = Console(width=160)
        with console.capture() as capture:
            console.print(app.screen.view)
        text = capture.get()
        assert "今日至今" in str(app.screen.query_one("#title").render())
        head, numbers = [line for line in text.splitlines() if "接单" in line or line.strip().startswith("│ ")][:2]
        assert "接单" in head and numbers.split("│")[1].strip() == "9"  # the shift's nine orders came in today
        # What would stop a closeout now, in words: the shift's open orders and its critical reminder.
        assert "现在日结会被以下" in text
        assert "订单 meituan:MT1001 仍为 待分配" in text and "严重提醒" in text and "待分配严重积压" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReportScreen))


async def test_a_dispatcher_is_told_the_report_is_for_supervisors(ctx: AppContext, shift: dict[str, int],
                                                                  make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"report", "enter")
        await wait_until(pilot, lambda: any("仅限主管" in n for n in notes(app)))
        assert not isinstance(app.screen, ReportScreen)
