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


def test_main_screen(snap_compare: Any, make_app: Any, shift: dict[str, int], language: str) -> None:
    async def ready(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready)


def test_help_screen(snap_compare: Any, make_app: Any, shift: dict[str, int], language: str) -> None:
    from ops_console.tui.help import HelpScreen

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ready)
