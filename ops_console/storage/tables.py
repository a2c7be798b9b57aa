"""The Core `Table` behind a SQLModel table model, typed.

SQLModel builds `Model.__table__` when the class is created, but its type stubs do not declare it;
reading it through the mapper keeps the bulk and pane queries type-checked without `type: ignore`.
"""

from __future__ import annotations

from sqlalchemy import Table, inspect
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The table of a `table=True` model (raises TypeError for a model that has none)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
