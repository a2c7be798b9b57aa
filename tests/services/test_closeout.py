"""Closeout and reports over a day built through the services (tests/services/closeout_day.py):
every figure against the value worked out by hand from the day's timeline; the refusals and
their overrides; reopen; the files; the restore drill."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import stat
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from ops_console.config import Settings
from ops_console.services import anomalies
from ops_console.services import closeout as svc
from ops_console.services.backup import backup, restore
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.errors import Refused
from ops_console.services.events import record
from ops_console.services.lifecycle import perform
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Anomaly, Closeout, Event, Order, Reminder
from tests.conftest import CS, DISPATCHER, SUPERVISOR
from tests.services.closeout_day import DAY, Day, add_rows, at, build_day

D24 = date(2026, 11, 24)
D25 = date(2026, 11, 25)
# What the couriers hand in (fen): exactly what they owe (C02, C03: the standard float they carried).
COUNTED = {"C01": 20000, "C02": 20000, "C03": 20000, "C05": 9000}


@pytest.fixture
def day(city: AppContext) -> Day:
    return build_day(city)


def sha256_of(figures: dict) -> str:
    body = {k: v for k, v in figures.items() if k not in ("checksum", "status", "report_files")}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_every_figure_of_the_day_is_the_one_worked_out_by_hand(day: Day, tmp_path: Path) -> None:
    ctx = day.ctx
    result = svc.close_day(ctx, SUPERVISOR, D24, counted=COUNTED, report_dir=tmp_path / "reports")
    f = result.figures
    assert not result.stored
    assert (f["date"], f["status"], f["blocking"], f["closed_by"]) == (DAY, "closed", [], "U03")
    assert f["carried_over"] is None and f["accepted_differences"] is None

    # Orders counted on the day they were received (A–I; I at 23:50), stages reached by midnight;
    # S02's replenishment order (13:33, 500.00) is in none of them: it has its own section.
    # I was delivered after midnight, so it is received here but delivered on the 25th.
    assert f["orders"] == {
        "received": 9, "delivered": 4, "completed": 2, "cancelled": 1, "rejected": 1, "not_completed": 1,
        "refused": 1, "assigned_auto": 1, "assigned_manual": 5, "assigned_suggested": 0,
        "by_channel": {"app": 1, "eleme": 2, "jd": 1, "meituan": 4, "phone": 1},
        "by_store": {"S01": 5, "S02": 1},
        "by_payment": {"cod": 2, "online": 7},
    }
    # 7.00 × 7 + B 35.00 + F 5 × 15.90 + G 1.5 kg × 8.00 - 7.00 (I counted once in the seven) …
    # A 7 + B 35 + C 7 + D 7 + E 7 + F 79.50 + G 12 + H 7 + I 7 = 168.50; delivered A+B+C+H = 56.00.
    assert f["amounts"] == {"received": "168.50", "delivered": "56.00",
                            "online_paid_by_channel": {"app": "7.00", "eleme": "7.00", "jd": "7.00",
                                                       "meituan": "21.00", "phone": "79.50"}}
    assert f["orders_per_hour"] == {"10": 2, "11": 2, "12": 2, "13": 1, "14": 1, "23": 1}
    # Delivered on the 24th: A 40 min, B 80 min (late), C by its appointment 13:00 (+10), H 45 min.
    assert (f["on_time_pct"], f["on_time"]) == (75.0, {"delivered": 4, "on_time": 3})
    # Picked on the 24th (produce: 5 min from assign): A 5, B 13 (late), C 4, D 4, G 4.
    assert (f["picking_within_sla_pct"], f["picking"]) == (80.0, {"picked": 5, "within_sla": 4})
    # F, the only order taken by phone: call 12:08, entered 12:15 → 7 min, past the 5-minute limit.
    assert f["entry_minutes"] == {"orders": 1, "median": 7.0, "p90": 7.0, "within_pct": 0.0}
    assert f["stage_minutes"] == {
        "received_assigned": {"median": 3.5, "p90": 12.0},  # 0 1 2 5 10 12
        "assigned_picking": {"median": 1.0, "p90": 3.0},  # 1 1 1 2 3
        "picking_picked": {"median": 3.0, "p90": 10.0},  # 3 3 3 3 10
        "picked_dispatched": {"median": 5.0, "p90": 16.0},  # 5 5 5 5 6 16
        "dispatched_out": {"median": 5.0, "p90": 80.0},  # 5 5 5 5 5 80 (C held for its appointment)
        "out_delivered": {"median": 27.5, "p90": 45.0},  # 20 25 30 45
    }
    assert f["deliveries_by_tier"] == {"company": 4, "emergency": 1, "third_party": 1}
    assert f["escalations"] == {"no_free_courier": 1, "store_cannot_supply": 1}
    assert f["escalations_by_tier"] == {"emergency": 1, "third_party": 1}
    assert (f["refusals"], f["not_completed"], f["cancellations"]) == (
        {"quality": 1}, {"customer_absent": 1}, {"out_of_area": 1})
    assert f["service_requests"] == {"opened": 1, "by_kind": {"return": 1}, "by_status": {"refunded": 1},
                                     "returns_exchanges_pct": 25.0, "open_total": 0}
    # A staff report on E (open) and G weighed 1.40 kg of 1.50 (-6.7 %, past 5 %; resolved).
    assert f["anomalies"] == {"raised": {"staff_report": 1, "weight_deviation": 1},
                              "resolved": {"weight_deviation": 1}, "open": {"staff_report": 1}}
    assert f["reminders"] == {"raised": {"backlog_warn": 1}, "acknowledged": {"backlog_warn": 1},
                              "ack_minutes": {"backlog_warn": {"median": 3.0, "p90": 3.0}}}
    # U01 assigned B (waited 12 min), C 5, D 1, G 10, H 2 → median 5; acknowledged the backlog reminder.
    assert f["operators"] == [
        {"operator_id": "U01", "name": "王丽", "role": "dispatcher", "assigned_by_hand": 5,
         "queue_to_assign_median": 5.0, "reminders_acknowledged": 1, "actions": day.actions["U01"]},
        # U02: confirmed A and C, and B's return: open, confirm, contact, pickup, refund.
        {"operator_id": "U02", "name": "李娜", "role": "customer_service", "assigned_by_hand": 0,
         "queue_to_assign_median": None, "reminders_acknowledged": 0, "actions": 7},
        # U03: two floats and the emergency team's compensation.
        {"operator_id": "U03", "name": "张强", "role": "supervisor", "assigned_by_hand": 0,
         "queue_to_assign_median": None, "reminders_acknowledged": 0, "actions": 3},
    ]
    assert day.actions["U02"] == 7 and day.actions["U03"] == 3
    assert f["stores"] == [
        {"store_id": "S01", "name": "阳光店", "received": 5, "delivered": 4, "refused": 0, "not_completed": 1,
         "cancelled": 0, "amount": "68.00", "picked": 4, "picking_within_sla_pct": 75.0},
        {"store_id": "S02", "name": "河畔店", "received": 1, "delivered": 0, "refused": 1, "not_completed": 0,
         "cancelled": 0, "amount": "7.00", "picked": 1, "picking_within_sla_pct": 100.0},
    ]
    assert f["couriers"] == [
        {"courier_id": "C01", "name": "刘一", "tier": "company", "dispatched": 3, "delivered": 2, "refused": 0,
         "not_completed": 1, "cod_collected": "35.00"},
        {"courier_id": "C02", "name": "陈二", "tier": "company", "dispatched": 1, "delivered": 0, "refused": 1,
         "not_completed": 0, "cod_collected": "0.00"},
        {"courier_id": "C03", "name": "张三(闪送)", "tier": "third_party", "dispatched": 1, "delivered": 1,
         "refused": 0, "not_completed": 0, "cod_collected": "0.00"},
        {"courier_id": "C05", "name": "应急王五", "tier": "emergency", "dispatched": 1, "delivered": 1,
         "refused": 0, "not_completed": 0, "cod_collected": "0.00"},
    ]
    # C01: float 200 + COD of B 35 - cash refund of B's return 35 = 200; C02 and C03 had no float
    # booked: the standard float 200 each; the emergency team: 100 - 10 = 90 (its own line, last).
    assert f["cash"] == [
        {"courier_id": "C01", "tier": "company", "float": "200.00", "cod_collected": "35.00",
         "refunds_paid": "35.00", "compensation": "0.00", "expected": "200.00", "counted": "200.00",
         "difference": "0.00"},
        {"courier_id": "C02", "tier": "company", "float": "200.00", "cod_collected": "0.00",
         "refunds_paid": "0.00", "compensation": "0.00", "expected": "200.00", "counted": "200.00",
         "difference": "0.00"},
        {"courier_id": "C03", "tier": "third_party", "float": "200.00", "cod_collected": "0.00",
         "refunds_paid": "0.00", "compensation": "0.00", "expected": "200.00", "counted": "200.00",
         "difference": "0.00"},
        {"courier_id": "C05", "tier": "emergency", "float": "100.00", "cod_collected": "0.00",
         "refunds_paid": "0.00", "compensation": "10.00", "expected": "90.00", "counted": "90.00",
         "difference": "0.00"},
    ]
    # Placed inside 13:00–15:00 with no finding, the replenishment service accepts it at once.
    assert f["replenishment"] == {"received": 1, "amount": "500.00", "by_status": {"accepted": 1},
                                  "by_store": [{"store_id": "S02", "orders": 1, "amount": "500.00",
                                                "cod_amount": "500.00"}]}
    assert f["not_available"] == ["customer_satisfaction", "inventory_accuracy"]
    assert f["customer_satisfaction"] is None and f["inventory_accuracy"] is None
    assert f["carry_over"] == {"awaiting_confirmation": ["eleme:B", "eleme:H", "meituan:I"], "held": [],
                               "refused": ["app:D"], "not_completed": ["meituan:G"], "open_service_requests": [],
                               "on_the_road": []}
    assert f["checksum"] == sha256_of(f)

    # Running it again prints the stored report unchanged.
    again = svc.close_day(ctx, SUPERVISOR, D24)
    assert again.stored and again.figures == f

    # The 25th: I's events count on their own day (on time: 50 min; picked in 5), no order received.
    f25 = svc.report(ctx, "daily", D25)
    assert f25["orders"]["received"] == 0 and f25["status"] == "open"
    assert (f25["on_time_pct"], f25["picking_within_sla_pct"]) == (100.0, 100.0)
    assert f25["operators"][0]["assigned_by_hand"] == 1
    assert f25["operators"][0]["queue_to_assign_median"] == 20.0  # queued 23:50, assigned 00:10


def test_report_files_are_private_and_outside_text_is_harmless(day: Day, tmp_path: Path) -> None:
    ctx = day.ctx
    with write_session(ctx.engine) as s:  # a courier name typed by someone: a formula and a tag
        from ops_console.storage.models import Courier

        s.get(Courier, "C03").name = '=HYPERLINK("http://x")<script>alert(1)</script>'
    result = svc.close_day(ctx, SUPERVISOR, D24, counted=COUNTED, report_dir=tmp_path / "reports")
    folder = tmp_path / "reports" / DAY
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = {Path(p).name for p in result.files}
    assert {"summary.csv", "cash.csv", "couriers.csv", "stores.csv", "operators.csv", "report.xlsx",
            "report.html"} <= names
    for p in result.files:
        assert stat.S_IMODE(Path(p).stat().st_mode) == 0o600, p
    rows = list(csv.reader((folder / "couriers.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[3][1] == "'" + '=HYPERLINK("http://x")<script>alert(1)</script>'
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<svg" in html
    assert not any(tag in html for tag in ("src=", "href=", "<link", "<script", "@import"))  # nothing fetched
    from openpyxl import load_workbook

    wb = load_workbook(folder / "report.xlsx")
    cells = [c.value for row in wb["couriers"].iter_rows() for c in row]
    assert "'" + '=HYPERLINK("http://x")<script>alert(1)</script>' in cells
    assert set(wb.sheetnames) >= {"summary", "cash", "stage_minutes", "reasons"}
    with read_session(ctx.engine) as s:
        assert s.exec(select(Closeout)).one().report_files == result.files


def test_open_orders_block_until_carried_over_with_a_reason(city: AppContext) -> None:
    d = Day(city)
    d.receive("X1", at(10, 0), channel="meituan")  # left unassigned
    d.receive("X2", at(11, 0), channel="eleme")
    d.do("X2", at(11, 5), "assign", store_id="S01")
    d.do("X2", at(11, 6), "start_picking")  # left picking
    city.clock.set(at(23, 0))
    with pytest.raises(svc.CloseoutBlocked) as blocked:
        svc.close_day(city, SUPERVISOR, D24)
    assert blocked.value.figures["blocking"] == [
        {"check": "open_order", "order": "meituan:X1", "status": "unassigned"},
        {"check": "open_order", "order": "eleme:X2", "status": "picking"},
    ]
    with read_session(city.engine) as s:
        assert s.exec(select(Closeout)).first() is None
    done = svc.close_day(city, SUPERVISOR, D24, carry_over_reason="门店晚班继续处理")
    assert done.figures["carried_over"] == {"reason": "门店晚班继续处理",
                                            "items": blocked.value.figures["blocking"]}
    with read_session(city.engine) as s:
        ev = s.exec(select(Event).where(Event.action == "closeout")).one()
    assert (ev.actor, ev.subject_id, ev.detail["carry_over_reason"]) == ("U03", DAY, "门店晚班继续处理")


def test_only_a_supervisor_closes_or_reopens(day: Day) -> None:
    for actor in (DISPATCHER, CS, SYSTEM):
        with pytest.raises(Refused, match="主管"):
            svc.close_day(day.ctx, actor, D24, counted=COUNTED)
    svc.close_day(day.ctx, SUPERVISOR, D24, counted=COUNTED)
    with pytest.raises(Refused, match="主管"):
        svc.reopen(day.ctx, DISPATCHER, D24, "改")


def test_cash_not_counted_and_differences_block_unless_accepted(day: Day) -> None:
    ctx = day.ctx
    with pytest.raises(svc.CloseoutBlocked) as none_counted:
        svc.close_day(ctx, SUPERVISOR, D24)
    assert none_counted.value.figures["blocking"] == [
        {"check": "cash_not_counted", "courier_id": "C01", "expected": "200.00"},
        {"check": "cash_not_counted", "courier_id": "C02", "expected": "200.00"},
        {"check": "cash_not_counted", "courier_id": "C03", "expected": "200.00"},
        {"check": "cash_not_counted", "courier_id": "C05", "expected": "90.00"},
    ]
    short = {**COUNTED, "C01": 19850}  # C01 hands in 198.50
    with pytest.raises(svc.CloseoutBlocked) as differs:
        svc.close_day(ctx, SUPERVISOR, D24, counted=short)
    assert differs.value.figures["blocking"] == [
        {"check": "cash_difference", "courier_id": "C01", "expected": "200.00", "counted": "198.50",
         "difference": "-1.50"},
    ]
    # An operational override does not wave cash through.
    with pytest.raises(svc.CloseoutBlocked):
        svc.close_day(ctx, SUPERVISOR, D24, counted=short, carry_over_reason="x")
    done = svc.close_day(ctx, SUPERVISOR, D24, counted=short, accept_reason="零钱找错,次日补交")
    assert done.figures["accepted_differences"]["items"] == differs.value.figures["blocking"]
    # The alert is the anomaly service's: its rule key, critical (money is wrong), the reason on its event.
    assert done.anomalies == ["cash_difference|courier:C01:2026-11-24|"]
    alerts = anomalies.list_alerts(ctx, rule="cash_difference")
    assert [(a.severity, a.status, a.subject) for a in alerts] == [("critical", "open", "courier:C01:2026-11-24")]
    with read_session(ctx.engine) as s:
        anomaly = s.exec(select(Anomaly).where(Anomaly.rule == "cash_difference")).one()
        raised = s.exec(select(Event).where(Event.subject_type == "anomaly", Event.subject_id == str(anomaly.id))).one()
    assert (anomaly.detail["params"]["difference"], anomaly.amount) == ("-1.50", 150)
    assert (raised.actor, raised.detail["note"]) == ("U03", "cash_difference: 零钱找错,次日补交")


def test_a_count_never_made_and_accepted_is_a_difference_of_all_of_it(day: Day) -> None:
    done = svc.close_day(day.ctx, SUPERVISOR, D24, counted={"C01": 20000, "C05": 9000}, accept_reason="C02、C03 明早交")
    alerts = anomalies.list_alerts(day.ctx, rule="cash_difference")
    assert sorted((a.subject, a.to_json()["amount"]) for a in alerts) == [
        ("courier:C02:2026-11-24", "200.00"), ("courier:C03:2026-11-24", "200.00")]
    assert len(done.anomalies) == 2


def test_a_count_for_an_unknown_courier_is_refused_by_name(day: Day) -> None:
    with pytest.raises(svc.CashInputError, match="C7"):
        svc.close_day(day.ctx, SUPERVISOR, D24, counted={**COUNTED, "C7": 100})


def test_cash_inputs_are_checked_and_named() -> None:
    assert svc.parse_cash(["C07=1234.50", "C08=¥3"]) == {"C07": 123450, "C08": 300}
    with pytest.raises(svc.CashInputError, match=re.escape("C07=12.345")):
        svc.parse_cash(["C07=12.345"])
    with pytest.raises(svc.CashInputError, match="1234"):
        svc.parse_cash(["1234"])


def test_cash_file_bad_row_is_named(tmp_path: Path) -> None:
    good = tmp_path / "cash.csv"
    good.write_text("courier_id,counted\nC01,200.00\nC05,90\n", encoding="utf-8")
    assert svc.read_cash_file(good) == {"C01": 20000, "C05": 9000}
    bad = tmp_path / "bad.csv"
    bad.write_text("courier_id,counted\nC01,200.00\nC05,九十\n", encoding="utf-8")
    with pytest.raises(svc.CashInputError) as exc:
        svc.read_cash_file(bad)
    assert "bad.csv" in exc.value.message and "3" in exc.value.message and "counted" in exc.value.message


def test_cash_file_names_every_bad_row_at_once_and_a_stray_quote_costs_one_row(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.csv"
    hostile.write_text('courier_id,counted\nC01,1e308\nC02,"12\nC03,-3\nC05,90\nC05,10\n,5\n', encoding="utf-8")
    with pytest.raises(svc.CashInputError) as exc:
        svc.read_cash_file(hostile)
    lines = exc.value.message.splitlines()
    assert "5" in lines[0]  # five rows wrong; C05's first row is the one good row
    assert len(lines) == 6
    shown = "\n".join(lines)
    for row, words in ((2, "1e308"), (3, "引号"), (4, "-3"), (6, "C05"), (7, "courier_id")):
        assert any(f"第 {row} 行" in ln and words in ln for ln in lines), (row, shown)
    with pytest.raises(svc.CashInputError, match="C07=-5"):
        svc.parse_cash(["C07=-5"])


def test_on_the_road_with_a_recorded_reason_is_carried_over_the_others_block(city: AppContext) -> None:
    d = Day(city)
    for no in ("R1", "R2", "R3"):
        d.receive(no, at(20, 0), channel="meituan")
        d.do(no, at(20, 1), "assign", store_id="S01")
        d.do(no, at(20, 2), "start_picking")
        d.do(no, at(20, 5), "finish_picking")
        d.do(no, at(20, 10), "dispatch", courier_id="C01")
    d.do("R1", at(20, 30), "call", outcome="unreachable")  # the courier recorded why it is still out
    d.do("R3", at(20, 31), "call", outcome="now")  # out for delivery, and nothing said since
    city.clock.set(at(23, 0))
    with pytest.raises(svc.CloseoutBlocked) as blocked:
        svc.close_day(city, SUPERVISOR, D24, counted={"C01": 20000})
    assert blocked.value.figures["blocking"] == [
        {"check": "open_order", "order": "meituan:R2", "status": "dispatched"},
        {"check": "open_order", "order": "meituan:R3", "status": "out_for_delivery"},
    ]
    on_road = blocked.value.figures["carry_over"]["on_the_road"]
    assert [(r["order"], r["status"], r["reason"]) for r in on_road] == [
        ("meituan:R1", "dispatched", "call_unreachable")]
    # R2's late alert taken by a person is a recorded reason too; R3 still blocks.
    with read_session(city.engine) as s:
        r2 = s.exec(select(Order).where(Order.order_no == "R2")).one()
    add_rows(city, Anomaly(rule="delivery_overdue", severity="warning", order_id=r2.id, fingerprint="do:R2",
                           first_seen=at(21, 0), last_seen=at(21, 0), status="acknowledged",
                           acknowledged_by="U01", owner="U01"))
    with pytest.raises(svc.CloseoutBlocked) as again:
        svc.close_day(city, SUPERVISOR, D24, counted={"C01": 20000})
    assert [b["order"] for b in again.value.figures["blocking"]] == ["meituan:R3"]
    assert [(r["order"], r["reason"]) for r in again.value.figures["carry_over"]["on_the_road"]] == [
        ("meituan:R1", "call_unreachable"), ("meituan:R2", "alert_taken")]


def test_critical_alerts_the_log_and_intake_counts_are_checked(day: Day) -> None:
    ctx = day.ctx
    add_rows(ctx, Anomaly(rule="payment_mismatch", severity="critical", fingerprint="pm:1", first_seen=at(15, 0),
                          status="open"),
             Reminder(kind="backlog_critical", severity="critical", dedup_key="bc:1", raised_at=at(15, 0),
                      status="open"))
    with write_session(ctx.engine) as s:  # intake counted 3 new orders from a file; none is stored from it
        record(s, at(15, 0), SYSTEM, "intake", "orders-1124.csv", "ingest", detail={"new": 3, "received": 3})
    with pytest.raises(svc.CloseoutBlocked) as blocked:
        svc.close_day(ctx, SUPERVISOR, D24, counted=COUNTED)
    checks = blocked.value.figures["blocking"]
    assert {"check": "intake_count", "file": "orders-1124.csv", "counted": 3, "stored": 0} in checks
    assert [c["check"] for c in checks] == ["critical_anomaly", "critical_reminder", "intake_count"]


def test_a_closed_day_refuses_new_inputs_and_reopen_allows_a_corrected_closeout(day: Day) -> None:
    ctx = day.ctx
    with pytest.raises(Refused, match="尚未日结"):
        svc.reopen(ctx, SUPERVISOR, D24, "改")
    first = svc.close_day(ctx, SUPERVISOR, D24, counted={**COUNTED, "C01": 19850}, accept_reason="少 1.50")
    with pytest.raises(Refused, match="reopen"):
        svc.close_day(ctx, SUPERVISOR, D24, counted=COUNTED)
    with pytest.raises(Refused):
        svc.reopen(ctx, SUPERVISOR, D24, "  ")
    ctx.clock.set(at(9, 0, 25))
    reopened = svc.reopen(ctx, SUPERVISOR, D24, "C01 补交 1.50")
    assert reopened["status"] == "reopened"
    assert svc.closed_report(ctx, D24)["status"] == "reopened"
    assert svc.report(ctx, "daily", D24)["status"] == "reopened"
    # The accepted difference is a critical alert like any other: worked to resolution first.
    with pytest.raises(svc.CloseoutBlocked) as unresolved:
        svc.close_day(ctx, SUPERVISOR, D24, counted=COUNTED)
    assert [b["check"] for b in unresolved.value.figures["blocking"]] == ["critical_anomaly"]
    (alert,) = anomalies.list_alerts(ctx, rule="cash_difference")
    anomalies.resolve(ctx, alert.id, SUPERVISOR, "C01 次日补交 1.50")
    second = svc.close_day(ctx, SUPERVISOR, D24, counted=COUNTED)
    assert second.figures["accepted_differences"] is None
    assert second.figures["checksum"] != first.figures["checksum"]
    assert svc.closed_report(ctx, D24)["checksum"] == second.figures["checksum"]
    with read_session(ctx.engine) as s:
        actions = [e.action for e in s.exec(select(Event).where(Event.subject_type == "closeout").order_by(Event.id))]
        assert actions == ["closeout", "reopen", "closeout"]
        assert len(s.exec(select(Closeout)).all()) == 2  # the first closeout stays on record


def test_later_events_on_a_closed_days_orders_count_on_their_own_day(day: Day) -> None:
    ctx = day.ctx
    closed = svc.close_day(ctx, SUPERVISOR, D24, counted=COUNTED)
    ctx.clock.set(at(9, 0, 25))
    perform(ctx, "B", "confirm", CS)  # B was received and delivered on the 24th
    assert svc.close_day(ctx, SUPERVISOR, D24).figures == closed.figures
    assert svc.report(ctx, "daily", D24)["orders"]["completed"] == 2  # as of the 24th's midnight
    by_operator = {o["operator_id"]: o for o in svc.report(ctx, "daily", D25)["operators"]}
    assert by_operator["U02"] == {
        "operator_id": "U02", "name": "李娜", "role": "customer_service", "assigned_by_hand": 0,
        "queue_to_assign_median": None, "reminders_acknowledged": 0, "actions": 1}


def test_an_order_of_the_day_before_worked_after_midnight_counts_in_the_next_days_events(day: Day) -> None:
    # I: received 23:50 on the 24th; U01 assigns 00:10 (queued on its own clock since 23:50: 20 min),
    # picking 00:12–00:15 (5 min of the SLA), C01 00:20, out 00:25, delivered 00:40 (50 min: on time).
    report = svc.report(day.ctx, "daily", D25)
    assert report["orders"]["received"] == 0 and report["stores"][0]["received"] == 0  # not the 25th's cohort
    assert (report["on_time"], report["picking"]) == ({"delivered": 1, "on_time": 1}, {"picked": 1, "within_sla": 1})
    assert report["deliveries_by_tier"] == {"company": 1}
    assert [(c["courier_id"], c["dispatched"], c["delivered"]) for c in report["couriers"]] == [("C01", 1, 1)]
    assert [(o["operator_id"], o["assigned_by_hand"], o["queue_to_assign_median"], o["actions"])
            for o in report["operators"]] == [("U01", 1, 20.0, 6)]  # assign, pick ×2, dispatch, out, deliver
    assert all(v == {"median": None, "p90": None} for v in report["stage_minutes"].values())


def test_weekly_and_monthly_reports(day: Day) -> None:
    ctx = day.ctx
    week = svc.report(ctx, "weekly", D24)
    assert (week["from"], week["to"], week["status"]) == ("2026-11-23", "2026-11-29", "open")
    assert week["orders"]["received"] == 9 and week["orders"]["delivered"] == 5  # I too, by the week's end
    assert week["replenishment_cod_by_store"] == {"S02": "500.00"}
    month = svc.report(ctx, "monthly", D24)
    assert (month["from"], month["to"]) == ("2026-11-01", "2026-11-30")
    assert month["not_completed_summary"] == [{"reason": "customer_absent", "count": 1, "pct": 100.0}]
    assert "checksum" not in month


def test_restore_drill(day: Day, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Closeout → backup → restore into a new file → the same figures and checksum."""
    ctx = day.ctx
    monkeypatch.chdir(tmp_path)
    closed = svc.close_day(ctx, SUPERVISOR, D24, counted=COUNTED)
    copy = backup(ctx)
    assert copy.orders == 10 and copy.path.parent == Path("data/backups")
    assert stat.S_IMODE(copy.path.stat().st_mode) == 0o600
    target = tmp_path / "restored" / "ops.db"
    fresh = AppContext.open(Settings(), ctx.clock, url=f"sqlite:///{target}", migrate=False)
    try:
        assert restore(fresh, copy.path) == 10
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        stored = svc.closed_report(fresh, D24)
        assert stored is not None
        assert stored["checksum"] == closed.figures["checksum"] == sha256_of(stored)
        assert {k: v for k, v in stored.items() if k != "report_files"} == {
            k: v for k, v in closed.figures.items() if k != "report_files"}
        assert svc.close_day(fresh, SUPERVISOR, D24).figures["checksum"] == closed.figures["checksum"]
        assert svc.report(fresh, "daily", D24) == svc.report(ctx, "daily", D24)
        with pytest.raises(Refused, match="--force"):  # the restored database exists now
            restore(fresh, copy.path)
        assert restore(fresh, copy.path, force=True) == 10
    finally:
        fresh.close()


def test_backups_keep_the_newest_copies(day: Day, tmp_path: Path) -> None:
    ctx = AppContext(day.ctx.settings.replace(backup={"keep": 2}), day.ctx.clock, day.ctx.engine)
    made = []
    for minute in range(3):
        ctx.clock.set(at(2, minute, 25))
        made.append(backup(ctx, tmp_path / "b").path)
    kept = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert kept == sorted(p.name for p in made[1:])
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o700


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, clock) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    fresh = AppContext.open(Settings(), clock, url=f"sqlite:///{tmp_path / 'new.db'}", migrate=False)
    target = tmp_path / "new.db"  # opening the database creates it (0600, the auth merge): it must stay untouched
    before = target.read_bytes() if target.exists() else None
    try:
        with pytest.raises(Exception, match=re.escape("junk.db")):
            restore(fresh, junk)
        assert (target.read_bytes() if target.exists() else None) == before
    finally:
        fresh.close()
