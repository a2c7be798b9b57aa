"""PostgreSQL for tests: skip where OPS_TEST_POSTGRES_URL is unset, fail where it is set but down."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from ops_console.storage import models  # noqa: F401
from ops_console.storage.db import make_engine

SKIP_REASON = "OPS_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped (.ci/run sets it)"


def postgres_url() -> str:
    url = os.environ.get("OPS_TEST_POSTGRES_URL")
    if not url:
        pytest.skip(SKIP_REASON)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            # A clean schema for every test that asks: the test database is ours alone.
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            SQLModel.metadata.drop_all(conn)
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the point
        pytest.fail(f"OPS_TEST_POSTGRES_URL={url} is set but PostgreSQL cannot be used: {exc}")
    finally:
        engine.dispose()
    return url
