"""Textual's private names the console relies on (tui/_textual_hacks.py) still exist with the shape
used there: an upgrade that renames one fails here, not as a blank pane at a dispatcher's desk."""

from __future__ import annotations

import inspect

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from ops_console.tui import _textual_hacks as hacks


def test_datatable_private_methods_keep_their_signatures() -> None:
    for name in hacks.DATATABLE_METHODS:
        assert callable(getattr(DataTable, name, None)), f"DataTable.{name} is gone"
    assert list(inspect.signature(DataTable._render_line).parameters) == ["self", "y", "x1", "x2", "base_style"]
    assert list(inspect.signature(DataTable._render_cell).parameters)[:5] == [
        "self", "row_index", "column_index", "base_style", "width"]


class _OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def test_datatable_private_attributes_exist_on_an_instance() -> None:
    async with _OneTable().run_test() as pilot:
        table = pilot.app.query_one(DataTable)
        for name in hacks.DATATABLE_ATTRIBUTES:
            assert hasattr(table, name), f"DataTable().{name} is gone"
        table.add_column("c", key="c")
        table.add_row("v", key="r")
        row_key = table._row_locations.get_key(0)
        assert table._data[row_key][table._column_locations.get_key(0)] == "v"


def test_app_can_withdraw_one_notification() -> None:
    for name in hacks.APP_METHODS:
        assert callable(getattr(App, name, None)), f"App.{name} is gone"
