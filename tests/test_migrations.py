"""The Alembic migrations produce exactly the models' schema (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from ops_console.storage.db import make_engine
from ops_console.storage.migrate import current_revision, head_revision, upgrade
from tests.pg import postgres_url


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
