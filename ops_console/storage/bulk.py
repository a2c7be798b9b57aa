"""Bulk inserts on SQLAlchemy Core: many rows of one table in one executemany.

On SQLite the values are run through each column's own bind processor (so the stored text is
exactly what the ORM writes: UTC datetimes, JSON, booleans), memoised for repeated values, and
sent as tuples to the DB-API's executemany (`exec_driver_sql`, still on the session's connection
and transaction): no per-row work is left to Core, which would otherwise rebuild each row's
parameters from the compiled statement. Other databases use the typed table as it is.

`reserve_ids` hands out primary keys for rows whose children go in in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection


def _processors(tbl: Table, names: Sequence[str], conn: Connection) -> list[tuple[str, Callable[[Any], Any]]]:
    out: list[tuple[str, Callable[[Any], Any]]] = []
    for name in names:
        proc = tbl.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if proc is not None:
            out.append((name, proc))
    return out


def insert_rows(conn: Connection, tbl: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `tbl` with one executemany. `rows` are left as
    they are (the values sent are processed copies)."""
    if not rows:
        return
    names = tuple(rows[0])
    if conn.dialect.name != "sqlite":
        conn.execute(insert(tbl), rows)
        return
    procs = dict(_processors(tbl, names, conn))
    columns: list[list[Any]] = []
    literals: list[str | None] = []
    for name in names:
        values = list(map(itemgetter(name), rows))  # one column at C speed
        proc = procs.get(name)
        columns.append(_processed(values, proc) if proc is not None else values)
        literals.append(_constant(columns[-1]))
    if all(literal is not None for literal in literals):  # nothing left to bind: bind everything
        literals = [None] * len(names)
    quote = conn.dialect.identifier_preparer.quote
    # A column with one value in every row is written into the statement once, not bound per row.
    marks = ", ".join("?" if literal is None else literal for literal in literals)
    sql = f"INSERT INTO {quote(tbl.name)} ({', '.join(map(quote, names))}) VALUES ({marks})"
    bound = [values for values, literal in zip(columns, literals, strict=True) if literal is None]
    # The DB-API's executemany with tuples: Core would rebuild every row's parameters through the
    # compiled statement (construct_params per row), which costs more than SQLite's insert itself.
    conn.exec_driver_sql(sql, list(zip(*bound, strict=True)))


def _processed(values: list[Any], proc: Callable[[Any], Any]) -> list[Any]:
    """`proc` over a column's values, once per distinct value (None stays None)."""
    memo: dict[Any, Any] = {}
    out: list[Any] = []
    append = out.append
    for value in values:
        if value is None:
            append(None)
            continue
        try:
            done = memo.get(value)
        except TypeError:  # unhashable (JSON): the same object repeated is serialized once
            key = ("id", id(value))
            done = memo.get(key)
            if done is None:
                done = memo[key] = proc(value)
            append(done)
            continue
        if done is None:
            done = memo[value] = proc(value)
        append(done)
    return out


def _constant(values: list[Any]) -> str | None:
    """The SQL literal of a column whose rows all hold the same plain value (of the same type), else None."""
    first = values[0]
    literal = _sql_literal(first)
    if literal is None or values[-1] != first:
        return None
    try:
        distinct = set(values)  # C speed; values are processed (hashable) here
    except TypeError:
        return None
    # One value of one type (1, 1.0 and True are equal but are not written alike).
    return literal if len(distinct) == 1 and len(set(map(type, values))) == 1 else None


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
