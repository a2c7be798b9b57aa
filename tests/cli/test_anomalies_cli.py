"""`ops-console replenish …` and `ops-console anomalies …` as an operator would type them."""

from __future__ import annotations

import json

import pytest

from tests.factories import new_order, seed_city

pytestmark = pytest.mark.usefixtures("seed_pin")  # these tests act as people, who must prove it


@pytest.fixture(autouse=True)
def _pin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every seeded operator's PIN: these tests act as people, who must prove it (`OPS_PIN`)."""
    monkeypatch.setenv("OPS_PIN", "1234")


def _city() -> None:
    from ops_console.clock import ManualClock
    from ops_console.config import load_settings
    from ops_console.services.context import AppContext
    from tests.conftest import T0

    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    new_order(ctx, "MT1")
    ctx.close()


def test_replenish_place_hold_verify_and_list(cli) -> None:
    _city()
    assert cli("replenish", "place", "S01", "G001=13").exit_code == 1  # no operator
    bad = cli("--operator", "U01", "replenish", "place", "S01", "G001:13")
    assert bad.exit_code == 2 and "G001:13" in bad.output
    held = cli("--operator", "U01", "replenish", "place", "S01", "G001=13", "--json")
    assert held.exit_code == 0, held.output
    order = json.loads(held.output)
    assert order["status"] == "on_hold" and "step_mismatch" in order["anomalies"]
    listed = json.loads(cli("replenish", "list", "--json").output)
    assert [(r["order_no"], r["store_id"], r["status"], r["amount"]) for r in listed] == \
        [(order["order_no"], "S01", "on_hold", "26.00")]
    assert set(listed[0]["anomalies"]) == {"step_mismatch", "outside_reorder_window"}  # 10:00 is outside 13-15
    verified = cli("--operator", "U01", "replenish", "verify", order["order_no"], "--note", "门店确认")
    assert verified.exit_code == 0, verified.output
    assert json.loads(cli("replenish", "list", "--json").output)[0]["status"] == "accepted"
    again = cli("--operator", "U01", "replenish", "verify", order["order_no"])
    assert again.exit_code == 1 and "已接单" in again.output
    assert cli("--operator", "U01", "replenish", "cancel", order["order_no"]).exit_code == 0
    unknown = cli("--operator", "U01", "replenish", "place", "S01", "NOPE=1")
    assert unknown.exit_code == 1 and "NOPE" in unknown.output


def test_anomalies_work_an_alert_to_resolution(cli) -> None:
    _city()
    assert cli("--operator", "U01", "anomalies", "report", "MT1", "--text", "客户投诉少送一袋",
               "--kind", "complaint").exit_code == 0
    [alert] = json.loads(cli("anomalies", "list", "--json").output)
    assert {k: alert[k] for k in ("rule", "severity", "status", "order_no", "store_id", "count")} == \
        {"rule": "staff_report", "severity": "warning", "status": "open", "order_no": "MT1", "store_id": None,
         "count": 1}
    assert alert["subject"].startswith("order:") and alert["first_seen"] and alert["last_seen"]
    aid = str(alert["id"])
    assert cli("--operator", "U01", "anomalies", "ack", aid).exit_code == 0
    assert cli("--operator", "U01", "anomalies", "own", aid, "--deadline", "2026-11-24 18:00").exit_code == 0
    past = cli("--operator", "U01", "anomalies", "silence", aid, "--until", "2026-11-24 09:00", "--reason", "x")
    assert past.exit_code == 1
    assert cli("--operator", "U01", "anomalies", "silence", aid, "--until", "2026-11-24 12:00",
               "--reason", "等客户回电").exit_code == 0
    no_text = cli("--operator", "U02", "anomalies", "resolve", aid, "--text", " ")
    assert no_text.exit_code == 1
    assert cli("--operator", "U02", "anomalies", "resolve", aid, "--text", "已补送", "--informed").exit_code == 0
    assert json.loads(cli("anomalies", "list", "--json").output) == []
    assert json.loads(cli("anomalies", "list", "--all", "--rule", "staff_report", "--json").output)[0]["status"] \
        == "resolved"
    shown = json.loads(cli("anomalies", "show", aid, "--json").output)
    assert [h["action"] for h in shown["history"]] == ["raised", "acknowledged", "owned", "silenced", "resolved"]
    assert shown["customer_informed"] is True and shown["history"][-1]["actor"] == "U02"
    text = cli("anomalies", "show", aid, env={"OPS_UI__LANGUAGE": "en"})
    assert text.exit_code == 0 and "resolution: 已补送" in text.output
    bad_rule = cli("anomalies", "list", "--rule", "nope")
    assert bad_rule.exit_code == 1 and "quantity_surge" in bad_rule.output
    assert cli("--operator", "U01", "anomalies", "ack", "999").exit_code == 1


def test_orphaned_notices_are_listed(cli) -> None:
    from datetime import timedelta

    from ops_console.clock import ManualClock
    from ops_console.config import load_settings
    from ops_console.services import payments
    from ops_console.services.context import AppContext
    from tests.conftest import T0

    ctx = AppContext.open(load_settings(), ManualClock(T0 - timedelta(hours=2)))
    payments.record_payments(ctx, [payments.PaymentRecord("jd", "JD77", "P77", 1234, "paid", T0)])
    ctx.close()
    rows = json.loads(cli("anomalies", "orphans", "--json").output)
    assert [(r["order_no"], r["amount"], r["kind"]) for r in rows] == [("JD77", "12.34", "payment")]
    assert "JD77" in cli("anomalies", "orphans").output


def test_handover_records_measured_weights(cli) -> None:
    from ops_console.clock import ManualClock
    from ops_console.config import load_settings
    from ops_console.services.context import AppContext
    from ops_console.storage.db import write_session
    from ops_console.storage.models import OrderLine
    from tests.conftest import T0

    ctx = AppContext.open(load_settings(), ManualClock(T0))
    seed_city(ctx)
    new_order(ctx, "MT1", qty=2)
    with write_session(ctx.engine) as s:
        for line in s.exec(OrderLine.__table__.select()):  # type: ignore[attr-defined]
            s.execute(OrderLine.__table__.update().where(OrderLine.__table__.c.id == line.id)  # type: ignore[attr-defined]
                      .values(weight_g=500))  # 500 g a unit: 1,000 g ordered
    ctx.close()
    for cmd in (["assign", "MT1", "S01"], ["pick", "MT1"], ["picked", "MT1"], ["dispatch", "MT1", "C01"]):
        assert cli("--operator", "U01", "order", *cmd).exit_code == 0, cmd
    bad = cli("--operator", "U01", "order", "handover", "MT1", "--receipt", "R1", "--weight", "P001=heavy")
    assert bad.exit_code == 2 and "P001=heavy" in bad.output
    assert json.loads(cli("order", "show", "MT1", "--json").stdout)["status"] == "dispatched"
    done = cli("--operator", "U01", "order", "handover", "MT1", "--receipt", "R1", "--weight", "P001=1200",
               env={"OPS_UI__LANGUAGE": "en"})
    assert done.exit_code == 0, done.output
    [alert] = json.loads(cli("anomalies", "list", "--json").output)
    assert (alert["rule"], alert["order_no"]) == ("weight_deviation", "MT1")
    assert f"#{alert['id']}" in done.output


def test_watch_once_runs_the_anomaly_checks_too(cli) -> None:
    _city()
    assert cli("--operator", "U01", "anomalies", "report", "MT1", "--text", "少送一袋").exit_code == 0
    [alert] = json.loads(cli("anomalies", "list", "--json").output)
    assert cli("--operator", "U01", "anomalies", "silence", str(alert["id"]), "--until", "2026-11-24 10:30",
               "--reason", "等客户回电").exit_code == 0
    assert cli("watch", "--once").exit_code == 0  # 10:00: still silenced
    assert json.loads(cli("anomalies", "list", "--json").output)[0]["status"] == "silenced"
    later = {"OPS_NOW": "2026-11-24T10:31:00+08:00"}
    assert cli("watch", "--once", env=later).exit_code == 0
    [back] = json.loads(cli("anomalies", "list", "--json").output)
    assert back["status"] == "open"  # the silence ended in the anomaly checks `watch --once` ran
    history = json.loads(cli("anomalies", "show", str(alert["id"]), "--json").output)["history"]
    assert history[-1]["action"] == "silence_expired"
