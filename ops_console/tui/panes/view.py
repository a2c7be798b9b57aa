"""What a pane shows of its rows, as pure functions: filter (`/` and `:store`), sort (`<` `>`) and
grouping under section headings. No widget here, so the rules are tested on their own
(tests/tui/test_view.py); `LiveTable` calls them on every render."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Heading:
    """A section heading row (a store, a tier, the manual-review queue)."""

    group: str
    label: str
    rows: tuple[Any, ...]
    total: int | None = None

    @property
    def key(self) -> str:
        return f"h:{self.group}"


def make_filter(text: str) -> Callable[[str], bool]:
    """Text or regex, case-insensitive; a leading `!` keeps the rows that do *not* match."""
    invert = text.startswith("!")
    pattern = text[1:] if invert else text
    try:
        rx = re.compile(pattern, re.IGNORECASE)
    except re.error:
        rx = re.compile(re.escape(pattern), re.IGNORECASE)
    if invert:
        return lambda s: rx.search(s) is None
    return lambda s: rx.search(s) is not None


def sortable(value: Any) -> tuple[int, Any]:
    """A sort key where None sorts last and mixed types never raise."""
    if value is None:
        return (3, "")
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, datetime):
        return (0, value.timestamp())
    if isinstance(value, tuple):  # its own rank: a tuple never meets a number in a comparison
        return (1, tuple(sortable(v) for v in value))
    return (2, str(value))


def filter_rows(rows: Iterable[Any], *, store: str | None = None, store_of: Callable[[Any], str | None] | None = None,
                keep: Callable[[str], bool] | None = None, text_of: Callable[[Any], str] | None = None) -> list[Any]:
    """The rows of one store (when `store`), whose on-screen text (`text_of`) passes `keep`."""
    out = list(rows)
    if store and store_of is not None:
        out = [r for r in out if store_of(r) == store]
    if keep is not None and text_of is not None:
        out = [r for r in out if keep(text_of(r))]
    return out


def sort_rows(rows: Sequence[Any], key: Callable[[Any], Any] | None,
              default_order: Callable[[list[Any]], list[Any]] | None = None) -> list[Any]:
    """By a column's key (stable, None last), or the pane's own order when no column is chosen."""
    if key is not None:
        return sorted(rows, key=lambda r: sortable(key(r)))
    return default_order(list(rows)) if default_order is not None else list(rows)


def group_rows(rows: Sequence[Any], group_of: Callable[[Any], tuple[Any, str, str] | None],
               sections: Mapping[str, int] | None = None) -> list[tuple[str, Any]]:
    """(key, item) in screen order: each group's Heading, then its rows; groups by their order value.
    A pane without sections (`group_of` gives None) gets its rows as they are."""
    if not rows or group_of(rows[0]) is None:
        return [(r.key, r) for r in rows]
    groups: dict[str, list[Any]] = {}
    meta: dict[str, tuple[Any, str]] = {}
    for r in rows:
        found = group_of(r)
        if found is None:  # mixed rows: an ungrouped one goes into a group of its own
            found = (None, "", "")
        order, gid, glabel = found
        groups.setdefault(gid, []).append(r)
        meta.setdefault(gid, (order, glabel))
    out: list[tuple[str, Any]] = []
    totals = sections or {}
    for gid in sorted(groups, key=lambda g: sortable(meta[g][0])):
        heading = Heading(gid, meta[gid][1], tuple(groups[gid]), totals.get(gid))
        out.append((heading.key, heading))
        out.extend((r.key, r) for r in groups[gid])
    return out


def fit_columns(naturals: Sequence[int], priorities: Sequence[int], minimums: Sequence[int],
                flex: Sequence[bool], available: int, padding: int = 2) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Which columns a pane of `available` cells shows, and how wide: each as wide as its content
    (`naturals`); when that does not fit, flexible columns (an address) give way down to their
    minimum, then the column with the highest priority number goes (priority 1 always stays), and
    so on. Never cuts a column that is not flexible."""
    visible = list(range(len(naturals)))
    while True:
        widths = {i: naturals[i] for i in visible}
        over = sum(widths[i] + padding for i in visible) - available
        for i in visible:
            if over <= 0:
                break
            if flex[i] and widths[i] > minimums[i]:
                take = min(over, widths[i] - minimums[i])
                widths[i] -= take
                over -= take
        droppable = [i for i in visible if priorities[i] > 1]
        if over <= 0 or not droppable:
            return tuple(visible), tuple(widths[i] for i in visible)
        visible.remove(max(droppable, key=lambda i: (priorities[i], i)))
