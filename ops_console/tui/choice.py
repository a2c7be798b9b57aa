"""Two small dialogs of the console shell: pick one of a few options, answer yes or no."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ops_console.i18n import t


class ChoiceScreen(ModalScreen[str | None]):
    """A title and a list; Enter picks, Esc cancels (dismisses with None)."""

    BINDINGS = [Binding("escape", "cancel", "console.key.cancel", show=False)]
    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical { width: 60; height: auto; max-height: 80%; border: thick $accent; background: $surface; padding: 0 1; }
    ChoiceScreen OptionList { height: auto; max-height: 20; }
    """

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield OptionList(*(Option(text, id=value) for value, text in self.options))
            yield Label(t("console.choice_hint"), classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class YesNoScreen(ModalScreen[bool]):
    """A question; y / Enter says yes, n / Esc says no."""

    BINDINGS = [
        Binding("y", "answer(True)", "console.yes", show=False),
        Binding("enter", "answer(True)", "console.yes", show=False),
        Binding("n", "answer(False)", "console.no", show=False),
        Binding("escape", "answer(False)", "console.no", show=False),
    ]
    DEFAULT_CSS = """
    YesNoScreen { align: center middle; }
    YesNoScreen > Vertical { width: 50; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Label(t("console.yes_no_hint"), classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
