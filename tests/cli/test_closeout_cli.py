"""`closeout`, `reopen`, `report`, `backup`, `restore` on the command line, over the test day."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ops_console.clock import ManualClock
from ops_console.config import load_settings
from ops_console.services.context import AppContext
from tests.conftest import T0
from tests.factories import seed_city
from tests.services.closeout_day import at as at_
from tests.services.closeout_day import build_day

AFTER_MIDNIGHT = {"OPS_NOW": "2026-11-25T01:00:00+08:00"}

pytestmark = pytest.mark.usefixtures("seed_pin")  # these tests act as people, who must prove it


@pytest.fixture
def built(cli) -> object:
    """The test day (the seed PIN proves the operators: `seed_pin` above)."""
    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    build_day(ctx)
    ctx.close()
    return cli


def test_closeout_refuses_then_closes_with_counts_writes_files_and_backs_up(built, tmp_path: Path) -> None:
    cli = built
    refused = cli("--operator", "U01", "closeout", "--date", "2026-11-24", env=AFTER_MIDNIGHT)
    assert refused.exit_code == 1 and "主管" in refused.output
    uncounted = cli("--operator", "U03", "closeout", "--date", "2026-11-24", "--json", env=AFTER_MIDNIGHT)
    assert uncounted.exit_code == 1
    blocked = json.loads(uncounted.stdout)
    assert [(b["check"], b["courier_id"]) for b in blocked["blocking"]] == [
        ("cash_not_counted", "C01"), ("cash_not_counted", "C02"), ("cash_not_counted", "C03"),
        ("cash_not_counted", "C05")]
    assert blocked["status"] == "open"

    cash = tmp_path / "cash.csv"
    cash.write_text("courier_id,counted\nC05,90.00\n", encoding="utf-8")
    done = cli("--operator", "U03", "closeout", "--date", "2026-11-24", "--cash", "C01=200.00", "--cash", "C02=200",
               "--cash", "C03=200", "--cash-file", str(cash), "--json", env=AFTER_MIDNIGHT)
    assert done.exit_code == 0, done.output
    figures = json.loads(done.stdout)
    assert figures["status"] == "closed" and figures["orders"]["received"] == 9
    assert [c["counted"] for c in figures["cash"]] == ["200.00", "200.00", "200.00", "90.00"]
    backup = Path(figures["backup"])
    assert backup.parent == Path("data/backups") and figures["backup_orders"] == 10
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert Path("data/reports/2026-11-24/report.html").exists()

    again = cli("--operator", "U03", "closeout", "--date", "2026-11-24", "--json", env=AFTER_MIDNIGHT)
    stored = json.loads(again.stdout)
    assert stored["checksum"] == figures["checksum"] and "backup" not in stored  # no new close, no new backup
    with_inputs = cli("--operator", "U03", "closeout", "--date", "2026-11-24", "--cash", "C01=1", env=AFTER_MIDNIGHT)
    assert with_inputs.exit_code == 1 and "reopen" in with_inputs.output

    summary = cli("--operator", "U03", "closeout", "--date", "2026-11-24", env=AFTER_MIDNIGHT)
    assert summary.exit_code == 0 and "已日结" in summary.output and "客户满意度" in summary.output


def test_carry_over_and_accept_difference_need_a_reason(built) -> None:
    no_reason = built("--operator", "U03", "closeout", "--date", "2026-11-24", "--accept-difference",
                      env=AFTER_MIDNIGHT)
    assert no_reason.exit_code == 1 and "--reason" in no_reason.output
    bad_cash = built("--operator", "U03", "closeout", "--date", "2026-11-24", "--cash", "C01=abc",
                     env=AFTER_MIDNIGHT)
    assert bad_cash.exit_code == 1 and "C01=abc" in bad_cash.output
    accepted = built("--operator", "U03", "closeout", "--date", "2026-11-24", "--cash", "C01=199.00", "--cash",
                     "C02=200", "--cash", "C03=200", "--cash", "C05=90", "--accept-difference", "--reason", "差 1 元",
                     env=AFTER_MIDNIGHT)
    assert accepted.exit_code == 0, accepted.output
    assert "cash_difference|courier:C01:2026-11-24|" in accepted.output
    alerts = built("anomalies", "list", "--json")
    assert alerts.exit_code == 0 and "courier:C01:2026-11-24" in alerts.output


def test_closeout_as_a_supervisor_needs_proof(built, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPS_PIN")
    args = ("--operator", "U03", "closeout", "--date", "2026-11-24", "--cash", "C01=200", "--cash", "C02=200",
            "--cash", "C03=200", "--cash", "C05=90")
    no_proof = built(*args, env=AFTER_MIDNIGHT)
    assert no_proof.exit_code == 1 and "OPS_PIN" in no_proof.output and "login" in no_proof.output
    wrong = built(*args, env={**AFTER_MIDNIGHT, "OPS_PIN": "9999"})
    assert wrong.exit_code == 1 and "PIN" in wrong.output
    report = json.loads(built("report", "daily", "--date", "2026-11-24", "--json").stdout)
    assert report["status"] == "open"  # nothing was closed
    assert built(*args, env={**AFTER_MIDNIGHT, "OPS_PIN": "1234"}).exit_code == 0


def test_reopen_report_backup_and_restore(built, tmp_path: Path) -> None:
    cli = built
    assert cli("--operator", "U03", "closeout", "--date", "2026-11-24", "--cash", "C01=200", "--cash", "C02=200",
               "--cash", "C03=200", "--cash", "C05=90", env=AFTER_MIDNIGHT).exit_code == 0
    assert cli("--operator", "U01", "reopen", "--date", "2026-11-24", "--reason", "x",
               env=AFTER_MIDNIGHT).exit_code == 1
    reopened = cli("--operator", "U03", "reopen", "--date", "2026-11-24", "--reason", "补录", "--json",
                   env=AFTER_MIDNIGHT)
    assert reopened.exit_code == 0 and json.loads(reopened.stdout)["status"] == "reopened"

    daily = json.loads(cli("report", "daily", "--date", "2026-11-24", "--json").stdout)
    assert (daily["status"], daily["orders"]["received"], daily["on_time_pct"]) == ("reopened", 9, 75.0)
    weekly = json.loads(cli("report", "weekly", "--date", "2026-11-24", "--json").stdout)
    assert weekly["replenishment_cod_by_store"] == {"S02": "500.00"}
    monthly = cli("report", "monthly", "--date", "2026-11-24")
    assert monthly.exit_code == 0 and "customer_absent 1 (100.0%)" in monthly.output
    assert cli("report", "daily", "--date", "24/11/2026").exit_code == 1

    made = cli("backup")
    assert made.exit_code == 0
    path = Path(made.stdout.strip())
    assert path.exists() and path.parent == Path("data/backups")
    refused = cli("restore", str(path))  # the configured database exists
    assert refused.exit_code == 1 and "--force" in refused.output
    target = tmp_path / "elsewhere.db"
    restored = cli("restore", str(path), env={"OPS_DATABASE__URL": f"sqlite:///{target}"})
    assert restored.exit_code == 0, restored.output
    again = json.loads(cli("report", "daily", "--date", "2026-11-24", "--json",
                           env={"OPS_DATABASE__URL": f"sqlite:///{target}"}).stdout)
    assert again == daily


def test_report_names_each_order_on_the_road_with_its_recorded_reason(cli) -> None:
    from ops_console.domain.types import Action

    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    day = build_day(ctx)
    day.receive("Z", at_(21, 0), channel="meituan")
    day.do("Z", at_(21, 1), Action.ASSIGN, store_id="S01")
    day.do("Z", at_(21, 2), Action.START_PICKING)
    day.do("Z", at_(21, 5), Action.FINISH_PICKING)
    day.do("Z", at_(21, 10), Action.DISPATCH, courier_id="C01")
    day.do("Z", at_(21, 40), Action.CALL, outcome="unreachable")
    day.receive("Y", at_(21, 50), channel="eleme")  # left unassigned: a miss, named in words
    ctx.close()
    shown = cli("--operator", "U03", "report", "daily", "--date", "2026-11-24", env=AFTER_MIDNIGHT)
    assert shown.exit_code == 0, shown.output
    assert "在途(已记录原因) 1" in shown.output
    assert "meituan:Z 已派单 — 配送员来电:联系不上顾客" in shown.output
    blocked = cli("--operator", "U03", "closeout", "--date", "2026-11-24", env=AFTER_MIDNIGHT)
    assert blocked.exit_code == 1
    assert "订单 eleme:Y 仍为 待分配" in blocked.output and "meituan:Z 仍为" not in blocked.output
