"""The bottom line: `/` filters the focused pane, `:` runs a command (k9s style), with completion.

Commands: `:store S12` (show one store's orders in every pane), `:order MT9001` (open it),
`:assign MT9001 S07`, `:lang en|zh_CN`, `:report` (supervisors: today so far), `:help`, `:quit`. Tab or → accepts the suggestion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

from ops_console.i18n import t
from ops_console.services.panes import Vocabulary

COMMANDS = ("store", "order", "assign", "lang", "report", "help", "quit")


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]


def parse_command(text: str) -> Command | None:
    """`:assign MT9001 S07` → Command("assign", ("MT9001", "S07")); unknown names are None."""
    words = text.strip().lstrip(":").split()
    if not words:
        return None
    name = words[0].lower()
    matches = [c for c in COMMANDS if c.startswith(name)]
    if name not in COMMANDS and len(matches) != 1:
        return None
    return Command(name if name in COMMANDS else matches[0], tuple(words[1:]))


def candidates(vocab: Vocabulary | None, before: list[str]) -> list[str]:
    """What the word being typed may be, given the words before it."""
    if not before:
        return list(COMMANDS)
    if vocab is None:
        return []
    cmd = before[0]
    position = len(before)
    if cmd == "store" and position == 1:
        return sorted(vocab.stores)
    if cmd == "order" and position == 1:
        return list(vocab.order_numbers)
    if cmd == "assign":
        return list(vocab.order_numbers) if position == 1 else sorted(vocab.stores) if position == 2 else []
    if cmd == "lang" and position == 1:
        return ["zh_CN", "en"]
    return []


class CommandSuggester(Suggester):
    def __init__(self, vocabulary: Callable[[], Vocabulary | None]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.vocabulary = vocabulary

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value, self.vocabulary())


def complete(value: str, vocab: Vocabulary | None) -> str | None:
    words = value.split(" ")
    current = words[-1]
    if not current:
        return None
    lower = current.lower()
    for word in candidates(vocab, [w for w in words[:-1] if w]):
        if word.lower().startswith(lower) and word != current:
            return value[: len(value) - len(current)] + word
    return None


class CommandLine(Input):
    """Hidden until `/` or `:`; Enter submits, Esc cancels (and clears the filter)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "console.key.cancel", show=False),
        Binding("tab", "accept", "console.key.complete", show=False),
    ]

    class Submitted(Message):
        def __init__(self, mode: str, value: str) -> None:
            super().__init__()
            self.mode = mode
            self.value = value

    class Cancelled(Message):
        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, vocabulary: Callable[[], Vocabulary | None]) -> None:
        super().__init__(id="cmdline", suggester=CommandSuggester(vocabulary))
        self.mode = "command"
        self._command_suggester = self.suggester
        self.display = False

    def open(self, mode: str, value: str = "") -> None:
        self.mode = mode
        self.suggester = self._command_suggester if mode == "command" else None
        self.placeholder = t("console.cmd.placeholder" if mode == "command" else "console.filter.placeholder")
        self.border_title = ":" if mode == "command" else "/"
        self.value = value
        self.display = True
        self.focus()
        self.cursor_position = len(value)

    def close(self) -> None:
        self.display = False
        self.value = ""

    async def action_submit(self) -> None:
        mode, value = self.mode, self.value
        self.close()
        self.post_message(self.Submitted(mode, value))

    def action_cancel(self) -> None:
        mode = self.mode
        self.close()
        self.post_message(self.Cancelled(mode))

    def action_accept(self) -> None:
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
