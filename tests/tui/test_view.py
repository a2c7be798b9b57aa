"""A pane's view rules on their own (tui/panes/view.py): filter, sort and sections, no widget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ops_console.tui.panes.view import Heading, filter_rows, group_rows, make_filter, sort_rows, sortable


@dataclass(frozen=True)
class Row:
    key: str
    store: str | None
    text: str
    age: int | None


ROWS = (Row("o:1", "S01", "MT1 picking", 5), Row("o:2", "S02", "MT2 on the road", None),
        Row("o:3", "S01", "MT3 waiting", 30))


def test_filter_by_text_regex_inverse_and_store() -> None:
    text = lambda r: r.text  # noqa: E731
    assert [r.key for r in filter_rows(ROWS, keep=make_filter("on the road"), text_of=text)] == ["o:2"]
    assert [r.key for r in filter_rows(ROWS, keep=make_filter("MT[13]"), text_of=text)] == ["o:1", "o:3"]
    assert [r.key for r in filter_rows(ROWS, keep=make_filter("!waiting"), text_of=text)] == ["o:1", "o:2"]
    assert [r.key for r in filter_rows(ROWS, store="S01", store_of=lambda r: r.store)] == ["o:1", "o:3"]
    # a broken regex is taken as plain text, never an error
    assert filter_rows(ROWS, keep=make_filter("MT1 ("), text_of=text) == []


def test_sort_puts_none_last_and_falls_back_to_the_pane_order() -> None:
    assert [r.key for r in sort_rows(ROWS, lambda r: r.age)] == ["o:1", "o:3", "o:2"]
    assert [r.key for r in sort_rows(ROWS, None, lambda rows: rows[::-1])] == ["o:3", "o:2", "o:1"]
    mixed = [None, "b", 3, datetime(2026, 1, 1, tzinfo=UTC), (1, None)]
    assert sorted(mixed, key=sortable)[-1] is None  # mixed types never raise


def test_groups_come_in_their_order_with_a_heading_and_the_total_beyond_the_window() -> None:
    items = group_rows(ROWS, lambda r: (r.store, r.store, f"store {r.store}"), {"S01": 7})
    assert [k for k, _ in items] == ["h:S01", "o:1", "o:3", "h:S02", "o:2"]
    first = items[0][1]
    assert isinstance(first, Heading) and first.total == 7 and len(first.rows) == 2
    assert group_rows(ROWS, lambda r: None) == [(r.key, r) for r in ROWS]
