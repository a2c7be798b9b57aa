"""The live table every pane is built on: rows updated in place by key, never cleared and refilled.

A pane gets a `PaneData` snapshot, turns each row into cells, and diffs them into its DataTable:
new rows are added, changed cells updated, stale rows removed, and the order fixed with one
`sort` — so the cursor stays on the same order while the data moves under it (Memray's live
table does the same). A snapshot that says which keys changed since the one the pane shows gets
only those rows (and the section headings) rebuilt and compared. Ages and timers tick every
second from the timestamps already held, touching only the visible rows whose text changed.
Filtering (`/`), column sorting (`<` `>`) and tags (Space) are view state kept here, applied on
every render.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.widgets.data_table import CellDoesNotExist

from ops_console.i18n import t
from ops_console.services.panes import PaneData
from ops_console.tui import keys
from ops_console.tui._textual_hacks import CachedRowsMixin
from ops_console.tui.panes.cells import RowText, cell, duration, label, minutes_text, order_label
from ops_console.tui.panes.view import Heading, filter_rows, fit_columns, group_rows, make_filter, sort_rows

__all__ = ["Column", "Heading", "LiveTable", "RowText", "cell", "duration", "label", "make_filter", "minutes_text",
           "order_label"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # catalog key
    width: int  # the least width (a flexible column is cut down to it before others go)
    sort: Callable[[Any], Any] | None = None
    priority: int = 1  # 1 always stays; when the pane is narrow the highest number goes first
    flex: bool = False  # free text (an address): takes what is left, cut with an ellipsis
    most: int = 60  # a flexible column's widest


def fixed_width(labels: Sequence[str]) -> int:
    """The width of a column of catalog labels (statuses): the longest, so none is ever cut."""
    return max((cell_len(x) for x in labels), default=1)


class LiveTable(CachedRowsMixin):
    """A pane: a DataTable kept in step with snapshots by row key."""

    BINDINGS = keys.pane_bindings()

    pane_id: ClassVar[str] = ""
    title_key: ClassVar[str] = ""
    number: ClassVar[int] = 0
    filters_by_store: ClassVar[bool] = True

    def __init__(self, tz: Any) -> None:
        super().__init__(id=f"pane-{self.pane_id}", cursor_type="row", zebra_stripes=False,
                         cursor_foreground_priority="renderable")
        self.tz = tz
        self.data_rows: list[Any] = []  # the rows of the last snapshot, in the service's order
        self.items: dict[str, Any] = {}  # row key -> data row or Heading, as shown
        self.shown: dict[str, tuple[Text, ...]] = {}
        self.total = 0
        self.sections: dict[str, int] = {}
        self.filter_text = ""
        self._filter: Callable[[str], bool] | None = None
        self.sort_index: int | None = None
        self.tagged: set[str] = set()
        self.store_filter: str | None = None
        self.now: datetime | None = None
        self.loaded = False
        self.revision = -1  # of the PaneData shown
        self._cache: dict[str, tuple[Any, bool, tuple[Text, ...]]] = {}  # key -> (row, tagged, cells)
        self._let_go: tuple[str, Any] | None = None  # (key, status) of the row just acted on (see let_go)
        self._column_keys: tuple[str, ...] | None = None
        self.column_choice: tuple[int, ...] | None = None  # the columns shown (indexes into columns_spec)
        self.widths: tuple[int, ...] = ()
        self._fitting = False

    # -- what a pane defines ------------------------------------------------------------------
    def columns_spec(self) -> Sequence[Column]:
        raise NotImplementedError

    def cells(self, row: Any, now: datetime) -> list[Text]:
        raise NotImplementedError

    @property
    def column_keys(self) -> tuple[str, ...]:
        """The keys of every column a row has cells for (shown or not)."""
        keys = self._column_keys
        if keys is None:
            keys = self._column_keys = tuple(c.key for c in self.columns_spec())
        return keys

    def _shown_columns(self) -> tuple[int, ...]:
        return self.column_choice if self.column_choice is not None else tuple(range(len(self.column_keys)))

    def _pick(self, cells: tuple[Text, ...]) -> list[Text]:
        return [cells[i] for i in self._shown_columns() if i < len(cells)]

    def group_of(self, row: Any) -> tuple[Any, str, str] | None:
        """(group order, group id, heading label) or None for a pane without sections."""
        return None

    def heading_cells(self, heading: Heading, now: datetime, *notes: Text) -> list[Text]:
        """The group's name in the first column, its count (and notes) in the next ones."""
        count = str(len(heading.rows))
        if heading.total is not None and heading.total > len(heading.rows):
            count = t("console.window", shown=len(heading.rows), total=heading.total)
        cells: list[Text] = [RowText(heading.label, heading.key, "bold reverse"), cell(count, "bold")]
        cells += list(notes)
        width = len(self.column_keys)
        cells += [cell("") for _ in range(width - len(cells))]
        return cells[:width]

    def default_order(self, rows: list[Any]) -> list[Any]:
        return rows

    def row_store(self, row: Any) -> str | None:
        return getattr(row, "store_id", None)

    # -- rendering: rendered lines and cells are cached by look (tui/_textual_hacks.py) ----------------

    # -- lifecycle ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._add_columns()
        self.update_titles()

    def _add_columns(self) -> None:
        specs = self.columns_spec()
        for n, i in enumerate(self._shown_columns()):
            col = specs[i]
            width = self.widths[n] if n < len(self.widths) else col.width
            self.add_column(Text(t(col.label), style="bold", no_wrap=True), width=width, key=col.key)

    # -- columns that fit: widths from content, the least important dropped first ------------------
    def _naturals(self) -> list[int]:
        specs = self.columns_spec()
        out = []
        for i, col in enumerate(specs):
            widest = max((cells[i].cell_len for cells in self.shown.values() if i < len(cells)), default=0)
            natural = max(col.width, cell_len(t(col.label)), widest)
            out.append(min(natural, max(col.most, col.width)) if col.flex else natural)
        return out

    def fit(self, grow_only: bool = False) -> bool:
        """Choose the columns for the pane's width; rebuild the table when the choice changed. With
        `grow_only` (after new rows) columns only widen, so rows leaving never make the table jump."""
        available = self.size.width - 1  # the vertical scrollbar
        if available <= 1:
            return False
        specs = self.columns_spec()
        naturals = self._naturals()
        if grow_only and self.column_choice is not None:
            for n, i in enumerate(self.column_choice):
                if not specs[i].flex:
                    naturals[i] = max(naturals[i], self.widths[n])
        visible, widths = fit_columns(naturals, [c.priority for c in specs], [c.width for c in specs],
                                      [c.flex for c in specs], available)
        if visible == self.column_choice and widths == self.widths:
            return False
        self.column_choice, self.widths = visible, widths
        self._rebuild()
        return True

    def on_resize(self) -> None:
        self.fit()

    def update_titles(self) -> None:
        title = f"{self.number} {t(self.title_key)}"
        if self.total > len(self.data_rows):
            title += " · " + t("console.window", shown=len(self.data_rows), total=self.total)
        else:
            title += f" · {self.total}"
        self.border_title = title
        notes = []
        if self.store_filter and self.filters_by_store:
            notes.append(t("console.store_filter", store=self.store_filter))
        if self.filter_text:
            notes.append(t("console.filter_on", text=self.filter_text))
        if self.sort_index is not None:
            col = self.columns_spec()[self.sort_index]
            notes.append(t("console.sorted_by", column=t(col.label)))
        if self.tagged:
            notes.append(t("console.tagged_count", n=len(self.tagged)))
        self.border_subtitle = " · ".join(notes)

    def relabel(self) -> None:
        """After a language switch: rebuild columns and cells in the new language, cursor kept."""
        self._rebuild()
        self.fit()

    def _rebuild(self) -> None:
        key = self.current_key()
        self.clear(columns=True)
        self.shown.clear()
        self._cache.clear()
        self.forget_rendered()
        self._add_columns()
        if self.now is not None:
            self.render_rows(self.now)
        self._restore_cursor(key, 0)
        self.update_titles()

    # -- data in ---------------------------------------------------------------------------------
    def set_data(self, data: PaneData, now: datetime) -> None:
        """Show a snapshot; when it lists the keys changed since the one shown, touch only those rows."""
        changed = data.changed if self.loaded and data.base == self.revision else None
        same_sections = dict(data.sections) == self.sections
        self.revision = data.revision
        self.data_rows = list(data.rows)
        self.total = data.total
        self.sections = dict(data.sections)
        if changed is not None and not changed and same_sections:
            self.update_titles()  # only the count beyond the window moved: the rows are as shown
            return
        if changed is None:
            present = {r.key for r in self.data_rows}
            self.tagged &= present
            for key in [k for k in self._cache if k not in present]:
                del self._cache[key]
        else:
            present = {r.key for r in self.data_rows} if changed else set()
            gone = {k for k in changed if k not in present}
            self.tagged -= gone
            for key in gone:
                self._cache.pop(key, None)
        self.loaded = True
        self.render_rows(now, changed)
        self.update_titles()

    def searchable_text(self, row: Any, now: datetime) -> str:
        """What `/` searches: the row as it reads on screen (a pane may add its codes)."""
        return " ".join(c.plain for c in self._row_cells(row, now))

    def _ordered(self, now: datetime) -> list[tuple[str, Any]]:
        """The rows as the view state shows them (tui/panes/view.py): store, filter, sort, sections."""
        rows = filter_rows(self.data_rows, store=self.store_filter if self.filters_by_store else None,
                           store_of=self.row_store, keep=self._filter,
                           text_of=lambda r: self.searchable_text(r, now))
        key: Callable[[Any], Any] | None = None
        if self.sort_index is not None:
            index = self.sort_index
            key = self.columns_spec()[index].sort or (lambda r: self._row_cells(r, now)[index].plain)
        rows = sort_rows(rows, key, self.default_order)
        return group_rows(rows, self.group_of, self.sections)

    def _cells_of(self, item: Any, now: datetime, fresh: bool = False) -> tuple[Text, ...]:
        if isinstance(item, Heading):
            return tuple(self.heading_cells(item, now))
        return self._row_cells(item, now, fresh)

    def _row_cells(self, row: Any, now: datetime, fresh: bool = False) -> tuple[Text, ...]:
        """A row's cells; unchanged rows reuse the cells they had (the tick refreshes their ages), so a
        reload after a few changes builds cells for those few only."""
        tagged = row.key in self.tagged
        hit = self._cache.get(row.key)
        if not fresh and hit is not None and hit[1] == tagged and (hit[0] is row or hit[0] == row):
            return hit[2]
        cells = self.cells(row, now)
        if tagged:
            cells[0] = RowText("● " + cells[0].plain, row.key, "bold magenta")
        result = tuple(cells)
        self._cache[row.key] = (row, tagged, result)
        return result

    def render_rows(self, now: datetime, changed: frozenset[str] | None = None) -> None:
        """Diff the desired rows into the table: add new, update changed cells, remove stale. With
        `changed`, the rows shown that are not in it are known to be as they were: not rebuilt."""
        self.now = now
        desired = self._ordered(now)
        key = self.current_key()
        index = self.cursor_row
        wanted = {k for k, _ in desired}
        stale = [k for k in self.shown if k not in wanted]
        col_keys = self.column_keys
        if stale and len(stale) > 100 and len(stale) > len(self.shown) // 2:
            self.clear()  # most rows went: one clear beats many relayouts
            self.shown.clear()
        else:
            for k in stale:
                self.remove_row(k)
                del self.shown[k]
        previous, self.items = self.items, {}
        fresh: list[tuple[Text, ...]] = []  # rows added or changed: may need wider columns
        for k, item in desired:
            self.items[k] = item
            old = self.shown.get(k)
            if changed is not None and old is not None and k not in changed and (
                    not isinstance(item, Heading) or previous.get(k) == item):
                continue  # the same row, or a heading over the same rows: the ticks keep its times
            cells = self._cells_of(item, now)
            if old is None:
                self.add_row(*self._pick(cells), key=k)
                fresh.append(cells)
            elif old != cells:
                self._update_cells(k, col_keys, old, cells)
                fresh.append(cells)
            self.shown[k] = cells
        order = [k for k, _ in desired]
        if [r.key.value for r in self.ordered_rows] != order:
            pos = {k: i for i, k in enumerate(order)}
            self.sort(key=lambda values: pos.get(getattr(values[0], "row_key", ""), 0))
        self._restore_cursor(key, index)
        if not self._fitting and self._too_wide(fresh):  # new content wider than its column: fit again
            self._fitting = True
            try:
                self.fit(grow_only=True)
            finally:
                self._fitting = False

    def _too_wide(self, fresh: list[tuple[Text, ...]]) -> bool:
        """Whether a cell just added or changed is wider than its (non-flexible) column."""
        if self.column_choice is None or not fresh:
            return False
        specs = self.columns_spec()
        limits = [(i, w) for i, w in zip(self.column_choice, self.widths, strict=True) if not specs[i].flex]
        return any(i < len(cells) and cells[i].cell_len > w for cells in fresh for i, w in limits)

    def tick(self, now: datetime) -> None:
        """Ages and timers: recompute the visible rows' cells, touch only those that changed."""
        self.now = now
        if not self.row_count:
            return
        start = max(0, int(self.scroll_y))
        end = start + max(1, self.size.height)
        col_keys = self.column_keys
        for row in self.ordered_rows[start:end]:
            k = row.key.value
            item = self._item(k)
            if k is None or item is None or k not in self.shown:
                continue
            cells = self._cells_of(item, now, fresh=True)
            old = self.shown[k]
            if old != cells:
                self._update_cells(k, col_keys, old, cells)
                self.shown[k] = cells

    def _update_cells(self, key: str, col_keys: tuple[str, ...], old: tuple[Text, ...],
                      cells: tuple[Text, ...]) -> None:
        for i in self._shown_columns():
            if i < len(cells) and i < len(old) and old[i] != cells[i]:
                self.update_cell(key, col_keys[i], cells[i])

    # -- movement: only moves, and never stops on a section heading ----------------------------------
    def _item(self, key: str | None) -> Any | None:
        return None if key is None else self.items.get(key)

    def _is_heading(self, index: int) -> bool:
        return isinstance(self._item(self.ordered_rows[index].key.value), Heading)

    def _land(self, index: int, step: int) -> None:
        """Put the cursor on the first order from `index` in direction `step` (or stay)."""
        while 0 <= index < self.row_count and self._is_heading(index):
            index += step
        if 0 <= index < self.row_count:
            self.move_cursor(row=index, animate=False)

    def action_cursor_down(self) -> None:
        self._let_go = None
        self._land(self.cursor_row + 1, 1)

    def action_cursor_up(self) -> None:
        self._let_go = None
        self._land(self.cursor_row - 1, -1)

    def action_cursor_top(self) -> None:
        self._let_go = None
        self._land(0, 1)

    def action_cursor_bottom(self) -> None:
        self._let_go = None
        self._land(self.row_count - 1, -1)

    # -- cursor, selection, tags -----------------------------------------------------------------
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:  # the cursor is past the last row
            return None

    def let_go(self, key: str | None) -> None:
        """This person is acting on the row `key`: when the action moves it on (its status changes: a
        dispatched order goes down the board), the cursor stays where it was, on the order that slides
        into its place — the next one to work — instead of following it. While the status is the
        same (a claim, a refusal, someone else's order arriving above) the cursor follows the order
        as always. Forgotten once the status changed, or when the cursor moves."""
        self._let_go = None if key is None else (key, getattr(self._item(key), "status", None))

    def _restore_cursor(self, key: str | None, index: int) -> None:
        if not self.row_count:
            return
        if key is not None and self._let_go is not None and self._let_go[0] == key and key in self.shown \
                and getattr(self._item(key), "status", None) != self._let_go[1]:
            self._let_go = None  # moved on by this person's action
            if self.get_row_index(key) != index:  # and moved away: stay in place, on an order
                self._land(min(index, self.row_count - 1), 1)
                if self._is_heading(self.cursor_row):
                    self._land(self.cursor_row, -1)
                return
        if self._let_go is not None and self._let_go[0] not in self.shown:
            self._let_go = None  # the order left the pane: nothing to hold on to
        if key is not None and key in self.shown:
            target = self.get_row_index(key)
        else:
            target = min(index, self.row_count - 1)
            if key is None and isinstance(self._item(self.ordered_rows[target].key.value), Heading) \
                    and target + 1 < self.row_count:
                target += 1  # the first time: on the first order, not on its section heading
        if target != self.cursor_row:
            self.move_cursor(row=target, animate=False)

    def selected(self) -> Any | None:
        key = self.current_key()
        item = self.items.get(key) if key else None
        return None if item is None or isinstance(item, Heading) else item

    def targets(self) -> list[Any]:
        """The tagged rows (in screen order), or the row under the cursor."""
        if self.tagged:
            return [self.items[k] for k in self.shown if k in self.tagged and k in self.items]
        row = self.selected()
        return [row] if row is not None else []

    def toggle_tag(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.tagged ^= {row.key}
        if self.now is not None:
            self.render_rows(self.now)
        if self.cursor_row < self.row_count - 1:
            self.move_cursor(row=self.cursor_row + 1, animate=False)
        self.update_titles()

    def clear_tags(self) -> None:
        if self.tagged:
            self.tagged.clear()
            if self.now is not None:
                self.render_rows(self.now)
            self.update_titles()

    def goto(self, key: str) -> bool:
        if key in self.shown:
            self.move_cursor(row=self.get_row_index(key), animate=False)
            return True
        return False

    # -- filter and sort ---------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        self._filter = make_filter(self.filter_text) if self.filter_text else None
        if self.now is not None:
            self.render_rows(self.now)
        self.update_titles()

    def set_store_filter(self, store_id: str | None) -> None:
        self.store_filter = store_id
        if self.now is not None:
            self.render_rows(self.now)
        self.update_titles()

    def cycle_sort(self, step: int) -> None:
        n = len(self.columns_spec())
        positions: list[int | None] = [None, *range(n)]
        i = positions.index(self.sort_index)
        self.sort_index = positions[(i + step) % len(positions)]
        if self.now is not None:
            self.render_rows(self.now)
        self.update_titles()
