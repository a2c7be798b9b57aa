"""A yes/no question (quitting): Enter or `y` says yes, Esc or `n` says no."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from ops_console.tui.screens.base import OpsModal


class ConfirmScreen(OpsModal):
    """`ConfirmScreen(question)` dismisses with True (yes) or False (no)."""

    title_key = "screens.confirm.title"
    hint_key = "screens.hint.yes_no"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", show=False),
        Binding("enter,y", "answer(True)", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose_body(self) -> ComposeResult:
        yield Static(self.question, id="question")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
