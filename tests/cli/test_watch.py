"""`ops-console watch` and `ops-console reminders` as separate processes on one database, the clock
set per step with OPS_NOW: what a wall screen, a cron job or a supervisor's terminal sees."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.domain.types import Action
from ops_console.services.context import AppContext
from ops_console.services.lifecycle import perform
from ops_console.storage.db import read_session
from ops_console.storage.models import Event, Reminder
from tests.conftest import DISPATCHER, T0
from tests.factories import new_order, seed_city
from tests.proc import default_signals, ignore_sigint

NOWHERE = "无名路1号"


def local(minutes: float) -> str:
    """OPS_NOW for T0 (10:00 Shanghai) plus `minutes`."""
    return (T0 + timedelta(minutes=minutes)).astimezone(Settings().tz).isoformat()


@pytest.fixture
def city_db(tmp_path: Path, clock: ManualClock) -> tuple[str, AppContext]:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    ctx = AppContext.open(Settings(), clock, url=url)
    seed_city(ctx)
    return url, ctx


def env_for(url: str, tmp_path: Path, now: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPS_")}
    # The checks "run" every 10 minutes here, so steps of up to 30 minutes are not stale.
    env.update({"OPS_CONFIG": str(tmp_path / "none.toml"), "OPS_DATABASE__URL": url, "OPS_UI__LANGUAGE": "en",
                "OPS_REMINDERS__CHECK_SECONDS": "600", **extra})
    if now:
        env["OPS_NOW"] = now
    return env


def cli(url: str, tmp_path: Path, now: str | None, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops_console", *args], env=env_for(url, tmp_path, now, **extra),
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, preexec_fn=default_signals)


def watch_once(url: str, tmp_path: Path, minutes: float) -> list[dict[str, Any]]:
    out = cli(url, tmp_path, local(minutes), "watch", "--once", "--json")
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def brief(lines: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((x["change"], x["kind"], x["status"]) for x in lines)


def test_watch_once_step_by_step_raises_once_repeats_and_closes(city_db: tuple[str, AppContext], tmp_path: Path,
                                                                 clock: ManualClock) -> None:
    url, ctx = city_db
    order = new_order(ctx, "MT001", address=NOWHERE)
    assert watch_once(url, tmp_path, 5) == []
    ten = watch_once(url, tmp_path, 10)
    assert brief(ten) == [("raised", "backlog_warn", "open")]
    line = ten[0]
    assert {"kind", "severity", "subject", "status", "raised_at", "message"} <= set(line)
    assert line["severity"] == "warning" and line["subject"] == "queue"
    assert "MT001" in line["message"] and "10 min" in line["message"]
    assert datetime.fromisoformat(line["raised_at"]) - (T0 + timedelta(minutes=10)) < timedelta(seconds=5)
    assert watch_once(url, tmp_path, 15) == []
    assert brief(watch_once(url, tmp_path, 30)) == [("raised", "backlog_critical", "open"),
                                                     ("re_raised", "backlog_warn", "open")]
    clock.set(T0 + timedelta(minutes=31))
    perform(ctx, order.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    assert brief(watch_once(url, tmp_path, 32)) == [("closed", "backlog_critical", "closed"),
                                                     ("closed", "backlog_warn", "closed")]
    with read_session(ctx.engine) as s:
        assert sorted(r.kind for r in s.exec(select(Reminder))) == ["backlog_critical", "backlog_warn"]


def test_two_watch_processes_on_one_database_raise_each_reminder_once(city_db: tuple[str, AppContext],
                                                                      tmp_path: Path) -> None:
    url, ctx = city_db
    new_order(ctx, "MT001", address=NOWHERE)
    printed: list[dict[str, Any]] = []
    for minutes in (10, 30, 45):  # steps well clear of the 10-minute repeat: processes start a little late
        procs = [subprocess.Popen([sys.executable, "-m", "ops_console", "watch", "--once", "--json"],
                                  env=env_for(url, tmp_path, local(minutes)), cwd=tmp_path, preexec_fn=default_signals,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            printed += [json.loads(line) for line in out.splitlines()]
    # 10:10 the warning; 10:30 the critical, the warning again; 10:45 both again: each printed by one process.
    assert brief(printed) == [("raised", "backlog_critical", "open"), ("raised", "backlog_warn", "open"),
                              ("re_raised", "backlog_critical", "open"), ("re_raised", "backlog_warn", "open"),
                              ("re_raised", "backlog_warn", "open")]
    with read_session(ctx.engine) as s:
        rows = list(s.exec(select(Reminder)))
        assert sorted((r.kind, r.raise_count) for r in rows) == [("backlog_critical", 2), ("backlog_warn", 3)]
        raised = s.exec(select(Event).where(Event.subject_type == "reminder", Event.action == "raised")).all()
        assert len(raised) == 2


def test_reminders_list_and_ack_as_an_operator(city_db: tuple[str, AppContext], tmp_path: Path) -> None:
    url, ctx = city_db
    new_order(ctx, "MT001", address=NOWHERE)
    human = cli(url, tmp_path, local(31), "watch", "--once")
    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    assert len(lines) == 2 and all("MT001" in x for x in lines)
    assert any("critical" in x and "raised" in x for x in lines)

    listed = json.loads(cli(url, tmp_path, local(32), "reminders", "list", "--json").stdout)
    assert [r["kind"] for r in listed] == ["backlog_critical", "backlog_warn"]  # critical first
    crit = listed[0]["id"]

    nobody = cli(url, tmp_path, local(33), "reminders", "ack", str(crit))
    assert nobody.returncode != 0 and "operator" in nobody.stderr
    done = cli(url, tmp_path, local(33), "--operator", "U01", "reminders", "ack", str(crit), OPS_PIN="1234")
    assert done.returncode == 0, done.stderr
    assert f"#{crit}" in done.stdout
    twice = cli(url, tmp_path, local(34), "--operator", "U03", "reminders", "ack", str(crit), OPS_PIN="1234")
    assert twice.returncode == 1 and "王丽" in twice.stderr and "10:33" in twice.stderr

    after = {r["id"]: r for r in json.loads(cli(url, tmp_path, local(35), "reminders", "list", "--json").stdout)}
    assert after[crit]["status"] == "acknowledged" and after[crit]["acknowledged_by"] == "U01"
    assert after[crit]["acknowledged_at"].startswith("2026-11-24T02:33")
    # The acknowledged critical stays quiet; the open warning is repeated.
    assert brief(watch_once(url, tmp_path, 45)) == [("re_raised", "backlog_warn", "open")]
    table = cli(url, tmp_path, local(46), "reminders", "list", "--all", COLUMNS="200")
    assert table.returncode == 0 and "acknowledged" in table.stdout and "王丽 10:33" in table.stdout


def start_watch(url: str, tmp_path: Path, *args: str, preexec: Any = default_signals,
                **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ops_console", "watch", *args],
                            env=env_for(url, tmp_path, local(12), OPS_REMINDERS__CHECK_SECONDS="1", **extra),
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=preexec)


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[str, str]:
    """Send `sig`; the watcher must be gone within 2 s."""
    proc.send_signal(sig)
    try:
        return proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
        pytest.fail(f"watch still running 2 s after signal {sig}: {err}")


def test_watch_runs_until_interrupted(city_db: tuple[str, AppContext], tmp_path: Path) -> None:
    url, ctx = city_db
    new_order(ctx, "MT001", address=NOWHERE)
    proc = start_watch(url, tmp_path, "--json")
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert (first["change"], first["kind"]) == ("raised", "backlog_warn")
    finally:
        _out, err = stop(proc, signal.SIGINT)
    assert proc.returncode == 130, err
    assert "Traceback" not in err


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_watch_stops_on_a_signal_even_started_with_sigint_ignored_and_mid_check(
        city_db: tuple[str, AppContext], tmp_path: Path, sig: int, code: int) -> None:
    """Started as a background job does it (SIGINT ignored), while another process holds the database's
    write lock, so the check waits in SQLite's busy timeout (10 s): still gone within 2 s."""
    import sqlite3

    url, _ctx = city_db
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        proc = start_watch(url, tmp_path, preexec=ignore_sigint)
        assert proc.stderr is not None
        seen = ""
        while "Ctrl-C" not in seen:  # started (the line may wrap): the first check now waits for the lock
            line = proc.stderr.readline()
            assert line, seen
            seen += line
        _out, err = stop(proc, sig)
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == code, err
    assert "watch stopped" in err and "Traceback" not in err


def test_watch_stops_when_the_database_file_is_deleted(city_db: tuple[str, AppContext], tmp_path: Path) -> None:
    url, ctx = city_db
    new_order(ctx, "MT001", address=NOWHERE)
    ctx.close()
    proc = start_watch(url, tmp_path, "--json", OPS_UI__LANGUAGE="en")
    try:
        _started_json(proc)
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, err
    err = " ".join(err.split())  # the message may wrap
    assert "ops.db is gone" in err and "Traceback" not in err
    assert not Path(url.removeprefix("sqlite:///")).exists()  # nothing written to a new or deleted file


def test_watch_stops_when_the_database_becomes_read_only(city_db: tuple[str, AppContext], tmp_path: Path) -> None:
    url, ctx = city_db
    new_order(ctx, "MT001", address=NOWHERE)
    ctx.close()
    db = Path(url.removeprefix("sqlite:///"))
    proc = start_watch(url, tmp_path, "--json")
    try:
        _started_json(proc)
        db.chmod(0o400)
        _out, err = proc.communicate(timeout=20)
    finally:
        db.chmod(0o600)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, err
    err = " ".join(err.split())  # the message may wrap
    assert "cannot be written" in err and err.count("cannot be written") == 1 and "Traceback" not in err


def _started_json(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())  # the first check ran: the watcher is in its loop
    assert first["kind"] == "backlog_warn"


def test_stale_checks_are_said_once_checks_resume(city_db: tuple[str, AppContext], tmp_path: Path) -> None:
    url, _ctx = city_db
    assert watch_once(url, tmp_path, 0) == []
    stale = watch_once(url, tmp_path, 45)  # three intervals of 10 minutes passed without a run
    assert brief(stale) == [("raised", "scheduler_stale", "open")]
    assert "since 10:00" in stale[0]["message"]
    assert brief(watch_once(url, tmp_path, 46)) == [("closed", "scheduler_stale", "closed")]

