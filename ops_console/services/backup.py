"""Backups and restores of the database.

SQLite: an online backup with the sqlite3 backup API (consistent while consoles keep writing),
verified by opening the copy and counting its orders. PostgreSQL: `pg_dump -Fc` where the tool is
installed, verified by listing the dump's table of contents; without it a clear message. Files
are 0600 in `data/backups/` (they hold customers' phones and addresses); only the newest
`backup.keep` are kept. `restore` refuses to overwrite a database that exists unless forced.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from ops_console.services.context import AppContext
from ops_console.services.errors import Refused, ServiceError

PREFIX = "ops-"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    orders: int | None  # counted in the copy (None for a PostgreSQL dump: its TOC was checked)
    removed: list[Path]


def sqlite_file(engine: Engine) -> Path | None:
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise ServiceError("backup.memory_database")
    return Path(url.database)


def backup_dir(ctx: AppContext) -> Path:
    return ctx.data_dir / "backups"


def _private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)


def _target(folder: Path, ctx: AppContext, suffix: str) -> Path:
    stamp = ctx.clock.now().astimezone(ctx.settings.tz).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{PREFIX}{stamp}{suffix}"
    n = 1
    while path.exists():  # two backups in one second: never overwrite the first
        n += 1
        path = folder / f"{PREFIX}{stamp}-{n}{suffix}"
    return path


def count_orders(path: Path) -> int:
    """Open a SQLite file read-only and count its orders (raises ServiceError when it is not one)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ServiceError("backup.not_a_backup", file=str(path), error=str(exc)) from None


def backup(ctx: AppContext, folder: Path | None = None) -> BackupResult:
    folder = folder or backup_dir(ctx)
    _private_dir(folder)
    source = sqlite_file(ctx.engine)
    if source is None:
        path, orders = _pg_dump(ctx, folder), None
    else:
        path = _target(folder, ctx, ".db")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # 0600 before any byte is in it
        os.close(fd)
        src = sqlite3.connect(source)
        dst = sqlite3.connect(path)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
            src.close()
        os.chmod(path, 0o600)
        try:
            orders = count_orders(path)
        except ServiceError:
            path.unlink(missing_ok=True)
            raise
    removed = prune(folder, ctx.settings.backup.keep, path.suffix)
    return BackupResult(path, orders, removed)


def prune(folder: Path, keep: int, suffix: str) -> list[Path]:
    copies = sorted(folder.glob(f"{PREFIX}*{suffix}"), key=lambda p: (p.stat().st_mtime, p.name))
    removed = copies[: max(0, len(copies) - max(1, keep))]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _pg_url(ctx: AppContext) -> str:
    url = ctx.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_dump(ctx: AppContext, folder: Path) -> Path:
    tool = shutil.which("pg_dump")
    if tool is None:
        raise ServiceError("backup.pg_dump_missing")
    path = _target(folder, ctx, ".dump")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    done = subprocess.run([tool, "-Fc", "-f", str(path), "-d", _pg_url(ctx)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        path.unlink(missing_ok=True)
        raise ServiceError("backup.pg_dump_failed", error=done.stderr.strip().splitlines()[-1:] or "")
    lister = shutil.which("pg_restore")
    if lister:
        toc = subprocess.run([lister, "--list", str(path)], capture_output=True, text=True, check=False)
        if toc.returncode != 0 or " orders " not in toc.stdout:
            raise ServiceError("backup.not_a_backup", file=str(path), error=toc.stderr.strip())
    return path


def restore(ctx: AppContext, file: Path, *, force: bool = False) -> int:
    """Copy the backup `file` into the configured database; returns the orders it holds."""
    if not file.is_file():
        raise ServiceError("backup.no_file", file=str(file))
    target = sqlite_file(ctx.engine)
    if target is None:
        return _pg_restore(ctx, file, force)
    orders = count_orders(file)  # refuse anything that is not one of our databases before touching the target
    if target.exists() and target.stat().st_size > 0 and not force:
        raise Refused("backup.target_exists", target=str(target))
    ctx.engine.dispose()  # no pooled connection keeps the old pages
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    return orders


def _pg_restore(ctx: AppContext, file: Path, force: bool) -> int:
    from sqlalchemy import inspect

    if inspect(ctx.engine).get_table_names() and not force:
        raise Refused("backup.target_exists", target=ctx.engine.url.render_as_string(hide_password=True))
    tool = shutil.which("pg_restore")
    if tool is None:
        raise ServiceError("backup.pg_dump_missing")
    ctx.engine.dispose()
    done = subprocess.run([tool, "--clean", "--if-exists", "--no-owner", "-d", _pg_url(ctx), str(file)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ServiceError("backup.pg_dump_failed", error=done.stderr.strip().splitlines()[-1:] or "")
    from sqlalchemy import text

    with ctx.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM orders")).scalar_one())
