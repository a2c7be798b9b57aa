"""`ops-console ingest` and `stores|couriers|skus import|list` through the real Typer app."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "intake"
FILES = ["orders_gb18030.csv", "orders_utf8bom.csv", "orders.json", "orders.jsonl"]
EN = {"OPS_UI__LANGUAGE": "en", "COLUMNS": "300"}


def copies(tmp_path: Path, names: list[str] = FILES) -> list[str]:
    out = []
    for name in names:
        target = tmp_path / "in" / name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(DATA / name, target)
        out.append(str(target))
    return out


def test_ingest_json_summary_and_exit_status(cli, tmp_path: Path) -> None:
    files = copies(tmp_path)
    first = cli("ingest", "--json", *files)
    assert first.exit_code == 1  # something was set aside
    summary = json.loads(first.stdout)
    assert {k: summary[k] for k in ("received", "new", "duplicate", "conflict", "rejected", "rejected_rows")} == {
        "received": 28, "new": 12, "duplicate": 1, "conflict": 0, "rejected": 15, "rejected_rows": 17}  # fmt: skip
    assert len(summary["quarantine"]) == 4
    assert all((tmp_path / q).is_file() for q in summary["quarantine"])  # relative to the working folder
    again = json.loads(cli("ingest", "--json", *files).stdout)
    assert (again["new"], again["duplicate"]) == (0, 13)


def test_ingest_table_and_clean_file(cli, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text((DATA / "orders.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    result = cli("ingest", str(good), env=EN)
    assert result.exit_code == 0, result.output
    assert "good.jsonl" in result.stdout and "received" in result.stdout
    bad = cli("ingest", *copies(tmp_path, ["orders_gb18030.csv"]), env=EN)
    assert bad.exit_code == 1
    assert "orders_gb18030.csv row 6, field 数量 (qty): quantity must be greater than 0" in bad.output


def test_ingest_conflict_fails(cli, tmp_path: Path) -> None:
    line = json.loads((DATA / "orders.jsonl").read_text(encoding="utf-8").splitlines()[0])
    (tmp_path / "a.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({**line, "address": "别处"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli("ingest", str(tmp_path / "a.jsonl")).exit_code == 0
    result = cli("ingest", "--json", str(tmp_path / "b.jsonl"), env=EN)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["conflict"] == 1


def test_ingest_needs_files_or_a_folder(cli, tmp_path: Path) -> None:
    assert cli("ingest").exit_code == 2
    assert cli("ingest", "x.csv", "--watch", str(tmp_path)).exit_code == 2
    missing = cli("ingest", "--watch", str(tmp_path / "nowhere"), "--once", env=EN)
    assert missing.exit_code == 2 and "not a folder" in missing.output


def test_unreadable_file(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x80\x80\xff\xfe\xff")
    result = cli("ingest", "--json", str(bad), env=EN)
    assert result.exit_code == 2  # nothing could be done with this file
    assert json.loads(result.stdout)["errors"] == [f"{bad}: unknown text encoding (UTF-8, UTF-8 with BOM and "
                                                   "GB18030/GBK are read): near byte 0"]  # fmt: skip


def test_watch_once_moves_files(cli, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = (DATA / "orders.jsonl").read_text(encoding="utf-8").splitlines()[0]
    (inbox / "good.jsonl").write_text(good + "\n", encoding="utf-8")
    shutil.copy(DATA / "orders.json", inbox / "mixed.json")
    result = cli("ingest", "--watch", str(inbox), "--once", "--json")
    assert result.exit_code == 1  # mixed.json had rejects
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [(Path(x["file"]).name, Path(x["moved_to"]).parent.name) for x in lines] == [
        ("good.jsonl", "done"), ("mixed.json", "rejected")]  # fmt: skip
    assert (inbox / "done" / "good.jsonl").is_file() and (inbox / "rejected" / "mixed.json").is_file()
    assert cli("ingest", "--watch", str(inbox), "--once").exit_code == 0  # nothing new: nothing wrong


def test_master_data_commands(cli, tmp_path: Path) -> None:
    stores = tmp_path / "stores.csv"
    stores.write_bytes("store_id,name,kind,phone,keywords\nS01,阳光店,self,0571-88886666,阳光小区|阳光路\n"
                       "S02,河畔店,franchise,,河畔花园|阳光路\n".encode("gb18030"))  # fmt: skip
    result = cli("stores", "import", str(stores), env=EN)
    assert result.exit_code == 1  # the shared keyword was refused
    assert "keyword “阳光路” is claimed by more than one store: S01, S02" in result.output
    assert "2 added" in result.stdout
    listed = json.loads(cli("stores", "list", "--json").stdout)
    assert [(s["store_id"], s["keywords"]) for s in listed] == [("S01", ["阳光小区"]), ("S02", ["河畔花园"])]
    couriers = tmp_path / "couriers.csv"
    couriers.write_text("courier_id,name,tier,store_id,phone,capacity\nC01,刘一,company,S01,13800001111,3\n",
                        encoding="utf-8")  # fmt: skip
    assert cli("couriers", "import", str(couriers)).exit_code == 0
    assert json.loads(cli("couriers", "list", "--json").stdout)[0]["courier_id"] == "C01"
    skus = tmp_path / "skus.csv"
    skus.write_text("sku,name,category,unit,step,unit_price,stock,weight_g\nP001,上海青,蔬果,500g,1,3.50,100,500\n",
                    encoding="utf-8-sig")  # fmt: skip
    assert cli("skus", "import", str(skus)).exit_code == 0
    assert json.loads(cli("skus", "list", "--json").stdout)[0]["unit_price"] == "3.50"
    table = cli("skus", "list", env=EN)
    assert "上海青" in table.stdout and "3.50" in table.stdout
    # once operators exist, imports need a supervisor
    assert cli("operators", "add", "U1", "周主管", "supervisor", "--pin", "9999").exit_code == 0
    refused = cli("skus", "import", str(skus))
    assert refused.exit_code == 1
    assert cli("--operator", "U1", "skus", "import", str(skus), env={"OPS_PIN": "9999"}).exit_code == 0


def test_help_of_the_new_commands(cli) -> None:
    for args in (["ingest", "--help"], ["stores", "import", "--help"], ["stores", "list", "--help"],
                 ["couriers", "import", "--help"], ["skus", "list", "--help"]):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0 and "Usage" in result.output, args
