"""Reading intake files (encodings, formats, positions) and writing quarantine files."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

from ops_console.services.intake_files import (
    IntakeFileError,
    decode,
    describe,
    describe_all,
    load_batch,
    neutralise,
    quarantine_path,
    read_intake_file,
    write_quarantine,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "intake"
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("intake_fixture_generator", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def test_committed_fixtures_match_the_generator() -> None:
    for name, data in GEN.build().items():
        assert (DATA / name).read_bytes() == data, f"run python tests/data/intake/generate.py ({name})"


@pytest.mark.parametrize(
    ("name", "encoding", "fmt"),
    [("orders_gb18030.csv", "gb18030", "csv"), ("orders_utf8bom.csv", "utf-8-sig", "csv"),
     ("orders.json", "utf-8", "json"), ("orders.jsonl", "utf-8", "jsonl")],
)  # fmt: skip
def test_fixture_files(name: str, encoding: str, fmt: str) -> None:
    file, batch = load_batch(DATA / name, SH)
    expected = GEN.EXPECTED[name]
    assert (file.encoding, file.fmt) == (encoding, fmt)
    assert [d.order_no for d in batch.drafts] == expected["drafts"]
    assert len(batch.rejected) == expected["rejected"]
    assert batch.rejected_positions == expected["rejected_rows"]
    for line in describe_all(batch, "en"):
        assert line.startswith(name + " ")


def test_gb18030_beyond_gbk_and_verbatim_remarks() -> None:
    _, batch = load_batch(DATA / "orders_gb18030.csv", SH)
    first = batch.drafts[0]
    assert first.customer_name == "吉𠮷"  # a four-byte GB18030 character
    assert first.remarks == "=请放门口, 谢谢"
    assert batch.drafts[1].order_no == "0070"
    assert [w.params for w in batch.warnings] == [{"columns": "平台备注"}]


def test_messages_name_file_row_and_field() -> None:
    _, batch = load_batch(DATA / "orders_gb18030.csv", SH)
    lines = describe_all(batch, "en")
    assert "orders_gb18030.csv row 6, field 数量 (qty): quantity must be greater than 0" in lines[1]
    assert any(line.startswith("orders_gb18030.csv row 9, field 订单号 (order_no): order number 2.02411E+15 is in "
                               "scientific notation") for line in lines)  # fmt: skip
    zh = describe_all(batch, "zh_CN")
    assert zh[1].startswith("orders_gb18030.csv 第 6 行，字段 数量 (qty)：数量必须大于 0")
    _, batch = load_batch(DATA / "orders.jsonl", SH)
    assert describe_all(batch, "en")[1] == (
        "orders.jsonl line 5, field lines[0].unit_price: not an amount in yuan with at most two decimals: “abc”")
    _, batch = load_batch(DATA / "orders.json", SH)
    assert describe_all(batch, "en")[0] == (
        "orders.json index 2, field lines[1].qty: quantity must be greater than 0, got “-1”")


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel shows the Chinese
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def test_csv_quarantine_keeps_original_columns_plus_reason(tmp_path: Path) -> None:
    file, batch = load_batch(DATA / "orders_gb18030.csv", SH)
    path = write_quarantine(file, batch, tmp_path / "q", NOW, "en")
    assert path is not None and path.name == "orders_gb18030.20261124T020000.rejected.csv"
    header, rows = _read_csv(path)
    assert header == [*GEN.ZH_HEADER, "reason"]
    original = {i + 2: r for i, r in enumerate(GEN.GB_ROWS)}
    # Cells a spreadsheet would evaluate (here the price -1) carry a leading quote; the rest verbatim.
    assert [r[:-1] for r in rows] == [[neutralise(c) for c in original[p]]
                                      for p in GEN.EXPECTED["orders_gb18030.csv"]["rejected_rows"]]  # fmt: skip
    assert "'-1" in [c for r in rows for c in r]
    reasons = [r[-1] for r in rows]
    assert reasons[0] == "orders_gb18030.csv row 5: order MT24003 set aside because of row 6"
    assert reasons[1].startswith("orders_gb18030.csv row 6, field 数量 (qty): quantity must be greater than 0")
    assert reasons[3].startswith("orders_gb18030.csv row 9, field 订单号 (order_no)")
    assert all(r for r in reasons)


def test_fixed_csv_quarantine_can_be_ingested_again(tmp_path: Path) -> None:
    file, batch = load_batch(DATA / "orders_gb18030.csv", SH)
    path = write_quarantine(file, batch, tmp_path, NOW, "zh_CN")
    assert path is not None
    header, rows = _read_csv(path)
    col = {h: i for i, h in enumerate(header)}
    fixes = {"0": "12", "12345": "13900009999", "2.02411E+15": "MT24005", "阳光小区2栋": "阳光小区1栋", "'-1": "3.50"}
    for r in rows:
        for name in ("数量", "联系电话", "订单号", "收货地址", "单价"):
            r[col[name]] = fixes.get(r[col[name]], r[col[name]])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    fixed = tmp_path / "fixed.csv"
    fixed.write_bytes(out.getvalue().encode("utf-8-sig"))
    _, again = load_batch(fixed, SH)
    assert not again.rejected
    assert [d.order_no for d in again.drafts] == ["MT24003", "JD24004", "MT24005", "MT24006", "MT24009"]
    # the reason column is ours: no "unknown column" warning for it
    assert [w.params["columns"] for w in again.warnings] == ["平台备注"]


def test_jsonl_quarantine_keeps_unparseable_lines_verbatim(tmp_path: Path) -> None:
    file, batch = load_batch(DATA / "orders.jsonl", SH)
    path = write_quarantine(file, batch, tmp_path, NOW, "en")
    assert path is not None and path.suffix == ".jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 4
    assert records[0] == {"_raw": GEN.JSONL_LINES[2],
                          "_reason": "orders.jsonl line 3: not valid JSON: Unterminated string starting at (column 59)"}  # fmt: skip
    assert records[1]["order_no"] == "L5" and records[1]["_reason"].startswith("orders.jsonl line 5, field lines[0]")
    assert records[2] == {"_raw": "[1, 2]", "_reason": records[2]["_reason"]}
    assert records[3]["kind"] == "replenishment"


def test_fixed_jsonl_quarantine_can_be_ingested_again(tmp_path: Path) -> None:
    file, batch = load_batch(DATA / "orders.jsonl", SH)
    path = write_quarantine(file, batch, tmp_path, NOW)
    assert path is not None
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # fix the cut-off line inside its _raw text, the price, and drop the other two
    records[0]["_raw"] = json.dumps(GEN._order("L3", GEN._line("P001", "上海青", 1, 3.5)), ensure_ascii=False)
    records[1]["lines"][0]["unit_price"] = "3.50"
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records[:2]) + "\n", encoding="utf-8")
    _, again = load_batch(fixed, SH)
    assert [d.order_no for d in again.drafts] == ["L3", "L5"]
    assert not again.rejected and not again.warnings


def test_json_quarantine(tmp_path: Path) -> None:
    file, batch = load_batch(DATA / "orders.json", SH)
    path = write_quarantine(file, batch, tmp_path, NOW)
    assert path is not None
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r.get("order_no") for r in records] == ["J5003", None, 2.02411e15]
    assert records[1]["_raw"] == '"hello"'
    assert all(r["_reason"] for r in records)


def test_nothing_rejected_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "ok.jsonl"
    src.write_text(GEN.JSONL_LINES[0] + "\n", encoding="utf-8")
    file, batch = load_batch(src, SH)
    assert write_quarantine(file, batch, tmp_path / "q", NOW) is None
    assert not (tmp_path / "q").exists()


def test_quarantine_names_never_clash(tmp_path: Path) -> None:
    first = quarantine_path(tmp_path, "a/orders.csv", NOW, ".csv")
    first.write_text("x")
    second = quarantine_path(tmp_path, "orders.csv", NOW, ".csv")
    assert second.name == "orders.20261124T020000-1.rejected.csv"
    second.write_text("x")
    # a quarantine file ingested again does not pile up stamps
    third = quarantine_path(tmp_path, second, NOW, ".csv")
    assert third.name == "orders.20261124T020000-2.rejected.csv"


# --------------------------------------------------------------------------- encodings and formats


def test_decode_order() -> None:
    text = "渠道,订单号\n美团,MT1\n"
    assert decode(text.encode("utf-8")) == (text, "utf-8")
    assert decode(text.encode("utf-8-sig")) == (text, "utf-8-sig")
    assert decode(text.encode("gbk")) == (text, "gb18030")
    assert decode(text.encode("gb18030")) == (text, "gb18030")
    assert decode(text.encode("utf-16")) == (text, "utf-16")
    with pytest.raises(UnicodeDecodeError):
        decode(b"\x80\x80\xff\xff")


def test_every_encoding_gives_the_same_orders(tmp_path: Path) -> None:
    text = (DATA / "orders_gb18030.csv").read_bytes().decode("gb18030")
    results = []
    for encoding in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
        path = tmp_path / f"o-{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        _, batch = load_batch(path, SH)
        results.append([(d.order_no, d.fingerprint) for d in batch.drafts])
    assert all(r == results[0] for r in results)


def test_tab_separated_and_unknown_suffix(tmp_path: Path) -> None:
    src = tmp_path / "export.tsv"
    rows = list(csv.reader(io.StringIO((DATA / "orders_utf8bom.csv").read_text(encoding="utf-8-sig"), newline="")))
    src.write_text("\n".join("\t".join(r) for r in rows[:2]) + "\n", encoding="utf-8")
    file, batch = load_batch(src, SH)
    assert file.delimiter == "\t" and [d.order_no for d in batch.drafts] == ["A1001"]
    dat = tmp_path / "orders.dat"
    shutil.copy(DATA / "orders.jsonl", dat)
    assert read_intake_file(dat).fmt == "jsonl"
    dat2 = tmp_path / "orders2.dat"
    shutil.copy(DATA / "orders.json", dat2)
    assert read_intake_file(dat2).fmt == "json"


def test_json_wrappers_and_json_lines_named_json(tmp_path: Path) -> None:
    one = GEN._order("W1", GEN._line("P001", "上海青", 1, 3.5))
    (tmp_path / "a.json").write_text(json.dumps({"orders": [one]}), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(one), encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps(one) + "\n" + json.dumps({**one, "order_no": "W2"}) + "\n")
    assert [d.order_no for d in load_batch(tmp_path / "a.json", SH)[1].drafts] == ["W1"]
    assert [d.order_no for d in load_batch(tmp_path / "b.json", SH)[1].drafts] == ["W1"]
    file, batch = load_batch(tmp_path / "c.json", SH)
    assert file.fmt == "jsonl" and [d.order_no for d in batch.drafts] == ["W1", "W2"]


def test_broken_json_file_is_one_rejected_record(tmp_path: Path) -> None:
    src = tmp_path / "broken.json"
    src.write_text('[{"order_no": "X1",\n  "channel": ]', encoding="utf-8")
    file, batch = load_batch(src, SH)
    assert not batch.drafts and len(batch.rejected) == 1
    assert describe_all(batch, "en")[0].startswith("broken.json index 0: not valid JSON: Expecting value (line 2")
    path = write_quarantine(file, batch, tmp_path, NOW)
    assert path is not None
    (record,) = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert record["_raw"] == src.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "key"),
    [(b"", "intake.file.empty"), (b"  \n\n", "intake.file.empty"), (b"\x80\x80\xff\xfe\xff", "intake.file.encoding")],
)
def test_unreadable_files(tmp_path: Path, content: bytes, key: str) -> None:
    src = tmp_path / "x.csv"
    src.write_bytes(content)
    with pytest.raises(IntakeFileError) as exc:
        read_intake_file(src)
    assert exc.value.key == key
    assert exc.value.message("en").startswith(str(src))


def test_missing_file() -> None:
    with pytest.raises(IntakeFileError) as exc:
        read_intake_file("/nonexistent/orders.csv")
    assert exc.value.key == "intake.file.not_found"
    assert exc.value.message("en") == "/nonexistent/orders.csv: file not found"


def test_csv_positions_count_records_with_the_header_as_row_1(tmp_path: Path) -> None:
    src = tmp_path / "multi.csv"
    header = "channel,order_no,customer_name,phone,address,payment_method,sku,name,qty,unit_price"
    src.write_text(f'{header}\nmeituan,M1,a,13812341234,"two\nlines",cod,P1,n,0,1\nmeituan,M2,b,1,x,cod,P1,n,1,1\n',
                   encoding="utf-8")  # fmt: skip
    _, batch = load_batch(src, SH)
    assert batch.rejected_positions == [2, 3]  # records, as a spreadsheet numbers them
    assert describe(batch.rejected[1].problems[0], batch.source, batch.unit, "en").startswith("multi.csv row 3, field phone")


def test_every_message_key_of_intake_and_master_data_exists() -> None:
    import re

    from ops_console.i18n import catalog

    root = Path(__file__).resolve().parents[2] / "ops_console"
    used: set[str] = set()
    package = sorted(f"domain/intake/{p.name}" for p in (root / "domain/intake").glob("*.py"))
    for rel in (*package, "services/intake_files.py", "services/intake.py", "services/intake_quarantine.py",
                "services/intake_watch.py", "services/masterdata.py",
                "cli/intake.py", "cli/masterdata.py"):  # fmt: skip
        used |= set(re.findall(r"""["']((?:intake|masterdata|review|cli\.ingest|cli\.masterdata)\.[a-z0-9_.]+)["']""",
                               (root / rel).read_text(encoding="utf-8")))  # fmt: skip
    used = {k for k in used if not k.endswith(".")}
    assert used and sorted(k for k in used if k not in catalog()) == []
