"""Intake rules without files or a database: headers, values, grouping, all-or-nothing, fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ops_console.domain.intake import (
    FieldError,
    IntakeBatch,
    SourceRecord,
    Unit,
    category_of,
    drafts_from_csv,
    drafts_from_json,
    field_for_header,
    line_category,
    map_columns,
    parse_amount,
    parse_bool,
    parse_channel,
    parse_datetime,
    parse_order_no,
    parse_payment_method,
    parse_payment_status,
    parse_qty,
    parse_remarks,
    unknown_sku_warnings,
)
from ops_console.domain.types import Category, Channel, PaymentMethod, PaymentStatus

SH = ZoneInfo("Asia/Shanghai")

HEADER = ["channel", "order_no", "placed_at", "customer_name", "phone", "address", "payment_method",
          "sku", "name", "qty", "unit_price"]  # fmt: skip


def row(no: str = "MT1", sku: str = "P001", qty: str = "2", price: str = "3.50", channel: str = "meituan",
        **over: str) -> list[str]:  # fmt: skip
    base = {"channel": channel, "order_no": no, "placed_at": "2026-11-24 09:05:00", "customer_name": "赵敏",
            "phone": "13812341234", "address": "阳光小区3栋", "payment_method": "online", "sku": sku,
            "name": "上海青", "qty": qty, "unit_price": price}  # fmt: skip
    base.update(over)
    return [base[h] for h in HEADER]


def csv_batch(rows: list[list[str]], header: list[str] = HEADER) -> IntakeBatch:
    return drafts_from_csv("t.csv", header, [(i + 2, r) for i, r in enumerate(rows)], SH)


def keys(batch: IntakeBatch) -> list[str]:
    return [p.key for r in batch.rejected for p in r.problems]


def order_obj(no: str = "J1", **over: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"channel": "jd", "order_no": no, "placed_at": "2026-11-24T09:05:00+08:00",
                           "customer_name": "贾宝玉", "phone": "13800005678", "address": "河畔花园7号楼",
                           "payment_method": "online",
                           "lines": [{"sku": "P001", "name": "上海青", "qty": 2, "unit_price": "3.50"}]}  # fmt: skip
    obj.update(over)
    return obj


def json_batch(*objs: Any) -> IntakeBatch:
    return drafts_from_json("t.jsonl", [SourceRecord(i + 1, o) for i, o in enumerate(objs)], SH, Unit.LINE)


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("渠道", "channel"), ("平台", "channel"), ("订单号", "order_no"), ("订单编号", "order_no"),
        ("order_id", "order_no"), ("Order No", "order_no"), ("ORDER-NO", "order_no"), ("*订单号", "order_no"),
        ("﻿渠道", "channel"), ("下单时间", "placed_at"), ("收货人", "customer_name"), ("客户姓名", "customer_name"),
        ("手机号", "phone"), ("联系电话", "phone"), ("地址", "address"), ("收货地址", "address"),
        ("支付方式", "payment_method"), ("实付金额", "paid_amount"), ("支付状态", "payment_status"),
        ("加急", "urgent"), ("定制", "custom"), ("预约时间", "appointment_at"), ("备注", "remarks"),
        ("门店编号", "store_id"), ("商品编码", "sku"), ("商品名称", "name"), ("规格", "spec"), ("品类", "category"),
        ("数量", "qty"), ("单位", "unit"), ("单价", "unit_price"), ("重量(g)", "weight_g"), ("重量（g）", "weight_g"),
        ("重量", "weight_g"), ("类型", "kind"), ("lines", "lines"), (" unit_price ", "unit_price"),
    ],
)  # fmt: skip
def test_header_aliases(header: str, field: str) -> None:
    assert field_for_header(header) == field


def test_unknown_columns_named_once_and_reason_column_ignored() -> None:
    fields, columns, warnings = map_columns(["订单号", "平台备注", "foo", "reason", "订单编号"])
    assert fields == ["order_no", None, None, None, None]
    assert columns == {"order_no": "订单号"}
    assert [w.key for w in warnings] == ["intake.column.unknown", "intake.column.duplicate"]
    assert warnings[0].params["columns"] == "平台备注, foo"


# --------------------------------------------------------------------------- values


def test_order_no_is_text() -> None:
    assert parse_order_no("007") == "007"
    assert parse_order_no(' ="0070" ') == "0070"
    assert parse_order_no(42) == "42"
    for bad, key in (("2.02411E+15", "intake.order_no.scientific"), ("1e5", "intake.order_no.scientific"),
                     (2.02411e15, "intake.order_no.number"), ("MT 1", "intake.order_no.invalid")):  # fmt: skip
        with pytest.raises(FieldError) as exc:
            parse_order_no(bad)
        assert exc.value.key == key


@pytest.mark.parametrize(
    ("text", "channel"),
    [("美团", Channel.MEITUAN), ("饿了么", Channel.ELEME), ("京东", Channel.JD), ("电话", Channel.PHONE),
     ("传真", Channel.FAX), ("邮件", Channel.EMAIL), ("小程序/APP", Channel.APP), ("APP", Channel.APP),
     ("Meituan", Channel.MEITUAN), ("other", Channel.OTHER)],
)  # fmt: skip
def test_channels(text: str, channel: Channel) -> None:
    assert parse_channel(text) is channel


def test_unknown_channel() -> None:
    with pytest.raises(FieldError) as exc:
        parse_channel("拼多多")
    assert exc.value.key == "intake.channel.unknown"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T09:05:00+08:00", datetime(2026, 11, 24, 1, 5, tzinfo=UTC)),
        ("2026-11-24T01:05:00Z", datetime(2026, 11, 24, 1, 5, tzinfo=UTC)),
        ("2026-11-24 09:05:00", datetime(2026, 11, 24, 1, 5, tzinfo=UTC)),  # configured zone
        ("2026/11/24 9:05", datetime(2026, 11, 24, 1, 5, tzinfo=UTC)),
        ("2026-11-24 09:05", datetime(2026, 11, 24, 1, 5, tzinfo=UTC)),
        ("2026年11月24日 9:05", datetime(2026, 11, 24, 1, 5, tzinfo=UTC)),
        ("2026-11-24 09:05:00.5+0000", datetime(2026, 11, 24, 9, 5, 0, 500000, tzinfo=UTC)),
        ("2026-11-24T09:05:00-05:00", datetime(2026, 11, 24, 14, 5, tzinfo=UTC)),
    ],
)
def test_datetimes(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text, SH)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_datetime_uses_the_given_zone() -> None:
    assert parse_datetime("2026-11-24 09:05", ZoneInfo("UTC")) == datetime(2026, 11, 24, 9, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "key"),
    [("2026-11-24", "intake.datetime.no_time"), ("2026-13-01 09:00", "intake.datetime.invalid"),
     ("yesterday", "intake.datetime.invalid"), ("2026-11-24 25:00", "intake.datetime.invalid")],
)  # fmt: skip
def test_bad_datetimes(text: str, key: str) -> None:
    with pytest.raises(FieldError) as exc:
        parse_datetime(text, SH)
    assert exc.value.key == key


def test_bools_amounts_enums_categories() -> None:
    assert [parse_bool(v) for v in ("是", "否", "true", "FALSE", "1", "0", True, 0)] == [True, False, True, False,
                                                                                       True, False, True, False]  # fmt: skip
    with pytest.raises(FieldError):
        parse_bool("maybe")
    assert parse_amount("3.50") == 350
    assert [parse_amount(v) for v in ("3.5", "3", "12.", ".5", "0.05", "１２.５", " 7.00 ")] == [350, 300, 1200, 50, 5, 1250, 700]
    assert parse_amount(3.5) == 350
    assert parse_amount("¥1,234.00") == 123400
    assert parse_amount(0) == 0
    for bad, key in (("-1", "intake.amount.negative"), ("3.505", "intake.amount.invalid"), ("abc", "intake.amount.invalid"),
                     ("1e12", "intake.amount.too_large")):  # fmt: skip
        with pytest.raises(FieldError) as exc:
            parse_amount(bad)
        assert exc.value.key == key
    assert parse_payment_method("货到付款") is PaymentMethod.COD
    assert parse_payment_method("在线支付") is PaymentMethod.ONLINE
    assert parse_payment_method("Installment") is PaymentMethod.INSTALLMENT
    assert parse_payment_status("支付失败") is PaymentStatus.FAILED
    assert parse_payment_status("待支付") is PaymentStatus.PENDING
    assert [category_of(v) for v in ("蔬果", "生鲜", "produce", "冷藏", "chilled", "冷冻", "FROZEN", "日用品", None)] == [
        Category.PRODUCE, Category.PRODUCE, Category.PRODUCE, Category.CHILLED, Category.CHILLED,
        Category.FROZEN, Category.FROZEN, Category.DEFAULT, Category.DEFAULT]  # fmt: skip


def test_quantities_are_whole_units() -> None:
    assert parse_qty("2") == 2
    assert parse_qty("2.0") == 2
    assert parse_qty(3) == 3
    assert parse_qty(4.0) == 4
    for bad, key in (("0", "intake.qty.not_positive"), ("-1", "intake.qty.not_positive"), ("1.5", "intake.qty.not_whole"),
                     ("x", "intake.qty.invalid"), (True, "intake.qty.invalid"), ("1e9", "intake.qty.too_large")):  # fmt: skip
        with pytest.raises(FieldError) as exc:
            parse_qty(bad)
        assert exc.value.key == key


def test_remarks_are_verbatim() -> None:
    assert parse_remarks("=SUM(A1:A3)") == "=SUM(A1:A3)"
    assert parse_remarks("  两袋分装  ") == "  两袋分装  "
    assert parse_remarks(None) == ""


# --------------------------------------------------------------------------- CSV grouping


def test_rows_with_the_same_key_make_one_order() -> None:
    batch = csv_batch([row("MT1", "P001"), row("MT2"), row("MT1", "G001", qty="12", price="2.00")])
    assert [d.order_no for d in batch.drafts] == ["MT1", "MT2"]
    mt1 = batch.drafts[0]
    assert mt1.positions == (2, 4)
    assert [(ln.sku, ln.qty, ln.unit_price, ln.line_no, ln.position) for ln in mt1.lines] == [
        ("P001", 2, 350, 1, 2), ("G001", 12, 200, 2, 4)]  # fmt: skip
    assert mt1.amount == 2 * 350 + 12 * 200
    assert mt1.placed_at == datetime(2026, 11, 24, 1, 5, tzinfo=UTC)
    assert mt1.payment_status is PaymentStatus.PAID and mt1.paid_amount == mt1.amount
    assert mt1.where() == "t.csv row 2,4"
    assert not batch.rejected


def test_same_number_on_two_channels_is_two_orders() -> None:
    batch = csv_batch([row("1", channel="meituan"), row("1", channel="eleme")])
    assert [d.key for d in batch.drafts] == [("meituan", "1"), ("eleme", "1")]


def test_one_bad_row_sets_the_whole_order_aside() -> None:
    batch = csv_batch([row("MT1"), row("MT1", qty="0"), row("MT2")])
    assert [d.order_no for d in batch.drafts] == ["MT2"]
    (rej,) = batch.rejected
    assert rej.positions == (2, 3) and rej.key == ("meituan", "MT1")
    by_pos = batch.problems_by_position()
    assert [p.key for p in by_pos[3]] == ["intake.qty.not_positive"]
    assert by_pos[3][0].field == "qty" and by_pos[3][0].column == "qty"
    assert [p.key for p in by_pos[2]] == ["intake.order.set_aside"]
    assert by_pos[2][0].params["rows"] == "3"
    assert batch.rejected_positions == [2, 3]


def test_order_fields_must_agree_between_rows() -> None:
    batch = csv_batch([row("MT1", address="阳光小区1栋"), row("MT1", address="阳光小区2栋")])
    assert not batch.drafts
    problems = batch.rejected[0].problems
    assert {(p.key, p.position, p.field) for p in problems} == {
        ("intake.order.inconsistent", 2, "address"), ("intake.order.inconsistent", 3, "address")}  # fmt: skip
    assert problems[0].params["rows"] == "2-3"


def test_equal_values_written_differently_agree() -> None:
    batch = csv_batch([row("MT1", placed_at="2026/11/24 9:05"), row("MT1", placed_at="2026-11-24T09:05:00+08:00")])
    assert [d.order_no for d in batch.drafts] == ["MT1"]


def test_merged_cells_rows_continue_the_order_above() -> None:
    blank = {h: "" for h in HEADER if h not in ("sku", "name", "qty", "unit_price")}
    batch = csv_batch([row("MT1"), row("MT1", sku="G001", **blank), row("MT2")])
    assert [(d.order_no, len(d.lines)) for d in batch.drafts] == [("MT1", 2), ("MT2", 1)]
    # a later row that says its order number but not its channel also continues the order above
    batch = csv_batch([row("MT1"), row("MT1", sku="G001", **{**blank, "order_no": "MT1"})])
    assert [(d.order_no, len(d.lines)) for d in batch.drafts] == [("MT1", 2)]


def test_row_with_unreadable_channel_sinks_its_order() -> None:
    batch = csv_batch([row("MT1"), row("MT1", channel="美图"), row("MT2")])
    assert [d.order_no for d in batch.drafts] == ["MT2"]
    assert sorted(batch.rejected_positions) == [2, 3]
    assert "intake.order.unclear_row" in keys(batch)
    assert "intake.channel.unknown" in keys(batch)


def test_required_fields() -> None:
    header = [h for h in HEADER if h not in ("address", "sku")]
    cells = [c for h, c in zip(HEADER, row("MT1"), strict=True) if h not in ("address", "sku")]
    batch = csv_batch([cells], header=header)
    assert {(p.key, p.field) for p in batch.rejected[0].problems} == {
        ("intake.required", "address"), ("intake.required", "sku")}  # fmt: skip


def test_shifted_row_reports_the_width_only() -> None:
    batch = csv_batch([[*row("MT1")[:5], "阳光小区", "3栋", *row("MT1")[6:]], row("MT2")])
    assert [d.order_no for d in batch.drafts] == ["MT2"]
    assert keys(batch) == ["intake.row.width"]
    assert batch.rejected[0].problems[0].params == {"found": len(HEADER) + 1, "expected": len(HEADER)}


def test_blank_rows_are_skipped_and_every_problem_is_reported() -> None:
    batch = csv_batch([[""] * len(HEADER), row("MT1", phone="12345", qty="1.5", payment_method="比特币")])
    assert sorted(keys(batch)) == ["intake.payment_method.unknown", "intake.phone.invalid", "intake.qty.not_whole"]
    assert batch.rejected_positions == [3]


def test_appointment_before_placed_and_replenishment_without_store() -> None:
    batch = csv_batch([row("MT1", placed_at="2026-11-24 09:00")],
                      header=HEADER)  # fmt: skip
    assert batch.drafts
    header = [*HEADER, "预约时间", "类型"]
    batch = csv_batch([[*row("MT1"), "2026-11-24 08:00", ""], [*row("MT2"), "", "补货"]], header=header)
    assert {(p.key, p.position) for r in batch.rejected for p in r.problems} == {
        ("intake.appointment.before_placed", 2), ("intake.required", 3)}  # fmt: skip
    assert [p.field for p in batch.rejected[1].problems] == ["store_id"]  # a store order names its store


def test_defaults_for_payment() -> None:
    header = [*HEADER, "paid_amount", "payment_status"]
    batch = csv_batch([[*row("A", payment_method="cod"), "", ""],
                       [*row("B", payment_method="installment"), "", ""],
                       [*row("C"), "", "待支付"],
                       [*row("D"), "6.00", ""]], header=header)  # fmt: skip
    got = {d.order_no: (d.payment_status, d.paid_amount) for d in batch.drafts}
    assert got == {"A": (PaymentStatus.PENDING, 0), "B": (PaymentStatus.PENDING, 0),
                   "C": (PaymentStatus.PENDING, 0), "D": (PaymentStatus.PAID, 600)}  # fmt: skip


def test_text_limits() -> None:
    batch = csv_batch([row("MT1", customer_name="名" * 101)])
    assert keys(batch) == ["intake.value.too_long"]


# --------------------------------------------------------------------------- JSON


def test_json_order_with_chinese_keys() -> None:
    obj = {"渠道": "京东", "订单编号": "J1", "收货人": "贾宝玉", "手机号": "13800005678", "地址": "河畔花园",
           "支付方式": "在线支付", "商品明细": [{"商品编码": "P001", "商品名称": "上海青", "数量": 2, "单价": 3.5}]}  # fmt: skip
    batch = json_batch(obj)
    (draft,) = batch.drafts
    assert draft.key == ("jd", "J1") and draft.placed_at is None and draft.lines[0].unit_price == 350


def test_json_problems_name_line_and_field() -> None:
    bad = order_obj("J2", lines=[{"sku": "P001", "name": "x", "qty": 1, "unit_price": 1},
                                 {"sku": "G001", "name": "y", "qty": -1, "unit_price": 1}])  # fmt: skip
    batch = json_batch(order_obj("J1"), bad, "hello", order_obj("J4", lines=[]), order_obj("J5", lines="x"))
    assert [d.order_no for d in batch.drafts] == ["J1"]
    problems = {(p.position, p.key, p.field, p.column) for r in batch.rejected for p in r.problems}
    assert problems == {
        (2, "intake.qty.not_positive", "lines[1].qty", "lines[1].qty"),
        (3, "intake.json.not_object", None, None),
        (4, "intake.lines.missing", "lines", "lines"),
        (5, "intake.lines.not_list", "lines", "lines"),
    }
    assert [r.key for r in batch.rejected] == [("jd", "J2"), None, ("jd", "J4"), ("jd", "J5")]


def test_json_unparseable_record_and_unknown_keys() -> None:
    records = [SourceRecord(1, None, raw='{"a":', error="Expecting value"),
               SourceRecord(2, order_obj("J1", extra=1, lines=[{"sku": "P001", "name": "x", "qty": 1, "unit_price": 1,
                                                                 "colour": "green"}]))]  # fmt: skip
    batch = drafts_from_json("t.jsonl", records, SH, Unit.LINE)
    assert [d.order_no for d in batch.drafts] == ["J1"]
    assert keys(batch) == ["intake.json.invalid"]
    (warning,) = batch.warnings
    assert warning.key == "intake.column.unknown" and warning.params["columns"] == "extra, lines[].colour"


def test_a_line_with_every_optional_field_but_no_sku_is_refused() -> None:
    line = {"name": "x", "qty": 1, "unit_price": 1, "spec": "a", "unit": "b", "category": "冷冻", "weight_g": 5}
    batch = json_batch(order_obj("J1", lines=[line]), order_obj("J2", customer_name="\u2003"))
    assert {(p.position, p.key, p.field) for r in batch.rejected for p in r.problems} == {
        (1, "intake.required", "lines[0].sku"), (2, "intake.required", "customer_name")}  # fmt: skip


def test_json_fields_on_the_wrong_level_are_ignored_with_a_warning() -> None:
    batch = json_batch(order_obj("J1", sku="P001", lines=[{"sku": "P001", "name": "x", "qty": 1, "unit_price": 1,
                                                            "channel": "jd"}]))  # fmt: skip
    assert [d.order_no for d in batch.drafts] == ["J1"]
    assert batch.warnings[0].params["columns"] == "sku, lines[].channel"


def test_json_values_of_the_wrong_type() -> None:
    batch = json_batch(order_obj("J1", customer_name=["a"], urgent="maybe", phone=True))
    assert sorted(keys(batch)) == ["intake.bool.invalid", "intake.phone.invalid", "intake.value.not_text"]


def test_json_remarks_verbatim_and_booleans() -> None:
    batch = json_batch(order_obj("J1", remarks="=1+1 ", urgent=True, custom=1))
    (draft,) = batch.drafts
    assert (draft.remarks, draft.urgent, draft.custom) == ("=1+1 ", True, True)


# --------------------------------------------------------------------------- fingerprints


def test_fingerprint_is_stable_across_formats_and_line_order() -> None:
    csv_draft = csv_batch([row("MT1", "P001"), row("MT1", "G001", qty="12", price="2.00")]).drafts[0]
    obj = order_obj("MT1", channel="美团", placed_at="2026-11-24T01:05:00Z", customer_name="赵敏",
                    phone="+86 138 1234 1234", address="阳光小区3栋",
                    lines=[{"sku": "G001", "name": "上海青", "qty": 12, "unit_price": 2},
                           {"sku": "P001", "name": "上海青", "qty": "2", "unit_price": "3.5"}])  # fmt: skip
    json_draft = json_batch(obj).drafts[0]
    assert len(csv_draft.fingerprint) == 64
    assert csv_draft.fingerprint == json_draft.fingerprint


def test_fingerprint_is_pinned() -> None:
    """Stored orders keep their fingerprints: a change of the recipe must be deliberate (and migrated)."""
    draft = csv_batch([row("MT1", "P001"), row("MT1", "G001", qty="12", price="2.00")]).drafts[0]
    assert draft.fingerprint == "cd2bd6505b96e900c05a739869878773f37eb75f2ddada384a92ec4074888a3f"


@pytest.mark.parametrize(
    "change",
    [{"address": "阳光小区4栋"}, {"qty": "3"}, {"phone": "13812341235"}, {"placed_at": "2026-11-24 09:06"},
     {"payment_method": "cod"}],
)  # fmt: skip
def test_fingerprint_changes_with_content(change: dict[str, str]) -> None:
    a = csv_batch([row("MT1")]).drafts[0]
    b = csv_batch([row("MT1", **change)]).drafts[0]
    assert a.fingerprint != b.fingerprint


# --------------------------------------------------------------------------- catalogue helpers


def test_unknown_skus_and_categories() -> None:
    draft = json_batch(order_obj("J1", lines=[{"sku": "P001", "name": "a", "qty": 1, "unit_price": 1, "category": "冷冻"},
                                              {"sku": "X9", "name": "b", "qty": 1, "unit_price": 1, "category": "冷藏"},
                                              {"sku": "X8", "name": "c", "qty": 1, "unit_price": 1}])).drafts[0]  # fmt: skip
    catalogue = {"P001": Category.PRODUCE}
    assert [line_category(ln, catalogue) for ln in draft.lines] == [Category.PRODUCE, Category.CHILLED, Category.DEFAULT]
    warnings = unknown_sku_warnings(draft, catalogue)
    assert [(w.key, w.field, w.params["sku"]) for w in warnings] == [
        ("intake.sku.unknown", "lines[1].sku", "X9"), ("intake.sku.unknown", "lines[2].sku", "X8")]  # fmt: skip
