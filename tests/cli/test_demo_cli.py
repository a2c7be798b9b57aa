"""`ops-console demo init|run`: always data/demo.db, operators printed, idempotent, a lively status."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ops_console.demo.catalog import OPERATORS


def test_demo_init_fills_data_demo_db_prints_the_pins_and_a_second_run_changes_nothing(cli, tmp_path: Path) -> None:
    first = cli("demo", "init", "--hours", "1.5")
    assert first.exit_code == 0, first.output
    demo_db = tmp_path / "data" / "demo.db"
    assert demo_db.exists()
    # OPS_DATABASE__URL names cli.db (the "real" database): the demo never goes there.
    real = tmp_path / "cli.db"
    if real.exists():
        with sqlite3.connect(real) as conn:
            assert conn.execute("select count(*) from store").fetchone() == (0,)
    for op in OPERATORS:
        assert op.id in first.output and op.pin in first.output
    assert "演示城市已建立" in first.output

    events = _events(demo_db)
    again = cli("demo", "init")
    assert again.exit_code == 0, again.output
    assert "未做任何改动" in again.output and "U01" in again.output
    assert _events(demo_db) == events

    status = json.loads(cli("--demo", "status", "--json").output)
    assert status["masters"]["stores"] >= 20 and status["masters"]["skus"] >= 200
    busy = {s for s, n in status["statuses"].items() if n}
    assert {"unassigned", "picking", "out_for_delivery", "delivered", "completed", "refused"} <= busy
    assert status["backlog_minutes"] >= 30


def test_demo_init_json_in_english(cli) -> None:
    result = cli("demo", "init", "--hours", "0.2", "--json", env={"OPS_UI__LANGUAGE": "en"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["created"] and data["url"].endswith("data/demo.db")
    assert {o["role"] for o in data["operators"]} == {"dispatcher", "customer_service", "supervisor"}
    assert set(data["couriers"]) == {"company", "third_party", "store_staff", "emergency"}
    assert cli("demo", "init", "--json").output.count('"created": false') == 1


def test_demo_run_plays_on_the_demo_city_and_refuses_a_database_without_it(cli, tmp_path: Path) -> None:
    refused = cli("demo", "run", "--steps", "1", "--interval", "0", env={"OPS_UI__LANGUAGE": "en"})
    assert refused.exit_code == 1
    assert "demo init" in refused.output

    assert cli("demo", "init", "--hours", "0.2").exit_code == 0
    orders = _orders(tmp_path / "data" / "demo.db")
    ran = cli("demo", "run", "--steps", "3", "--interval", "0.4", "--rate", "600", "--speed", "100", "--seed", "3")
    assert ran.exit_code == 0, ran.output
    assert "模拟器已停止" in ran.output
    assert _orders(tmp_path / "data" / "demo.db") > orders


def test_demo_run_rejects_bad_options(cli) -> None:
    bad = cli("demo", "run", "--p-refuse", "1.5", "--steps", "1")
    assert bad.exit_code == 2 and "--p-refuse" in bad.output
    assert cli("demo", "run", "--speed", "0", "--steps", "1").exit_code == 2


def _events(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*), max(id) from event").fetchone()


def _orders(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from orders").fetchone()[0]
