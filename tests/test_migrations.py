"""The Alembic migrations produce exactly the models' schema (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from ops_console.storage.db import make_engine
from ops_console.storage.migrate import current_revision, head_revision, upgrade
from tests.pg import postgres_url

# Expression indexes cannot be compared by autogenerate on SQLite (it says so and skips them); the
# test below checks the one we have by its definition instead.
pytestmark = pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning",
                                        "ignore:.*expression-based index:sqlalchemy.exc.SAWarning")


def _diff(url: str) -> list:
    engine = make_engine(url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    upgrade(engine)  # idempotent at start-up
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    engine.dispose()
    return diff


def test_sqlite_schema_matches_models(db_url: str) -> None:
    assert _diff(db_url) == []


@pytest.mark.postgres
def test_postgres_schema_matches_models() -> None:
    assert _diff(postgres_url()) == []


def test_queue_index_is_in_the_queue_panes_order(db_url: str) -> None:
    """The queue pane reads its window off ix_orders_queue (urgent first, the longest waiting)
    instead of sorting every unassigned order: the index exists as defined and the plan uses it."""
    from sqlmodel import Session

    from ops_console.storage import pane_queries as q

    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_orders_queue'").scalar_one()
        assert "urgent DESC" in sql and "coalesce(unassigned_at, status_entered_at)" in sql
    plans: list[str] = []

    def explain(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            plans.extend(str(r[-1]) for r in cursor.connection.execute("EXPLAIN QUERY PLAN " + statement,
                                                                        parameters))

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", explain)
    with Session(engine) as s:
        q.queue_rows(s, "unassigned", 150)
    event.remove(engine, "before_cursor_execute", explain)
    engine.dispose()
    assert any("ix_orders_queue" in p for p in plans), plans
    assert not any("TEMP B-TREE" in p for p in plans), plans


@pytest.mark.postgres
def test_postgres_has_the_queue_index() -> None:
    engine = make_engine(postgres_url())
    upgrade(engine)
    names = {ix["name"] for ix in inspect(engine).get_indexes("orders")}
    engine.dispose()
    assert "ix_orders_queue" in names
