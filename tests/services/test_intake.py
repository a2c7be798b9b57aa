"""Intake into the database: counts, quarantine, idempotence, conflicts, review, the bulk path, watch."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import text

from ops_console.config import Settings
from ops_console.domain.intake import SourceRecord, Unit, drafts_from_json
from ops_console.services.bulk_receive import receive_orders
from ops_console.services.context import AppContext
from ops_console.services.intake import DONE_DIR, REJECTED_DIR, ingest, ingest_file
from ops_console.services.intake_files import load_batch
from ops_console.services.intake_watch import watch
from ops_console.services.receiving import receive_order
from ops_console.storage.db import write_session
from ops_console.storage.models import Order, OrderLine
from tests.factories import seed_city

DATA = Path(__file__).resolve().parent.parent / "data" / "intake"
FILES = ["orders_gb18030.csv", "orders_utf8bom.csv", "orders.json", "orders.jsonl"]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("intake_fixture_generator_db", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture
def shop(city: AppContext, tmp_path: Path) -> AppContext:
    """The test city, with its quarantine in the test's folder."""
    city.settings = city.settings.replace(intake={"quarantine_dir": str(tmp_path / "quarantine")})
    return city


def rows(ctx: AppContext, sql: str) -> list[dict[str, Any]]:
    with ctx.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql))]


def snapshot(ctx: AppContext) -> tuple[list[dict[str, Any]], ...]:
    return (rows(ctx, "SELECT * FROM orders ORDER BY id"), rows(ctx, "SELECT * FROM order_line ORDER BY id"),
            rows(ctx, "SELECT * FROM event WHERE subject_type = 'order' ORDER BY id"))  # fmt: skip


def copy_files(tmp_path: Path, names: list[str] = FILES) -> list[Path]:
    out = []
    for name in names:
        target = tmp_path / "in" / name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(DATA / name, target)
        out.append(target)
    return out


# --------------------------------------------------------------------------- the four files


def test_four_files_with_bad_rows_mixed_in(shop: AppContext, tmp_path: Path) -> None:
    summary = ingest(shop, copy_files(tmp_path), lang="en")
    per_file = {Path(f.path).name: f for f in summary.files}
    for name in FILES:
        expected = GEN.EXPECTED[name]
        report = per_file[name]
        drafts = expected["drafts"]
        assert report.received == len(drafts) + expected["rejected"], name
        assert report.new == len(set(drafts)), name
        assert report.duplicate == len(drafts) - len(set(drafts)), name
        assert report.rejected == expected["rejected"], name
        assert report.rejected_rows == len(expected["rejected_rows"]), name
        assert report.conflict == 0
        assert report.quarantine and Path(report.quarantine).is_file()
    assert summary.as_dict() == {
        **summary.as_dict(),
        "received": 28, "new": 12, "duplicate": 1, "conflict": 0, "rejected": 15, "rejected_rows": 17,
    }  # fmt: skip
    assert len(summary.quarantine) == 4 and not summary.ok
    stored = {r["order_no"]: r for r in rows(shop, "SELECT * FROM orders")}
    assert sorted(stored) == sorted({n for name in FILES for n in GEN.EXPECTED[name]["drafts"]})
    mt = stored["MT24001"]
    assert (mt["customer_name"], mt["remarks"], mt["amount"], mt["paid_amount"]) == ("吉𠮷", "=请放门口, 谢谢", 3100, 3100)
    assert stored["0070"]["phone"] == "0578-8477454转123" and stored["0070"]["urgent"] == 1
    assert stored["MT24001"]["source"] == "orders_gb18030.csv row 2-3"
    # every new order passed the automatic review and went on (the matcher may have assigned it)
    assert {r["status"] for r in stored.values()} <= {"unassigned", "assigned"}
    assert "orders_gb18030.csv row 14, field sku: order MT24008: SKU X999 is not in the catalogue (the line is kept)" \
        in summary.as_dict()["warnings"]  # fmt: skip
    intake_events = rows(shop, "SELECT * FROM event WHERE subject_type = 'intake' AND action = 'ingest'")
    assert len(intake_events) == 4


def test_second_ingest_changes_nothing(shop: AppContext, tmp_path: Path) -> None:
    files = copy_files(tmp_path)
    first = ingest(shop, files)
    before = snapshot(shop)
    second = ingest(shop, files)
    assert snapshot(shop) == before
    assert (second.total("new"), second.total("duplicate"), second.total("conflict")) == (0, 13, 0)
    assert second.total("rejected") == first.total("rejected")
    assert second.quarantine == first.quarantine  # the same rejects are not written twice


def test_line_values_come_from_the_catalogue_when_known(shop: AppContext, tmp_path: Path) -> None:
    ingest(shop, copy_files(tmp_path, ["orders_gb18030.csv"]))
    lines = {(r["order_no"], r["sku"]): r for r in rows(
        shop, "SELECT o.order_no, l.* FROM order_line l JOIN orders o ON o.id = l.order_id")}  # fmt: skip
    assert lines[("MT24001", "G001")]["step"] == 12  # the catalogue's order step
    assert lines[("MT24001", "G001")]["category"] == "default"
    assert lines[("MT24001", "P001")]["category"] == "produce"
    assert lines[("MT24008", "X999")]["category"] == "produce"  # unknown SKU: the file's category
    assert lines[("MT24008", "X999")]["step"] == 1
    assert [r["line_no"] for r in lines.values() if r["order_no"] == "MT24001"] == [1, 2]


# --------------------------------------------------------------------------- quarantine round trip


def test_fixed_csv_quarantine_is_taken_in_again(shop: AppContext, tmp_path: Path) -> None:
    report = ingest_file(shop, copy_files(tmp_path, ["orders_gb18030.csv"])[0], lang="en")
    assert report.quarantine
    raw = Path(report.quarantine).read_bytes()
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = table[0], table[1:]
    assert header == [*GEN.ZH_HEADER, "reason"]
    assert [r[-1].split(",")[0].split(":")[0] for r in body] == [f"orders_gb18030.csv row {n}"
                                                   for n in GEN.EXPECTED["orders_gb18030.csv"]["rejected_rows"]]  # fmt: skip
    assert "field 数量 (qty)" in body[1][-1]
    col = {h: i for i, h in enumerate(header)}
    fixes = {"数量": {"0": "12"}, "联系电话": {"12345": "13900009999"}, "订单号": {"2.02411E+15": "MT24005"},
             "收货地址": {"阳光小区2栋": "阳光小区1栋"}, "单价": {"'-1": "3.50"}}  # fmt: skip
    # A cell a spreadsheet would evaluate is written with a leading quote (CONTRACTS export rule).
    assert "'-1" in [r[col["单价"]] for r in body]
    for r in body:
        for name, change in fixes.items():
            r[col[name]] = change.get(r[col[name]], r[col[name]])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *body])
    fixed = tmp_path / "fixed.csv"
    fixed.write_bytes(out.getvalue().encode("utf-8-sig"))
    again = ingest_file(shop, fixed)
    assert (again.received, again.new, again.rejected, again.conflict) == (5, 5, 0, 0)
    assert again.ok and again.quarantine is None
    stored = {r["order_no"] for r in rows(shop, "SELECT order_no FROM orders")}
    assert {"MT24003", "JD24004", "MT24005", "MT24006", "MT24009"} <= stored
    assert ingest_file(shop, fixed).duplicate == 5


def test_fixed_jsonl_quarantine_is_taken_in_again(shop: AppContext, tmp_path: Path) -> None:
    report = ingest_file(shop, copy_files(tmp_path, ["orders.jsonl"])[0])
    assert report.quarantine
    records = [json.loads(x) for x in Path(report.quarantine).read_text(encoding="utf-8").splitlines()]
    assert records[0]["_raw"] == GEN.JSONL_LINES[2] and records[0]["_reason"]
    records[0]["_raw"] = json.dumps(GEN._order("L3", GEN._line("P001", "上海青", 1, 3.5)), ensure_ascii=False)
    records[1]["lines"][0]["unit_price"] = "3.50"
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records[:2]) + "\n", encoding="utf-8")
    again = ingest_file(shop, fixed)
    assert (again.new, again.rejected) == (2, 0) and again.ok


# --------------------------------------------------------------------------- conflicts


def test_same_key_different_content_is_a_conflict_not_an_overwrite(shop: AppContext, tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(GEN.JSONL_LINES[0] + "\n", encoding="utf-8")
    assert ingest_file(shop, src).new == 1
    before = snapshot(shop)
    changed = json.loads(GEN.JSONL_LINES[0])
    changed["address"] = "阳光小区9栋"
    src2 = tmp_path / "b.jsonl"
    src2.write_text(json.dumps(changed, ensure_ascii=False) + "\n", encoding="utf-8")
    report = ingest_file(shop, src2, lang="en")
    assert (report.new, report.conflict, report.duplicate) == (0, 1, 0) and not report.ok
    assert report.conflicts == ["b.jsonl line 1, field order_no: order meituan:L1 is already stored with different "
                                "content: not overwritten (check it; cancel and re-enter if needed)"]  # fmt: skip
    assert snapshot(shop) == before
    noted = rows(shop, "SELECT * FROM event WHERE action = 'intake_conflict'")
    assert len(noted) == 1 and noted[0]["order_id"] == before[0][0]["id"]


def test_conflict_inside_one_file_keeps_the_first(shop: AppContext, tmp_path: Path) -> None:
    first = json.loads(GEN.JSONL_LINES[0])
    second = {**first, "customer_name": "别人"}
    src = tmp_path / "c.jsonl"
    src.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in (first, first, second)) + "\n", encoding="utf-8")
    report = ingest_file(shop, src, lang="en")
    assert (report.received, report.new, report.duplicate, report.conflict) == (3, 1, 1, 1)
    assert report.conflicts[0].startswith("c.jsonl line 3, field order_no: order L1 came earlier in this file (c.jsonl line 1)")
    assert rows(shop, "SELECT customer_name FROM orders") == [{"customer_name": "林黛玉"}]


# --------------------------------------------------------------------------- automatic review


def test_automatic_review(shop: AppContext, tmp_path: Path) -> None:
    orders = [
        GEN._order("R1", GEN._line("P001", "上海青", 2, "3.50")),  # passes
        GEN._order("R2", GEN._line("F001", "速冻水饺", 5, "15.90")),  # stock 3
        GEN._order("R3", GEN._line("P001", "上海青", 2, "9.99")),  # catalogue says 3.50
        GEN._order("R4", GEN._line("P001", "上海青", 2, "3.50"), payment_status="待支付"),  # online, unpaid
        GEN._order("R5", GEN._line("P001", "上海青", 2, "3.50"), payment_method="货到付款"),  # COD: paid at the door
    ]
    src = tmp_path / "r.json"
    src.write_text(json.dumps(orders, ensure_ascii=False), encoding="utf-8")
    report = ingest_file(shop, src)
    assert report.new == 5 and report.ok
    got = {r["order_no"]: (r["status"], r["review_reason"]) for r in rows(shop, "SELECT * FROM orders")}
    assert got["R1"][0] in ("unassigned", "assigned") and got["R5"][0] in ("unassigned", "assigned")
    assert got["R2"] == ("manual_review", "stock")
    assert got["R3"] == ("manual_review", "price")
    assert got["R4"] == ("manual_review", "payment")
    assert report.statuses["manual_review"] == 3
    fail = rows(shop, "SELECT e.* FROM event e JOIN orders o ON o.id = e.order_id "
                      "WHERE o.order_no = 'R2' AND e.action = 'review_fail'")  # fmt: skip
    assert json.loads(fail[0]["detail"])["reason"] == "stock"


# --------------------------------------------------------------------------- one path: bulk == single


def _order_and_lines(draft: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from ops_console.services.intake_rows import order_values

    return order_values(draft), [
        {"sku": li.sku, "name": li.name, "spec": li.spec, "category": (li.category or "default"), "qty": li.qty,
         "unit": li.unit, "unit_price": li.unit_price, "step": 1, "weight_g": li.weight_g}
        for li in draft.lines
    ]  # fmt: skip


def _normalized(ctx: AppContext) -> tuple[list[dict[str, Any]], ...]:
    orders, lines, events = snapshot(ctx)
    for e in events:
        e["detail"] = json.loads(e["detail"])
    return orders, lines, events


@pytest.mark.parametrize("match_address", [True, False])
def test_bulk_receive_writes_exactly_what_receive_order_writes(tmp_path: Path, clock: Any, match_address: bool) -> None:
    drafts = []
    for name in FILES:
        drafts += load_batch(DATA / name, Settings().tz)[1].drafts
    failing = [  # stock, price, payment
        GEN._order("R2", GEN._line("F001", "速冻水饺", 5, "15.90")),
        GEN._order("R3", GEN._line("P001", "上海青", 2, "9.99")),
        GEN._order("R4", GEN._line("P001", "上海青", 2, "3.50"), payment_status="待支付"),
    ]
    drafts += drafts_from_json("r.json", [SourceRecord(i, o) for i, o in enumerate(failing)], Settings().tz,
                               Unit.INDEX).drafts  # fmt: skip
    unique = {d.key: d for d in drafts}
    contexts = []
    for name in ("single", "bulk"):
        ctx = AppContext.open(Settings(), clock, url=f"sqlite:///{tmp_path / name}.db")
        seed_city(ctx)
        contexts.append(ctx)
    single, bulk = contexts
    for draft in unique.values():
        values, lines = _order_and_lines(draft)
        with write_session(single.engine) as s:
            receive_order(s, single, Order(status="received", **values), [OrderLine(order_id=0, **li) for li in lines],
                          match_address=match_address, evaluate=False)  # fmt: skip
    # The anomaly rules (the same seam on both paths) interleave their events differently: off here.
    with write_session(bulk.engine) as s:
        pairs = [_order_and_lines(d) for d in unique.values()]
        receive_orders(s, bulk, [p[0] for p in pairs], [p[1] for p in pairs], match_address=match_address,
                       evaluate=False)
    assert _normalized(bulk) == _normalized(single)
    statuses = {r["status"] for r in _normalized(bulk)[0]}
    assert ("assigned" in statuses) is match_address and "manual_review" in statuses
    for ctx in contexts:
        ctx.close()


# --------------------------------------------------------------------------- files that cannot be read


def test_unreadable_file_is_kept_and_reported(shop: AppContext, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x80\x80\xff\xfe\xff")
    summary = ingest(shop, [bad, tmp_path / "missing.csv"], lang="en")
    assert not summary.ok
    assert [f.error for f in summary.files] == [
        f"{bad}: unknown text encoding (UTF-8, UTF-8 with BOM and GB18030/GBK are read): near byte 0",
        f"{tmp_path / 'missing.csv'}: file not found"]  # fmt: skip
    assert summary.files[0].quarantine and Path(summary.files[0].quarantine).read_bytes() == bad.read_bytes()
    assert summary.as_dict()["errors"] == [f.error for f in summary.files]


# --------------------------------------------------------------------------- concurrency


def test_two_ingests_of_the_same_file_at_once_store_each_order_once(shop: AppContext, tmp_path: Path) -> None:
    src = tmp_path / "many.jsonl"
    src.write_text("\n".join(json.dumps(GEN._order(f"C{i}", GEN._line("P001", "上海青", 1, 3.5)), ensure_ascii=False)
                             for i in range(200)) + "\n", encoding="utf-8")  # fmt: skip
    reports: list[Any] = []

    def run() -> None:
        reports.append(ingest_file(shop, src))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted((r.new, r.duplicate) for r in reports) == [(0, 200), (200, 0)]
    assert rows(shop, "SELECT count(*) AS n FROM orders") == [{"n": 200}]


# --------------------------------------------------------------------------- watch


def test_watch_once_moves_files_to_done_or_rejected(shop: AppContext, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = inbox / "good.jsonl"
    good.write_text(GEN.JSONL_LINES[0] + "\n", encoding="utf-8")
    shutil.copy(DATA / "orders.json", inbox / "mixed.json")
    (inbox / "notes.md").write_text("not an order file")
    seen: list[tuple[str, Path]] = []
    reports = watch(shop, inbox, once=True, on_report=lambda r, moved: seen.append((Path(r.path).name, moved)))
    assert [Path(r.path).name for r in reports] == ["good.jsonl", "mixed.json"]
    assert (inbox / DONE_DIR / "good.jsonl").is_file() and (inbox / REJECTED_DIR / "mixed.json").is_file()
    assert not good.exists() and (inbox / "notes.md").exists()
    assert seen == [("good.jsonl", inbox / DONE_DIR / "good.jsonl"), ("mixed.json", inbox / REJECTED_DIR / "mixed.json")]
    # the same name again later does not overwrite the earlier copy
    good.write_text(GEN.JSONL_LINES[0] + "\n", encoding="utf-8")
    again = watch(shop, inbox, once=True)
    assert again[0].duplicate == 1 and (inbox / DONE_DIR / "good-1.jsonl").is_file()


def test_watch_takes_a_file_only_once_it_stopped_growing(shop: AppContext, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    src = inbox / "late.jsonl"
    src.write_text(GEN.JSONL_LINES[0] + "\n", encoding="utf-8")
    rounds = iter(range(10))
    reports = watch(shop, inbox, poll_seconds=0, should_stop=lambda: next(rounds) >= 2)
    assert len(reports) == 1 and reports[0].new == 1  # first look: noted; second look: unchanged, taken
    assert (inbox / DONE_DIR / "late.jsonl").is_file()


def test_garbage_collection_is_paused_only_while_a_file_is_taken_in(shop: AppContext, tmp_path: Path) -> None:
    import gc

    from ops_console.services import intake as intake_service

    src = tmp_path / "a.jsonl"
    src.write_text(GEN.JSONL_LINES[0] + "\n", encoding="utf-8")
    seen: list[bool] = []
    real = intake_service.receive_orders

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    assert gc.isenabled()
    intake_service.receive_orders = spy  # type: ignore[assignment]
    try:
        ingest_file(shop, src)
        assert seen == [False] and gc.isenabled()
        gc.disable()
        ingest_file(shop, tmp_path / "missing.jsonl")
        assert not gc.isenabled()  # left as it was found
    finally:
        intake_service.receive_orders = real  # type: ignore[assignment]
        gc.enable()
