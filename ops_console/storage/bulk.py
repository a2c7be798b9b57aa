"""Bulk inserts on SQLAlchemy Core: many rows of one table in one executemany.

On SQLite the values are run through each column's own bind processor (so the stored text is
exactly what the ORM writes: UTC datetimes, JSON, booleans), memoised for repeated values, and
sent with an `insert()` on a lightweight table clause: Core then has no per-value work left and
executemany runs close to the DB-API's speed. Other databases use the typed table as it is.

`reserve_ids` hands out primary keys for rows whose children go in in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, column, func, insert, literal_column, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import TableClause

_LITE: dict[tuple[str, tuple[str, ...]], TableClause] = {}


def _lite(tbl: Table, names: tuple[str, ...]) -> TableClause:
    key = (tbl.name, names)
    found = _LITE.get(key)
    if found is None:
        found = _LITE[key] = table(tbl.name, *(column(n) for n in names))
    return found


def _processors(tbl: Table, names: Sequence[str], conn: Connection) -> list[tuple[str, Callable[[Any], Any]]]:
    out: list[tuple[str, Callable[[Any], Any]]] = []
    for name in names:
        proc = tbl.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if proc is not None:
            out.append((name, proc))
    return out


def insert_rows(conn: Connection, tbl: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `tbl` with one executemany."""
    if not rows:
        return
    names = tuple(rows[0])
    if conn.dialect.name != "sqlite":
        conn.execute(insert(tbl), rows)
        return
    for name, proc in _processors(tbl, names, conn):
        memo: dict[Any, Any] = {}
        for row in rows:
            value = row[name]
            if value is None:
                continue
            try:
                done = memo.get(value)
            except TypeError:  # unhashable (JSON): the same object repeated is serialized once
                key = ("id", id(value))
                done = memo.get(key)
                if done is None:
                    done = memo[key] = proc(value)
                row[name] = done
                continue
            if done is None:
                done = memo[value] = proc(value)
            row[name] = done
    # A column with one value in every row is written into the statement once, not bound per row.
    constants: dict[str, Any] = {}
    first, last = rows[0], rows[-1]
    for name in names:
        value = first[name]
        literal = _sql_literal(value)
        if literal is None or last[name] != value:
            continue
        try:
            distinct = set(map(itemgetter(name), rows))  # C speed; values are processed (hashable) here
        except TypeError:
            continue
        if len(distinct) == 1 and all(type(v) is type(value) for v in distinct):
            constants[name] = literal_column(literal)
    if constants and len(constants) < len(names):
        for row in rows:
            for name in constants:
                del row[name]
        conn.execute(insert(_lite(tbl, names)).values(constants), rows)
        return
    conn.execute(insert(_lite(tbl, names)), rows)


def _sql_literal(value: Any) -> str | None:
    """SQL text of a plain value (None when it is not one we write literally)."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if isinstance(value, str) and len(value) <= 200:
        return "'" + value.replace("'", "''") + "'"
    return None


def reserve_ids(conn: Connection, tbl: Table, count: int) -> list[int]:
    """`count` fresh primary keys of `tbl`, for use in the current (write) transaction.

    SQLite: the next integers after max(id); the write transaction holds the database lock, so
    nobody else can take them. PostgreSQL: drawn from the column's sequence.
    """
    if count <= 0:
        return []
    pk = tbl.c.id
    if conn.dialect.name == "sqlite":
        start = conn.execute(select(func.coalesce(func.max(pk), 0))).scalar_one()
        return list(range(start + 1, start + 1 + count))
    seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": tbl.name}).scalar_one()
    rows = conn.execute(text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": seq, "n": count})
    return [int(r[0]) for r in rows]


def row_defaults(model: Any) -> dict[str, Any]:
    """Each column's value when not given, as the ORM would fill it (the SQLModel field defaults).

    A primary key without a default is left out (the database numbers it). Shared between rows:
    never modify the values (they are only serialized).
    """
    from pydantic_core import PydanticUndefined

    columns = model.__table__.c
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in columns:
            continue
        if info.default_factory is not None:
            value = info.default_factory()
        elif info.default is PydanticUndefined:
            continue
        else:
            value = info.default
        if value is None and columns[name].primary_key:
            continue
        out[name] = value
    return out
