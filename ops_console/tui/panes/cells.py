"""How values look in a pane's cells: labels from the catalog, order numbers, durations."""

from __future__ import annotations

from typing import Literal

from rich.text import Text

from ops_console.i18n import has, t

Justify = Literal["left", "center", "right", "full", "default"]


class RowText(Text):
    """The first cell of a row: carries the row key so that `DataTable.sort` can order rows by it."""

    __slots__ = ("row_key",)

    def __init__(self, text: str, row_key: str, style: str = "") -> None:
        super().__init__(text, style=style, no_wrap=True, overflow="ellipsis")
        self.row_key = row_key


def cell(text: str, style: str = "", justify: Justify = "left") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis", justify=justify)


def label(prefix: str, value: str | None) -> str:
    """A code shown through the catalog when it has a name there, else as it is."""
    if not value:
        return ""
    key = f"{prefix}.{value}"
    return t(key) if has(key) else value


def order_label(channel: str, order_no: str) -> str:
    """`美团:MT9001`: the channel's short name and the order number."""
    return f"{label('console.channel_short', channel)}:{order_no}"


def duration(seconds: float) -> str:
    """12:05 under an hour, 1h05 above, 2d03h above a day; negative values keep their sign."""
    sign = "-" if seconds < 0 else ""
    s = int(abs(seconds))
    if s < 3600:
        return f"{sign}{s // 60:02d}:{s % 60:02d}"
    if s < 86400:
        return f"{sign}{s // 3600}h{(s % 3600) // 60:02d}"
    return f"{sign}{s // 86400}d{(s % 86400) // 3600:02d}h"


def minutes_text(seconds: float) -> str:
    m = int(max(0, seconds) // 60)
    return f"{m}m" if m < 60 else f"{m // 60}h{m % 60:02d}"
