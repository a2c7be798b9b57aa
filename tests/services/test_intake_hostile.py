"""Hostile files never crash intake nor lose a good order (issue 11, "Intake: one bad record ...").

Every file of tests/hostile_corpus.py goes through the real `ingest_file`: every good order is
stored, every bad one is set aside with a reason naming its place, the file leaves its ingest
event, the quarantine copy is user-only. (The time goal, < 5 s a file, is bench/ingest.py's.)
"""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ops_console.domain.intake import IntakeError, SourceRecord, Unit, drafts_from_json
from ops_console.services.context import AppContext
from ops_console.services.intake import ingest_file
from ops_console.services.intake_files import read_intake_file, to_batch
from tests.hostile_corpus import MAKERS

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def intake(ctx: AppContext, tmp_path: Path) -> AppContext:
    ctx.settings = ctx.settings.replace(intake={"quarantine_dir": str(tmp_path / "quarantine")})
    return ctx


def count(ctx: AppContext, sql: str) -> Any:
    with ctx.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


@pytest.mark.parametrize("name", [n for n in MAKERS if n != "million_empty"])
def test_hostile_file_keeps_every_good_order_and_sets_each_bad_one_aside(
    intake: AppContext, tmp_path: Path, name: str
) -> None:
    path, expect = MAKERS[name](tmp_path)
    report = ingest_file(intake, path, lang="en")
    assert report.error is None, report.error
    assert (report.new, report.rejected) == (expect.good, expect.bad), report.problems[:5]
    assert count(intake, "SELECT count(*) FROM orders") == expect.good
    # One reason per bad order at least, each naming the file and the row / line / index.
    assert len(report.problems) >= expect.bad
    assert all(p.startswith(path.name + " ") for p in report.problems)
    assert count(intake, "SELECT count(*) FROM event WHERE action = 'ingest'") == 1
    if expect.bad or expect.noted:
        q = Path(report.quarantine or "")
        assert q.is_file() and stat.S_IMODE(q.stat().st_mode) == 0o600
        assert stat.S_IMODE(q.parent.stat().st_mode) == 0o700


def test_million_empty_objects_keep_the_one_order(intake: AppContext, tmp_path: Path) -> None:
    path, expect = MAKERS["million_empty"](tmp_path)
    report = ingest_file(intake, path, lang="en")
    assert (report.new, report.rejected) == (expect.good, expect.bad)
    assert report.problems[0] == "million_empty.json index 1: no order field at all (e.g. channel, order_no, lines)"


def test_stray_quote_names_its_line_and_the_order(intake: AppContext, tmp_path: Path) -> None:
    path, _ = MAKERS["stray_quote"](tmp_path)
    report = ingest_file(intake, path, lang="en")
    assert any("unbalanced quote on line 1502" in p for p in report.problems), report.problems
    stored = count(intake, "SELECT count(*) FROM orders WHERE order_no IN ('H001499', 'H001500', 'H001501')")
    assert stored == 2  # the rows either side are kept; H001500 is the one set aside


def test_numbers_and_dates_are_refused_by_size_not_by_a_crash(intake: AppContext, tmp_path: Path) -> None:
    path, _ = MAKERS["huge_numbers"](tmp_path)
    report = ingest_file(intake, path, lang="en")
    joined = "\n".join(report.problems)
    assert "amount is implausibly large" in joined and "1e999999999" in joined
    assert "line 4, field qty" in joined or "lines[0].qty" in joined
    path, _ = MAKERS["far_dates"](tmp_path)
    report = ingest_file(intake, path, lang="en")
    joined = "\n".join(report.problems)
    assert "implausible year" in joined and "more than 366 days from now" in joined
    assert count(intake, "SELECT count(*) FROM orders WHERE placed_at > '2100-01-01'") == 0


def test_long_remarks_kept_verbatim_then_cut_with_a_copy(intake: AppContext, tmp_path: Path) -> None:
    path, _ = MAKERS["long_remarks"](tmp_path)
    report = ingest_file(intake, path, lang="en")
    assert report.rejected == 0 and report.new == 3
    assert count(intake, "SELECT length(remarks) FROM orders WHERE order_no = 'H000000'") == 20_000
    assert count(intake, "SELECT length(remarks) FROM orders WHERE order_no = 'H000001'") == 64 * 1024
    assert any("remark too long" in w for w in report.warnings)
    table = list(csv.reader(io.StringIO(Path(report.quarantine or "").read_text(encoding="utf-8-sig"))))
    col = table[0].index("remarks")
    # The whole remark, with a leading quote so no spreadsheet runs it as a formula.
    assert len(table) == 2 and table[1][col] == "'=HYPERLINK(\"x\")" + "a" * 70_000
    assert table[1][col].startswith("'=HYPERLINK")


def test_quarantine_masks_nothing_but_problems_mask_phones(intake: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "phones.jsonl"
    path.write_text(json.dumps({"channel": "meituan", "order_no": "X1", "phone": "1391234567812345",
                                "customer_name": "a", "address": "b", "payment_method": "cod",
                                "lines": [{"sku": "s", "name": "n", "qty": 1, "unit_price": 1}]}) + "\n")  # fmt: skip
    report = ingest_file(intake, path, lang="en")
    assert report.rejected == 1
    assert "1391234567812345" not in "\n".join(report.problems)
    assert "1391234567812345" in Path(report.quarantine or "").read_text()  # the copy is for fixing it


def test_unreadable_file_leaves_its_event_and_a_private_copy(intake: AppContext, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x80\x80\xff\xfe\xff")
    report = ingest_file(intake, bad, lang="en")
    assert report.error and "unknown text encoding" in report.error
    q = Path(report.quarantine or "")
    assert q.read_bytes() == bad.read_bytes() and stat.S_IMODE(q.stat().st_mode) == 0o600
    assert count(intake, "SELECT count(*) FROM event WHERE action = 'ingest'") == 1


# --------------------------------------------------------------------------- the readers' contract


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".json", ".jsonl", ".txt"]))
def test_arbitrary_bytes_raise_only_the_intake_error(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"f{suffix}"
    path.write_bytes(data)
    try:
        file = read_intake_file(path)
    except IntakeError:
        return
    to_batch(file, SH)  # never raises: every record is guarded


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["channel", "order_no", "phone", "lines", "qty", "unit_price", "placed_at", "remarks",
                         "sku", "name", "address", "customer_name", "payment_method", "x"]), children, max_size=6),
    max_leaves=30,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(value=_json)
def test_arbitrary_json_never_raises(value: object) -> None:
    batch = drafts_from_json("f.json", [SourceRecord(0, value)], SH, Unit.INDEX)
    assert len(batch.drafts) + len(batch.rejected) == 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_json)
def test_arbitrary_json_text_through_the_reader(tmp_path: Path, value: object) -> None:
    path = tmp_path / "v.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    try:
        file = read_intake_file(path)
    except IntakeError:
        return
    to_batch(file, SH)


def test_a_surprise_while_storing_fails_that_file_only(intake: AppContext, tmp_path: Path, monkeypatch) -> None:
    from ops_console.services import intake as service

    path, _ = MAKERS["far_dates"](tmp_path)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("storage surprise 13912345678")

    monkeypatch.setattr(service, "_store", broken)
    report = ingest_file(intake, path, lang="en")
    assert report.error == "the file could not be processed: ValueError: storage surprise 139****5678"
    assert count(intake, "SELECT count(*) FROM event WHERE action = 'ingest'") == 1
    assert count(intake, "SELECT count(*) FROM orders") == 0


def test_a_stray_quote_in_the_header_still_reads_the_rows(tmp_path: Path) -> None:
    from tests.hostile_corpus import _csv, row

    path = tmp_path / "h.csv"
    text = _csv([row(0), row(1)]).replace("remarks", '"remarks', 1)
    path.write_text(text, encoding="utf-8")
    batch = to_batch(read_intake_file(path), SH)
    assert len(batch.drafts) == 2 and batch.rejected == []
    assert any(w.key == "intake.csv.bad_record" for w in batch.warnings)


def test_a_too_deep_order_in_the_wrapper_is_named_by_its_index(intake: AppContext, tmp_path: Path) -> None:
    from tests.hostile_corpus import obj

    deep = '{"order_no": "D9", "lines": ' + "[" * 500 + "]" * 500 + "}"
    # An "orders" key deeper down and an "orders" string value are not the wrapper's list.
    decoy = '{"orders": [' + "[" * 40 + "]" * 40 + '], "note": "orders"}'
    path = tmp_path / "wrapped.json"
    path.write_text('{"meta": ' + decoy + ', "orders": [' + ",".join([json.dumps(obj(0)), deep, json.dumps(obj(1))])
                    + "]}", encoding="utf-8")
    report = ingest_file(intake, path, lang="en")
    assert (report.new, report.rejected) == (2, 1)
    assert report.problems[0].startswith("wrapped.json index 1: "), report.problems


def test_master_data_row_with_a_stray_quote_is_named_not_taken(ctx: AppContext, tmp_path: Path) -> None:
    from ops_console.services.masterdata import import_stores

    stores = tmp_path / "stores.csv"
    stores.write_text('store_id,name,kind,phone,keywords\nS01,阳光店,self,0571-88886666,阳光小区\n'
                      'S02,"河畔店,franchise,,河畔花园\nS03,湖滨店,self,,湖滨路\n', encoding="utf-8")  # fmt: skip
    result = import_stores(ctx, stores, lang="en")
    assert result.added == 2 and result.rejected_rows == [3]
    assert any("unbalanced quote on line 3" in e for e in result.errors), result.errors
