"""Snapshots (pytest-textual-snapshot) of the main screen and the help, in both languages, with a
fixed clock, fixed data and a fixed terminal size. `pytest --snapshot-update` re-records them."""

from __future__ import annotations

from typing import Any

import pytest

from ops_console.i18n import set_language
from tests.tui.conftest import SIZE, settle, wait_until


@pytest.fixture(params=["zh_CN", "en"])
def language(request: pytest.FixtureRequest) -> str:
    set_language(request.param)
    return request.param


@pytest.mark.parametrize("size", [(200, 50), (120, 40), (80, 24)], ids=["200x50", "120x40", "80x24"])
def test_main_screen(snap_compare: Any, make_app: Any, shift: dict[str, int], language: str,
                     size: tuple[int, int]) -> None:
    """Wide: four panes; below 160 columns: tabs; 80x24: one pane, one header line. No status or
    order number is ever cut (test_no_order_number_or_status_is_cut checks the same in text)."""
    async def ready(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", [(200, 50), (120, 40), (80, 24)])
async def test_no_order_number_or_status_is_cut(make_app: Any, shift: dict[str, int], language: str,
                                                size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        main = await settle(pilot)
        for key in ("1", "2", "3", "4"):
            await pilot.press(key)
            await pilot.pause()
            pane = main.focused_pane()
            assert pane.region.width > 0
            for row in range(pane.row_count):
                for value in pane.get_row_at(row)[:2]:  # the order and its status (or the alert's kind)
                    column = pane.ordered_columns[pane.get_row_at(row).index(value)]
                    assert value.cell_len <= column.get_render_width(pane) - 2, (size, key, str(value))


def test_help_screen(snap_compare: Any, make_app: Any, shift: dict[str, int], language: str) -> None:
    from ops_console.tui.help import HelpScreen

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready)
