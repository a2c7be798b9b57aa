"""Files with personal data are the user's alone: the database, its WAL and SHM, and the helpers
other writers (quarantine, backups, reports) use."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.services.context import AppContext
from ops_console.storage.files import make_private_dir, private_open, private_write
from tests.factories import new_order, seed_city


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_its_wal_and_shm_and_its_new_folder_are_private(tmp_path: Path, clock: ManualClock) -> None:
    old = os.umask(0o022)  # the usual umask: files 0644 unless made otherwise
    try:
        db = tmp_path / "new" / "data" / "ops.db"
        ctx = AppContext.open(Settings(), clock, url=f"sqlite:///{db}")
        seed_city(ctx)
        new_order(ctx, "MT1")
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(f.exists() for f in files)
        assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
        assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
        ctx.close()
    finally:
        os.umask(old)


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path, clock: ManualClock) -> None:
    db = tmp_path / "ops.db"
    AppContext.open(Settings(), clock, url=f"sqlite:///{db}").close()
    db.chmod(0o644)
    AppContext.open(Settings(), clock, url=f"sqlite:///{db}").close()
    assert mode(db) == 0o600


def test_private_open_and_write(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with private_open(tmp_path / "q" / "rows.csv", "w", encoding="utf-8") as f:
            f.write("13812341234\n")
        private_write(tmp_path / "r" / "report.json", "{}")
        existing = tmp_path / "old.txt"
        existing.write_text("x")
        existing.chmod(0o644)
        with private_open(existing, "a") as f:
            f.write("y")
        assert mode(tmp_path / "q" / "rows.csv") == 0o600 and mode(tmp_path / "q") == 0o700
        assert mode(tmp_path / "r" / "report.json") == 0o600
        assert mode(existing) == 0o600 and existing.read_text() == "xy"
        assert make_private_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
        assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700
    finally:
        os.umask(old)


def test_watch_tells_a_busy_database_from_an_unwritable_one() -> None:
    import sqlite3

    from ops_console.storage.db import is_busy_error, is_unwritable_error

    busy = sqlite3.OperationalError("database is locked")
    read_only = sqlite3.OperationalError("attempt to write a readonly database")
    assert is_busy_error(busy) and not is_unwritable_error(busy)
    assert is_unwritable_error(read_only) and not is_busy_error(read_only)
