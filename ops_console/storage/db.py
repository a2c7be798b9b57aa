"""Engine and sessions. SQLite: WAL, foreign keys, a busy timeout. PostgreSQL by URL."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

from ops_console.storage.files import ensure_private_file, make_private_dir, tighten

BUSY_TIMEOUT_MS = 10_000


class DatabaseUrlError(ValueError):
    pass


def normalize_url(url: str) -> str:
    """postgresql:// means psycopg 3 here (the driver we ship)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


_LONG_DIGITS = re.compile(rb"\d{19}")


def json_loads(text: str | bytes) -> Any:
    """JSON columns read back: orjson (several times faster on the panes' many small documents).

    What orjson refuses but `json` wrote (NaN, Infinity) is read the standard way, and so is any
    document with 19 digits in a row: orjson turns an integer beyond 64 bits into a float, and a
    stored value must come back exactly as it went in."""
    raw = text.encode() if isinstance(text, str) else text
    if _LONG_DIGITS.search(raw) is not None:
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"database.url = {url!r}: not a database URL (e.g. sqlite:///data/ops.db)") from exc
    kwargs: dict[str, Any] = {"echo": echo, "json_deserializer": json_loads}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            # The database holds customers' phones: the file, its WAL and SHM are the user's alone
            # (SQLite gives the WAL/SHM the database file's mode, so creating it 0600 first suffices).
            db_file = Path(parsed.database)
            make_private_dir(db_file.parent)
            ensure_private_file(db_file)
            for suffix in ("-wal", "-shm", "-journal"):
                tighten(f"{db_file}{suffix}")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, **kwargs)
        _setup_sqlite(engine)
        return engine
    kwargs["pool_pre_ping"] = True
    return create_engine(url, **kwargs)


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control so that BEGIN IMMEDIATE is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock at BEGIN: no deadlock between two read-then-write transactions.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")
        conn.info["changes_at_begin"] = conn.connection.dbapi_connection.total_changes


def wrote_in_transaction(session: Session) -> bool:
    """Whether the session's transaction has written rows it has not committed yet. On SQLite one
    writer at a time hands out ids in order, so a transaction that wrote nothing sees every committed
    id and every later one will be higher; elsewhere (PostgreSQL) nothing like that holds: True."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return True
    start, raw = conn.info.get("changes_at_begin"), conn.connection.dbapi_connection
    return start is None or raw is None or raw.total_changes != start


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One transaction that will write: commits on success, rolls back on error.

    On SQLite it starts with BEGIN IMMEDIATE, so two writers queue on the busy timeout
    instead of failing half-way with "database is locked".
    """
    with engine.connect() as conn:
        conn.info["write"] = True
        try:
            with Session(bind=conn, expire_on_commit=False) as session:
                yield session
                session.commit()
        finally:
            conn.info.pop("write", None)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for PostgreSQL or an in-memory database)."""
    if not is_sqlite(engine):
        return None
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


class DatabaseFileGuard:
    """Notices that a SQLite database file was deleted, replaced or made read-only under a long-running
    process (`watch`): SQLite would go on writing to the deleted file, or fail on every write."""

    def __init__(self, engine: Engine) -> None:
        self.path = sqlite_file(engine)
        self.identity = self._identity()

    def _identity(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def problem(self) -> str | None:
        """A catalog key naming what is wrong with the file, or None (also for PostgreSQL)."""
        if self.path is None:
            return None
        now = self._identity()
        if now is None:
            return "db.file_missing"
        if now != self.identity:
            return "db.file_replaced"
        # The owner's write bit too: root may write anything, but a file made read-only on purpose
        # must stop the writer all the same.
        if not (self.path.stat().st_mode & stat.S_IWUSR) or not os.access(self.path, os.W_OK) \
                or not os.access(self.path.parent, os.W_OK):
            return "db.file_read_only"
        return None


def is_busy_error(exc: BaseException) -> bool:
    """Another process holds the database longer than the busy timeout: worth trying again."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def is_unwritable_error(exc: BaseException) -> bool:
    """The database cannot be written at all (read-only file or folder, gone, disk trouble): retrying
    the same write every tick would only repeat the error."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(m in text for m in ("readonly database", "read-only", "unable to open database", "disk i/o error",
                                   "no such table", "database disk image is malformed", "disk is full"))
