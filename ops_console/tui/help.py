"""`?`: every key of the current screen, grouped, in the current language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ops_console.i18n import t
from ops_console.tui.keys import GROUPS, KEYS, KeySpec


def help_table(keys: Iterable[KeySpec], allowed: set[str] | None = None) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    by_group: dict[str, list[KeySpec]] = {}
    for k in keys:
        by_group.setdefault(k.group, []).append(k)
    for group in GROUPS:
        if group not in by_group:
            continue
        table.add_row(Text(t(f"console.group.{group}"), style="bold underline"), "")
        for k in by_group[group]:
            desc = Text(t(k.desc))
            if allowed is not None and k.name not in allowed:
                desc.append("  " + t("console.help.not_your_role"), style="dim")
            table.add_row(k.shown, desc)
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "console.key.close", show=False),
        Binding("question_mark", "close", "console.key.close", show=False),
        Binding("q", "close", "console.key.close", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; height: 90%; border: thick $accent; background: $surface; padding: 0 2; }
    """

    def __init__(self, keys: Iterable[KeySpec] = KEYS, allowed: set[str] | None = None) -> None:
        super().__init__()
        self.keys = list(keys)
        self.allowed = allowed

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = t("console.help.title")
            scroll.border_subtitle = t("console.help.close")
            yield Static(help_table(self.keys, self.allowed))

    def action_close(self) -> None:
        self.dismiss(None)
