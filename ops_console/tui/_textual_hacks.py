"""Every use of Textual's private internals, in one place (Memray keeps its DataTable hacks so too).

Textual may rename any of these in a minor release; tests/tui/test_textual_hacks.py fails then, so
an upgrade shows here instead of as a blank pane. Nothing else in tui/ touches a `_name` of Textual.

- `CachedRowsMixin` keeps rendered lines and cells of a DataTable while the cell objects, their
  place and their look are the same (the built-in caches are keyed by an update counter and the
  focus state, so any change re-rendered every visible line through Rich, ≈ 0.2-1 ms a line).
- `withdraw_notification` takes one notification off the screen (Textual has no public call).
"""

from __future__ import annotations

import contextlib
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.cache import LRUCache
from textual.geometry import Region
from textual.notifications import Notification
from textual.strip import Strip
from textual.widgets import DataTable

# The private names used below, checked by the test against the installed Textual.
DATATABLE_METHODS = ("_render_line", "_render_cell", "_get_offsets")
DATATABLE_ATTRIBUTES = ("_data", "_row_locations", "_column_locations", "_header_row_key", "_show_hover_cursor")
APP_METHODS = ("_unnotify",)


class CachedRowsMixin(DataTable[Any]):
    """Rendered lines and cells kept by what decides their look. Cells must be immutable (a changed
    cell is a new object), so identity is the test; the look is the table's base style plus the
    cursor, hover or header style, read once per paint — a focus change re-renders the cursor line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cell_lines: LRUCache[tuple[Any, ...], tuple[Any, list[list[Segment]]]] = LRUCache(4096)
        self._strips: LRUCache[tuple[Any, ...], tuple[tuple[Any, ...], Strip]] = LRUCache(1024)
        self._paint_style: Style | None = None
        self._looks: tuple[Style, Style, Style] | None = None

    def forget_rendered(self) -> None:
        self._cell_lines.clear()
        self._strips.clear()

    def cell_value(self, row_key: Any, column_key: Any) -> Any:
        return self._data[row_key][column_key]

    def render_lines(self, crop: Region) -> list[Strip]:
        self._paint_style = self.rich_style  # one walk up the DOM per paint, not one per line
        self._looks = self._component_looks()
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = None
            self._looks = None

    def _component_looks(self) -> tuple[Style, Style, Style]:
        get = self.get_component_rich_style
        return get("datatable--cursor"), get("datatable--hover"), get("datatable--header")

    @property
    def rich_style(self) -> Style:
        return self._paint_style if self._paint_style is not None else super().rich_style

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        if self.cursor_type != "row":
            return super()._render_line(y, x1, x2, base_style)
        try:
            row_key, line = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        if row_key is self._header_row_key:
            row_index = -1
            values: tuple[Any, ...] = tuple(c.label for c in self.ordered_columns)
        else:
            located = self._row_locations.get(row_key)
            if located is None:  # not a row of this table (yet): Textual draws it
                return super()._render_line(y, x1, x2, base_style)
            row_index = located
            values = tuple(self._data[row_key].values())
        hover = self.hover_coordinate
        cursor_style, hover_style, header_style = self._looks or self._component_looks()
        on_cursor = self.cursor_coordinate.row == row_index
        on_hover = hover.row == row_index
        key = (row_key, line, row_index, x1, x2, self.size.width, base_style, on_cursor and cursor_style,
               on_hover and (hover, hover_style), row_index < 0 and header_style, self.show_cursor,
               self._show_hover_cursor, tuple(c.get_render_width(self) for c in self.ordered_columns))
        hit = self._strips.get(key)
        if hit is not None and len(hit[0]) == len(values) and all(a is b for a, b in zip(hit[0], values, strict=True)):
            return hit[1]
        strip = super()._render_line(y, x1, x2, base_style)
        self._strips[key] = (values, strip)
        return strip

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:  # past the last row or column: Textual draws it
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        value = self._data[row_key][column_key]
        cursor_style, hover_style, _ = self._looks or self._component_looks()
        key = (row_key, column_key, row_index, base_style, width, cursor and cursor_style, hover and hover_style,
               self._show_hover_cursor)
        hit = self._cell_lines.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._cell_lines[key] = (value, lines)
        return lines


def withdraw_notification(app: App[Any], note: Notification) -> None:
    """Take one notification off the screen; a KeyError means it was dismissed already."""
    with contextlib.suppress(KeyError):
        app._unnotify(note)
