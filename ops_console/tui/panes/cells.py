"""How values look in a pane's cells: labels from the catalog, order numbers, durations."""

from __future__ import annotations

from datetime import datetime, tzinfo
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


def elapsed(seconds: float) -> str:
    """How long: `38m` under an hour, `1h05` under a day, `2d` beyond; negative keeps its sign."""
    sign = "-" if seconds < 0 else ""
    m = int(abs(seconds)) // 60
    if m < 60:
        return f"{sign}{m}m"
    if m < 1440:
        return f"{sign}{m // 60}h{m % 60:02d}"
    return f"{sign}{m // 1440}d"


def clock_time(when: datetime, tz: tzinfo, now: datetime) -> str:
    """When: `23:23` today (local), `12-03 10:00` on another day — never a bare time of another day."""
    local = when.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M}"
    return f"{local:%m-%d %H:%M}"


# The older names of `elapsed` (one format for every elapsed time on screen).
duration = elapsed


def minutes_text(seconds: float) -> str:
    return elapsed(max(0.0, seconds))
