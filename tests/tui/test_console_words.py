"""#14 point 9/10, console side: refusals in the UI's own labels naming the statuses that allow the
action, dialog titles capitalised, the palette in the UI's language, the filter on screen labels."""

from __future__ import annotations

from typing import Any

from ops_console.i18n import set_language
from tests.tui.conftest import settle, texts, wait_until
from tests.tui.test_keys import notes, select_row, type_text


async def test_a_refusal_names_the_statuses_that_allow_the_action(make_app: Any, shift: dict[str, int]) -> None:
    set_language("en")
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "board", "MT1007")  # waiting for a courier
        await pilot.press("o")
        await wait_until(pilot, lambda: "MT1007" in notes(app))
        assert "Order MT1007 is waiting: call customer only works on dispatched" in notes(app)


async def test_dialog_titles_are_capitalised_and_the_palette_speaks_chinese(make_app: Any,
                                                                           shift: dict[str, int]) -> None:
    set_language("en")
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        main = await settle(pilot)
        await select_row(pilot, main, "unassigned", "MT1004")
        await pilot.press("x")
        await wait_until(pilot, lambda: app.screen is not main)
        assert str(app.screen.query_one("#title").render()).startswith("Reject")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main)
        set_language("zh_CN")
        titles = [c.title for c in app.get_system_commands(main)]
        assert "主题" in titles and "Theme" not in titles and "Screenshot" not in titles


async def test_filter_finds_the_label_shown_on_screen(make_app: Any, shift: dict[str, int]) -> None:
    set_language("en")
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        main = await settle(pilot)
        await pilot.press("3")
        await type_text(pilot, "/on the road")
        await pilot.press("enter")
        await pilot.pause()
        rows = [line for line in texts(main.panes["board"]) if "MT" in line]
        assert rows and all("on the road" in line for line in rows)
