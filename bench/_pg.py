"""PostgreSQL for the benches: a database of the bench's own beside OPS_TEST_POSTGRES_URL's, created
fresh for the run and dropped after it (also when the run fails), and the server's CPU time.

The database is named `<prefix>_<pid>`, so two runs at once (CI, several checkouts on one machine)
never share one; the URL's own database (`test`) is only used to create and drop it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from ops_console.storage.db import make_engine, normalize_url

ENV = "OPS_TEST_POSTGRES_URL"


class PostgresUnavailable(RuntimeError):
    pass


def _admin(base_url: str) -> Engine:
    return make_engine(base_url).execution_options(isolation_level="AUTOCOMMIT")


def check(base_url: str) -> None:
    """Raise PostgresUnavailable, naming the URL and the driver's reason, unless the server answers."""
    admin = _admin(base_url)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise PostgresUnavailable(f"{ENV}={base_url} is set but PostgreSQL cannot be used: "
                                  f"{str(exc).splitlines()[0]}") from exc
    finally:
        admin.dispose()


@contextmanager
def scratch_database(base_url: str, prefix: str) -> Iterator[str]:
    """A new empty database on the server of `base_url`; yields its SQLAlchemy URL."""
    name = f"{prefix}_{os.getpid()}"
    admin = _admin(base_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))  # ours: left by a killed run of this pid
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        raise PostgresUnavailable(f"{ENV}={base_url} is set but PostgreSQL cannot be used: "
                                  f"{str(exc).splitlines()[0]}") from exc
    url = make_url(normalize_url(base_url)).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def dbapi_connect(url: str) -> Any:
    """A plain psycopg connection (no SQLAlchemy) to the database of `url`."""
    import psycopg

    return psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


def server_version(engine: Engine) -> str:
    """"PostgreSQL 15" (the major version, as the section's heading names it)."""
    with engine.connect() as conn:
        num = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    return f"PostgreSQL {num // 10000}"


def database_mb(engine: Engine) -> float:
    with engine.connect() as conn:
        return float(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()) / 2**20


def vacuum_analyze(engine: Engine) -> None:
    """After a bulk load: statistics and the visibility map (index-only scans), as autovacuum would."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def backend_cpu(engine: Engine) -> dict[int, float] | None:
    """CPU seconds so far of each server process connected to this database (a server on this
    machine: /proc), or None when they cannot be read (a remote server, another user's processes)."""
    with engine.connect() as conn:
        pids = list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
                    .scalars())
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def cpu_since(engine: Engine, before: dict[int, float] | None) -> float | None:
    """The server's CPU seconds since `before` (processes started meanwhile count whole)."""
    after = backend_cpu(engine)
    if before is None or after is None:
        return None
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
