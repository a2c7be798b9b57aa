"""#14: one truth for counts (header = pane 4 = the sign-in note), the critical banner above the
panes with its live age, tabs below 160 columns, one header line at 80x24."""

from __future__ import annotations

from typing import Any

from ops_console.services.context import AppContext
from tests.tui.conftest import row_of, settle, texts, wait_until
from tests.tui.test_keys import notes


def _pane4_counts(main: Any) -> tuple[int, int]:
    rows = main.panes["alerts"].data_rows
    return (sum(1 for r in rows if r.status == "open"),
            sum(1 for r in rows if r.status == "open" and r.severity == "critical"))


async def test_header_and_sign_in_note_count_what_pane_4_shows(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        main = await settle(pilot)
        open_alerts, critical = _pane4_counts(main)
        assert (open_alerts, critical) == (2, 1)  # the critical reminder and the amount anomaly
        header = main.header.render_text(main.ctx.clock.now()).plain
        assert f"未处理告警 {open_alerts}" in header and f"严重告警 {critical}" in header
        await wait_until(pilot, lambda: "已登录" in notes(app))
        assert f"已登录 · 未处理告警 {open_alerts} · 严重告警 {critical}" in notes(app)


async def test_critical_banner_stays_above_the_panes_and_goes_when_acknowledged(
        ctx: AppContext, make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        main = await settle(pilot)
        banner = main.query_one("#banner")
        assert banner.display and "09:59 提醒" in str(banner.render()) and "×3" in str(banner.render())
        assert banner.region.bottom <= main.query_one("#panes").region.y  # above the panes, not over them
        await pilot.press("4")
        pane = main.panes["alerts"]
        pane.move_cursor(row=row_of(pane, "×3"))
        await pilot.press("A", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: not banner.display)


async def test_narrow_screen_shows_one_pane_as_tabs(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settle(pilot)
        assert main.has_class("tabs")
        shown = [p.pane_id for p in main.panes.values() if p.display and p.region.width]
        assert shown == ["unassigned"]
        await pilot.press("3")
        await pilot.pause()
        shown = [p.pane_id for p in main.panes.values() if p.region.width]
        assert shown == ["board"] and main.focused_pane().pane_id == "board"
        board = texts(main.panes["board"])
        assert any("MT1009" in line and "50m" in line for line in board)  # the time stays at 120 columns
        await pilot.press("l")
        await pilot.pause()
        assert main.focused_pane().pane_id == "alerts"


async def test_small_terminal_has_a_one_line_header(make_app: Any, shift: dict[str, int]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        main = await settle(pilot)
        header = main.header.render_text(main.ctx.clock.now())
        assert "\n" not in header.plain and header.cell_len <= 80
        assert "积压" in header.plain and "严重告警 1" in header.plain
