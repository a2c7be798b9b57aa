"""`ops-console ingest` when things go wrong: exit codes 0/1/2, one JSON object even on a locked
database, `--watch` surviving poison files and busy databases, stopped only by a signal, and
kill -9 at random moments losing and duplicating nothing."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from tests.hostile_corpus import obj

EN = {"OPS_UI__LANGUAGE": "en", "COLUMNS": "300"}


def jsonl(path: Path, numbers: range, prefix: str = "K") -> Path:
    lines = []
    for n in numbers:
        record = obj(n)
        record["order_no"] = f"{prefix}{n:05d}"
        lines.append(json.dumps(record, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- exit codes, --json


def test_exit_codes_all_taken_some_set_aside_nothing_done(cli, tmp_path: Path) -> None:
    good = jsonl(tmp_path / "good.jsonl", range(3))
    assert cli("ingest", str(good)).exit_code == 0
    mixed = jsonl(tmp_path / "mixed.jsonl", range(3, 5))
    with mixed.open("a", encoding="utf-8") as fh:
        fh.write('{"order_no": "broken"\n')
    result = cli("ingest", "--json", str(mixed))
    assert result.exit_code == 1 and json.loads(result.stdout)["rejected"] == 1
    missing = cli("ingest", "--json", str(tmp_path / "nowhere.csv"), env=EN)
    assert missing.exit_code == 2
    assert json.loads(missing.stdout)["errors"] == [f"{tmp_path / 'nowhere.csv'}: file not found"]


def test_locked_database_json_still_one_object_and_exit_2(cli, tmp_path: Path, monkeypatch) -> None:
    from ops_console.storage import db

    assert cli("ingest", str(jsonl(tmp_path / "a.jsonl", range(2)))).exit_code == 0
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)  # the lock is held for good: fail fast
    holder = sqlite3.connect(tmp_path / "cli.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("ingest", "--json", str(jsonl(tmp_path / "b.jsonl", range(2, 4))), env=EN)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    out = json.loads(result.stdout)  # exactly one object
    assert out["new"] == 0 and len(out["errors"]) == 1 and "database is busy" in out["errors"][0]
    assert cli("ingest", "--json", str(tmp_path / "b.jsonl")).exit_code == 0  # nothing was lost


def test_database_that_cannot_be_opened(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    result = cli("ingest", "--json", str(jsonl(tmp_path / "a.jsonl", range(1))),
                 env={**EN, "OPS_DATABASE__URL": f"sqlite:///{broken}"})  # fmt: skip
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["errors"] and "cannot be used" in out["errors"][0]


def test_order_deliver_with_an_absurd_cash_amount_is_a_message(cli) -> None:
    result = cli("--operator", "U01", "order", "deliver", "X1", "--cash", "1e999999999", env=EN)
    assert result.exit_code == 2
    assert "amount too large" in result.output and "Traceback" not in result.output


# --------------------------------------------------------------------------- --watch


def test_watch_moves_a_poison_file_aside_and_takes_the_next(cli, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a_poison.csv").write_bytes(b"\x80\x81\xff\xfe\x00" * 50)
    (inbox / "b_deep.json").write_text("[" * 100_000 + "]" * 100_000)
    jsonl(inbox / "c_good.jsonl", range(5))
    result = cli("ingest", "--watch", str(inbox), "--once", "--json", env=EN)
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [(Path(x["file"]).name, Path(x["moved_to"]).parent.name) for x in lines] == [
        ("a_poison.csv", "rejected"), ("b_deep.json", "rejected"), ("c_good.jsonl", "done")]  # fmt: skip
    assert lines[2]["new"] == 5
    reason = (inbox / "rejected" / "a_poison.csv.reason.txt").read_text(encoding="utf-8")
    assert "unknown text encoding" in reason
    assert oct((inbox / "rejected" / "a_poison.csv.reason.txt").stat().st_mode & 0o777) == "0o600"
    assert result.exit_code == 2  # a file nothing could be done with


def test_watch_retries_a_busy_database_with_backoff(ctx, tmp_path: Path, monkeypatch) -> None:
    from ops_console.services import intake
    from ops_console.services.intake_watch import watch

    inbox = tmp_path / "inbox"
    jsonl(inbox / "a.jsonl", range(3))
    calls: list[str] = []
    real = intake._ingest_file

    def busy_twice(*args: Any) -> Any:
        calls.append("try")
        if len(calls) <= 2:
            report = intake.FileReport(str(args[1]), error="locked", busy=True)
            return report
        return real(*args)

    monkeypatch.setattr(intake, "_ingest_file", busy_twice)
    seen: list[tuple[str, Path | None]] = []
    rounds = iter(range(20))
    watch(ctx, inbox, poll_seconds=0, should_stop=lambda: next(rounds) >= 19 or bool(list(inbox.glob("done/*"))),
          on_report=lambda r, moved: seen.append((r.path, moved)))  # fmt: skip
    assert [m is None for _, m in seen] == [True, True, False]  # twice left in place, then taken in
    assert (inbox / "done" / "a.jsonl").is_file()


def _reader(stream: IO[str]) -> queue.Queue[str]:
    q: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            q.put(line)
        q.put("")

    threading.Thread(target=pump, daemon=True).start()
    return q


def _spawn(args: list[str], tmp_path: Path, db: Path, preexec: Callable[[], None]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPS_")}
    env.update({"OPS_CONFIG": str(tmp_path / "none.toml"), "OPS_DATABASE__URL": f"sqlite:///{db}",
                "OPS_NOW": "2026-11-24T10:00:00+08:00", "OPS_UI__LANGUAGE": "en"})  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "ops_console", *args], env=env, cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec)  # fmt: skip


def _defaults() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _background_job() -> None:
    _defaults()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `make test &` gives a child


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_watch_stops_on_a_signal_even_when_sigint_started_ignored(tmp_path: Path, sig: int, code: int) -> None:
    inbox = tmp_path / "inbox"
    jsonl(inbox / "a.jsonl", range(2))
    proc = _spawn(["ingest", "--watch", str(inbox), "--json", "--poll", "0.1"], tmp_path, tmp_path / "w.db",
                  _background_job)  # fmt: skip
    try:
        out = _reader(proc.stdout)  # type: ignore[arg-type]
        first = out.get(timeout=120)  # the file was taken in: the watcher is in its loop
        assert json.loads(first)["new"] == 2
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == code
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- kill -9


def _counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        return (conn.execute("SELECT count(*) FROM orders").fetchone()[0],
                conn.execute("SELECT count(*) FROM order_line").fetchone()[0])  # fmt: skip


def _files(inbox: Path) -> None:
    for i in range(6):
        jsonl(inbox / f"f{i}.jsonl", range(i * 40, i * 40 + 40))


@pytest.mark.slow
def test_kill_9_at_random_moments_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    clean_dir = tmp_path / "clean"
    _files(clean_dir / "inbox")
    clean = _spawn(["ingest", "--watch", "inbox", "--once", "--json"], clean_dir, clean_dir / "c.db", _defaults)
    clean.communicate(timeout=300)
    expected = _counts(clean_dir / "c.db")
    assert expected == (240, 240)
    rng = random.Random(11)
    for round_no in range(3):
        work = tmp_path / f"r{round_no}"
        _files(work / "inbox")
        db = work / "k.db"
        proc = _spawn(["ingest", "--watch", "inbox", "--once", "--json"], work, db, _defaults)
        out = _reader(proc.stdout)  # type: ignore[arg-type]
        for _ in range(rng.randrange(0, 5)):  # wait for this many files to be reported, then kill
            if not out.get(timeout=300):
                break
        proc.kill()  # SIGKILL: no handler, no clean-up
        proc.wait(timeout=60)
        rerun = _spawn(["ingest", "--watch", "inbox", "--once", "--json"], work, db, _defaults)
        rerun.communicate(timeout=300)
        assert _counts(db) == expected, round_no
        assert not list((work / "inbox").glob("*.jsonl"))  # every file moved on
