"""One intake file mixing customer orders, replenishment orders, payment notices and tracking updates."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.services import replenishment_intake
from ops_console.services.context import AppContext
from ops_console.services.intake import ingest
from ops_console.storage.db import read_session
from ops_console.storage.models import Anomaly, Order, Payment, TrackingUpdate
from tests.conftest import DISPATCHER, T0

IN_WINDOW = T0 + timedelta(hours=3, minutes=30)  # 13:30 in Shanghai: inside the reorder window
AT = "2026-11-24 13:20:00"


def _customer(no: str, qty: int = 2, **kw: Any) -> dict[str, Any]:
    return {"kind": "customer", "channel": "meituan", "order_no": no, "placed_at": AT, "customer_name": "赵女士",
            "phone": "13812341234", "address": "阳光小区3栋2单元501", "payment_method": "online",
            "lines": [{"sku": "P001", "name": "上海青", "qty": qty, "unit_price": "3.50"}], **kw}


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _alerts(ctx: AppContext) -> dict[tuple[str, str | None], str]:
    with read_session(ctx.engine) as s:
        rows = s.exec(select(Anomaly.rule, Order.order_no, Anomaly.status)
                      .join(Order, Order.id == Anomaly.order_id, isouter=True))  # type: ignore[arg-type]
        return {(rule, no): status for rule, no, status in rows}


def test_a_mixed_file_lands_in_the_right_tables_with_alerts_and_quarantine(
        city: AppContext, clock: ManualClock, tmp_path: Path) -> None:
    for d in range(8, 0, -1):  # S01's usual order of G001: 24 bottles a day
        clock.set(IN_WINDOW - timedelta(days=d))
        replenishment_intake.place(city, "S01", {"G001": 24}, DISPATCHER)
    clock.set(IN_WINDOW)
    records = [
        {"kind": "支付", "渠道": "美团", "订单号": "MT9", "支付流水号": "PAY9", "金额": "7.00", "状态": "已支付", "时间": AT},
        _customer("MT1"),
        {"kind": "replenishment", "order_no": "SR-1", "store_id": "S01", "placed_at": AT, "delivery_date": "2026-11-25",
         "lines": [{"sku": "G001", "name": "矿泉水", "qty": 240, "unit_price": "2.00"}]},
        {"kind": "payment", "channel": "meituan", "order_no": "MT1", "payment_ref": "PAY1", "amount": "9.00",
         "status": "paid", "at": AT},
        {"kind": "tracking", "channel": "meituan", "order_no": "MT1", "status": "picked_up", "at": AT, "note": "骑手已取货"},
        _customer("MT2", qty=0),  # bad: a zero quantity
        {"kind": "replenishment", "order_no": "SR-2", "store_id": "S99", "placed_at": AT,
         "lines": [{"sku": "G001", "name": "矿泉水", "qty": 24, "unit_price": "2.00"}]},  # bad: no such store
        {"kind": "payment", "channel": "meituan", "order_no": "MT1", "amount": "7.00", "status": "paid"},  # no ref
        {"kind": "tracking", "channel": "meituan", "order_no": "MT1", "at": AT},  # no status
    ]
    path = _write(tmp_path / "mixed.jsonl", records)
    report = ingest(city, [path], lang="en").files[0]
    assert (report.new, report.notices, report.rejected, report.error) == (2, 3, 4, None)
    assert report.statuses == {"assigned": 1, "on_hold": 1}
    problems = "\n".join(report.problems)
    for line, fld in ((6, "lines[0].qty"), (7, "store_id"), (8, "payment_ref"), (9, "status")):
        assert f"line {line}" in problems and fld in problems, problems
    quarantined = Path(report.quarantine or "").read_text(encoding="utf-8")
    assert all(no in quarantined for no in ('"MT2"', '"SR-2"')) and '"SR-1"' not in quarantined

    with read_session(city.engine) as s:
        kinds = {o.order_no: (o.kind, o.status) for o in s.exec(select(Order).where(Order.received_at == IN_WINDOW))}
        held = s.exec(select(Order).where(Order.order_no == "SR-1")).one()
        pays = {p.payment_ref: p.applied_at for p in s.exec(select(Payment))}
        tracks = list(s.exec(select(TrackingUpdate)))
    assert kinds == {"MT1": ("customer", "assigned"), "SR-1": ("replenishment", "on_hold")}
    assert held.channel == "other" and held.payment_method == "cod" and held.appointment_at is not None
    assert pays == {"PAY9": None, "PAY1": IN_WINDOW}  # PAY9's order has not come yet: kept, waiting
    assert [(t.order_no, t.status, t.note) for t in tracks] == [("MT1", "picked_up", "骑手已取货")]
    alerts = _alerts(city)
    assert alerts[("quantity_surge", "SR-1")] == "open"  # tenfold: held
    assert alerts[("payment_mismatch", "MT1")] == "open"  # 9.00 paid for 7.00

    # The same file again: nothing new — no second order, no second payment.
    again = ingest(city, [path], lang="en").files[0]
    assert (again.new, again.duplicate, again.notices, again.notices_duplicate) == (0, 2, 0, 3)

    # The order of the waiting payment arrives: the payment is applied to it (7.00 paid for 3.50).
    later = ingest(city, [_write(tmp_path / "later.jsonl", [_customer("MT9", qty=1)])], lang="en").files[0]
    assert later.new == 1
    with read_session(city.engine) as s:
        assert s.exec(select(Payment.applied_at).where(Payment.payment_ref == "PAY9")).one() == IN_WINDOW
    assert _alerts(city)[("payment_mismatch", "MT9")] == "open"


def test_a_csv_row_of_a_payment_is_not_a_line_of_its_order(city: AppContext, clock: ManualClock,
                                                         tmp_path: Path) -> None:
    clock.set(IN_WINDOW)
    header = "类型,渠道,订单号,客户姓名,联系电话,收货地址,支付方式,商品编码,商品名称,数量,单价,支付流水号,金额,状态,时间"
    rows = [
        "customer,美团,MT5,赵女士,13812341234,阳光小区3栋,在线支付,P001,上海青,2,3.50,,,,",
        ",,,,,,,P001,上海青,1,3.50,,,,",  # merged cells: the second line of MT5
        f"payment,美团,MT5,,,,,,,,,PAY5,10.50,已支付,{AT}",
    ]
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    report = ingest(city, [path], lang="en").files[0]
    assert (report.new, report.notices, report.rejected) == (1, 1, 0), report.problems
    with read_session(city.engine) as s:
        order = s.exec(select(Order).where(Order.order_no == "MT5")).one()
    assert order.amount == 1050
    assert ("payment_mismatch", "MT5") not in _alerts(city)  # 10.50 paid for 10.50


def test_one_order_at_a_time_meets_the_same_rules(city: AppContext, clock: ManualClock) -> None:
    """Phone entry and the simulator receive one order at a time (`receive_order`): the same seam."""
    from tests.factories import new_order

    new_order(city, "P1", evaluate=True)
    clock.advance(minutes=3)
    new_order(city, "P2", evaluate=True)  # the same phone and lines 3 minutes later
    assert _alerts(city) == {("duplicate_order", "P2"): "open"}


def test_closeout_counts_replenishment_apart_and_the_file_count_holds(city: AppContext, clock: ManualClock,
                                                                      tmp_path: Path) -> None:
    from datetime import date

    from ops_console.services.closeout import _intake_checks, report, report_span

    clock.set(IN_WINDOW)
    records = [_customer("MT1"),
               {"kind": "补货", "订单号": "SR-1", "门店编号": "S01", "placed_at": AT,
                "lines": [{"sku": "G001", "name": "矿泉水", "qty": 24, "unit_price": "2.00"}]}]
    assert ingest(city, [_write(tmp_path / "day.jsonl", records)]).files[0].new == 2
    figures = report(city, "daily", date(2026, 11, 24))
    assert figures["orders"]["received"] == 1  # customer orders only
    assert figures["replenishment"]["received"] == 1 and figures["replenishment"]["amount"] == "48.00"
    with read_session(city.engine) as s:
        assert _intake_checks(s, report_span(city, "daily", date(2026, 11, 24))) == []  # new 2 = 2 stored
