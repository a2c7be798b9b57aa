"""The same day on PostgreSQL gives the same figures, to the checksum."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.services import closeout as svc
from ops_console.services.context import AppContext
from tests.conftest import SUPERVISOR, T0
from tests.factories import seed_city
from tests.pg import postgres_url
from tests.services.closeout_day import build_day

COUNTED = {"C01": 20000, "C02": 20000, "C03": 20000, "C05": 9000}  # as in test_closeout.py


def _close(url: str) -> dict:
    ctx = AppContext.open(Settings(), ManualClock(T0), url=url)
    try:
        seed_city(ctx)
        build_day(ctx)
        return svc.close_day(ctx, SUPERVISOR, date(2026, 11, 24), counted=COUNTED).figures
    finally:
        ctx.close()


@pytest.mark.postgres
def test_postgres_closeout_matches_sqlite_to_the_checksum(tmp_path: Path) -> None:
    on_pg = _close(postgres_url())
    on_sqlite = _close(f"sqlite:///{tmp_path / 'ops.db'}")
    assert on_pg == on_sqlite
    assert on_pg["checksum"] == on_sqlite["checksum"]


@pytest.mark.postgres
def test_postgres_backup_and_restore_drill(tmp_path: Path) -> None:
    import shutil

    from ops_console.services.backup import backup, restore
    from ops_console.services.errors import Refused

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore not installed")
    url = postgres_url()
    ctx = AppContext.open(Settings(), ManualClock(T0), url=url)
    try:
        seed_city(ctx)
        build_day(ctx)
        day = date(2026, 11, 24)
        closed = svc.close_day(ctx, SUPERVISOR, day, counted=COUNTED).figures
        dump = backup(ctx, tmp_path / "backups").path
        assert dump.suffix == ".dump" and dump.stat().st_size > 0
        svc.reopen(ctx, SUPERVISOR, day, "drill")  # a change after the backup, undone by the restore
        with pytest.raises(Refused, match="--force"):
            restore(ctx, dump)
        assert restore(ctx, dump, force=True) == 10
        stored = svc.closed_report(ctx, day)
        assert stored is not None and stored["status"] == "closed"
        assert stored["checksum"] == closed["checksum"]
    finally:
        ctx.close()
