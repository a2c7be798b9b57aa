"""A tiny harness App that pushes one dialog over a throwaway database with a ManualClock, so the
dialogs are tested without the main console. The harness records what the dialog dismissed with."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

from ops_console.services.context import AppContext

SIZE = (120, 44)


class Harness(App[None]):
    """Shows one dialog; `results` holds what it dismissed with."""

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make = make
        self.results: list[Any] = []
        self.dialog: Screen[Any] | None = None

    def on_mount(self) -> None:
        self.dialog = self.make()
        self.push_screen(self.dialog, self.results.append)


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the dialog did not get there in time")
        await pilot.pause(0.02)


async def settle(pilot: Any) -> None:
    """Every worker done and its message handled."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def done(pilot: Any) -> Any:
    """Wait until the dialog dismissed; its result."""
    app: Harness = pilot.app
    await wait_until(pilot, lambda: bool(app.results))
    return app.results[-1]


def plain(renderable: Any) -> str:
    """A renderable as the plain text a user reads."""
    if isinstance(renderable, str):
        return renderable
    if isinstance(renderable, Text | Content):
        return renderable.plain
    console = Console(width=160, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def shown(screen: Screen[Any], selector: str = "#message") -> str:
    """The text a Static shows."""
    return plain(screen.query_one(selector, Static).content)


def screen_text(screen: Screen[Any]) -> str:
    """Every visible Static's text on the dialog, joined."""
    return "\n".join(plain(w.content) for w in screen.query(Static)
                     if all(node.display for node in w.ancestors_with_self if node is not screen.app))


def options(screen: Screen[Any], selector: str) -> list[str]:
    """An OptionList's lines as read, top to bottom."""
    ol = screen.query_one(selector, OptionList)
    return [plain(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]


def highlighted(screen: Screen[Any], selector: str) -> str | None:
    """The OptionList line the cursor is on."""
    ol = screen.query_one(selector, OptionList)
    return None if ol.highlighted is None else plain(ol.get_option_at_index(ol.highlighted).prompt)


def type_into(screen: Screen[Any], selector: str, value: str) -> None:
    screen.query_one(selector, Input).value = value


def no_blink(app: App[Any]) -> None:
    for inp in app.screen.query(Input):
        inp.cursor_blink = False


@pytest.fixture
def harness(city: AppContext) -> Callable[[Callable[[], Screen[Any]]], Harness]:
    return Harness
