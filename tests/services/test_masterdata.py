"""Master data imports: stores with keywords, couriers, SKUs; bad rows named, good rows kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from ops_console.domain.types import Role
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import Refused
from ops_console.services.intake_files import IntakeFileError
from ops_console.services.masterdata import (
    import_couriers,
    import_skus,
    import_stores,
    list_couriers,
    list_skus,
    list_stores,
)
from ops_console.services.operators import add_operator
from ops_console.storage.db import write_session
from ops_console.storage.models import StoreKeyword

BOSS = Actor("U9", "周主管", Role.SUPERVISOR)


def write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding))
    return path


def keywords(ctx: AppContext) -> dict[str, list[str]]:
    return {s["store_id"]: s["keywords"] for s in list_stores(ctx)}


STORES = """store_id,name,kind,phone,keywords
S01,枫林店,self,0578-8477454,枫林苑|枫林苑西区|溪桥新村
S02,枫林东区店,加盟,0578 852 7641,枫林苑东区｜梧桐家园
"""


def test_stores_with_keywords(ctx: AppContext, tmp_path: Path) -> None:
    result = import_stores(ctx, write(tmp_path / "s.csv", STORES, "gb18030"))
    assert (result.added, result.updated, result.rejected, result.errors) == (2, 0, 0, [])
    stores = {s["store_id"]: s for s in list_stores(ctx)}
    assert stores["S02"]["kind"] == "franchise" and stores["S02"]["phone"] == "0578-8527641"
    assert keywords(ctx) == {"S01": ["枫林苑", "枫林苑西区", "溪桥新村"], "S02": ["枫林苑东区", "梧桐家园"]}
    again = import_stores(ctx, tmp_path / "s.csv")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    events = {r[0] for r in _q(ctx, "SELECT action FROM event")}
    assert {"store_import", "keyword_add"} <= events


def test_a_keyword_claimed_by_two_stores_goes_to_neither(ctx: AppContext, tmp_path: Path) -> None:
    src = write(tmp_path / "s.csv", STORES + "S03,金棠店,self,,金棠花园|溪桥新村\n")
    result = import_stores(ctx, src, lang="en")
    assert result.added == 3 and result.rejected == 0 and not result.ok
    assert result.errors == [
        "s.csv row 2, field keywords: keyword “溪桥新村” is claimed by more than one store: S01, S03; it is not taken",
        "s.csv row 4, field keywords: keyword “溪桥新村” is claimed by more than one store: S01, S03; it is not taken",
    ]
    assert keywords(ctx)["S03"] == ["金棠花园"] and "溪桥新村" not in keywords(ctx)["S01"]


def test_keyword_conflicts_with_the_database_and_moves(ctx: AppContext, tmp_path: Path) -> None:
    import_stores(ctx, write(tmp_path / "a.csv", STORES))
    # S03 wants a keyword S01 holds (S01 not in this file): refused, naming both
    result = import_stores(ctx, write(tmp_path / "b.csv", "store_id,name,kind,phone,keywords\nS03,金棠店,self,,枫林苑|金棠花园\n"),
                           lang="en")  # fmt: skip
    assert result.errors == ["b.csv row 2, field keywords: keyword “枫林苑” is claimed by more than one store: S01, S03; "
                             "it is not taken"]  # fmt: skip
    # the traditional-character spelling is the same keyword
    result = import_stores(ctx, write(tmp_path / "c.csv", "store_id,name,kind,phone,keywords\nS03,金棠店,self,,楓林苑\n"))
    assert len(result.errors) == 1
    # one file that moves a keyword from S01 to S02 is fine
    moved = STORES.replace("|溪桥新村", "").replace("梧桐家园", "梧桐家园|溪桥新村")
    result = import_stores(ctx, write(tmp_path / "d.csv", moved))
    assert result.ok and result.updated == 2
    assert keywords(ctx)["S01"] == ["枫林苑", "枫林苑西区"] and "溪桥新村" in keywords(ctx)["S02"]
    assert {r[0] for r in _q(ctx, "SELECT action FROM event WHERE subject_type = 'keyword'")} == {"keyword_add",
                                                                                                 "keyword_remove"}  # fmt: skip


def test_learned_keywords_stay_when_a_store_is_imported_again(ctx: AppContext, tmp_path: Path) -> None:
    import_stores(ctx, write(tmp_path / "a.csv", STORES))
    with write_session(ctx.engine) as s:
        s.add(StoreKeyword(keyword="银杏路", store_id="S01", source="learned"))
    import_stores(ctx, tmp_path / "a.csv")
    assert "银杏路" in keywords(ctx)["S01"]
    # and nobody else may import it
    result = import_stores(ctx, write(tmp_path / "b.csv", "store_id,name,kind,phone,keywords\nS02,东区店,self,,银杏路\n"))
    assert not result.ok and "银杏路" not in keywords(ctx)["S02"]


def test_bad_store_rows_are_named_good_rows_kept(ctx: AppContext, tmp_path: Path) -> None:
    src = write(tmp_path / "s.csv", "门店编号,门店名称,类型,电话,关键词,备用\n"
                                   "S01,枫林店,自营,0578-8477454,枫林苑,x\n"
                                   "S 2,,chain,123,a,x\n"
                                   "S03,店,self,,b\n"
                                   "S01,又一个,self,,c,x\n")  # fmt: skip
    result = import_stores(ctx, src, lang="en")
    assert result.added == 1 and result.rejected_rows == [3, 4, 5]
    assert result.errors == [
        "s.csv row 3, field 门店编号 (store_id): id “S 2” is not valid (no spaces)",
        "s.csv row 3, field 门店名称 (name): is required",
        "s.csv row 3, field 类型 (kind): unknown store kind “chain” (known: 自营/self, 加盟/franchise)",
        "s.csv row 3, field 电话 (phone): not a phone number: “*23” (expected an 11-digit mobile number, a landline with "
        "area code such as 0578-8477454, or a privacy number with extension such as 17012345678转1234)",
        "s.csv row 4: this row has 5 values, the header has 6 columns (an unquoted comma?)",
        "s.csv row 5, field 门店编号 (store_id): id S01 already came in row 2; this row is not taken",
    ]
    assert result.warnings == ["s.csv row 1: unknown columns ignored: 备用"]


def test_couriers(ctx: AppContext, tmp_path: Path) -> None:
    import_stores(ctx, write(tmp_path / "s.csv", STORES))
    src = write(tmp_path / "c.csv", "courier_id,name,tier,store_id,phone,capacity\n"
                                   "C01,刘一,company,S01,13800001111,3\n"
                                   "C02,陈二,公司,,13800001112,2\n"
                                   "C03,闪送,第三方,,,\n"
                                   "C04,王五,emergency,S99,,1\n"
                                   "C05,李四,store_staff,S02,,0\n")  # fmt: skip
    result = import_couriers(ctx, src, lang="en")
    assert result.added == 2 and result.rejected_rows == [3, 5, 6]
    assert [e.split(": ", 1)[0] for e in result.errors] == ["c.csv row 3, field store_id", "c.csv row 5, field store_id",
                                                            "c.csv row 6, field capacity"]  # fmt: skip
    couriers = {c["courier_id"]: c for c in list_couriers(ctx)}
    assert couriers["C03"]["tier"] == "third_party" and couriers["C03"]["capacity"] == 1
    assert couriers["C01"]["store_id"] == "S01" and couriers["C01"]["on_duty"] is True
    update = write(tmp_path / "c2.csv", "courier_id,name,tier,store_id,phone,capacity\nC01,刘一,company,S02,13800001111,4\n")
    assert import_couriers(ctx, update).updated == 1
    assert {c["courier_id"]: c["store_id"] for c in list_couriers(ctx)}["C01"] == "S02"


def test_skus(ctx: AppContext, tmp_path: Path) -> None:
    src = write(tmp_path / "k.csv", "商品编码,商品名称,品类,单位,步长,单价,库存,重量(g)\n"
                                   "P001,上海青,蔬果,500g,1,3.50,100,500\n"
                                   "G001,矿泉水,,瓶,12,2,1000,\n"
                                   "F001,速冻水饺,冷冻,袋,,15.9,,1000\n"
                                   "B1,坏,,,0,abc,-1,x\n", "utf-8-sig")  # fmt: skip
    result = import_skus(ctx, src, lang="en")
    assert (result.added, result.rejected_rows) == (3, [5])
    assert len(result.errors) == 4
    skus = {k["sku"]: k for k in list_skus(ctx)}
    assert skus["P001"] == {"sku": "P001", "name": "上海青", "category": "produce", "unit": "500g", "step": 1,
                            "unit_price": "3.50", "stock": 100, "weight_g": 500}  # fmt: skip
    assert (skus["G001"]["category"], skus["G001"]["step"]) == ("default", 12)
    assert (skus["F001"]["category"], skus["F001"]["unit_price"], skus["F001"]["stock"]) == ("frozen", "15.90", 0)
    again = import_skus(ctx, src)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    detail = _q(ctx, "SELECT detail FROM event WHERE action = 'sku_import' AND subject_id = 'F001'")
    assert json.loads(detail[0][0])["price"] == "15.90"


def test_a_supervisor_once_operators_exist(ctx: AppContext, tmp_path: Path) -> None:
    src = write(tmp_path / "k.csv", "sku,name,category,unit,step,unit_price,stock,weight_g\nP001,上海青,蔬果,500g,1,3.50,1,\n")
    add_operator(ctx, "U1", "王丽", "dispatcher", "1234")
    with pytest.raises(Refused):
        import_skus(ctx, src, SYSTEM)
    with pytest.raises(Refused):
        import_skus(ctx, src, Actor("U1", "王丽", Role.DISPATCHER))
    assert import_skus(ctx, src, BOSS).added == 1
    assert _q(ctx, "SELECT actor FROM event WHERE action = 'sku_import'") == [("U9",)]


def test_only_csv(ctx: AppContext, tmp_path: Path) -> None:
    with pytest.raises(IntakeFileError) as exc:
        import_skus(ctx, write(tmp_path / "k.json", "[]"))
    assert exc.value.key == "masterdata.not_csv"


def test_imported_keywords_reach_the_matcher(ctx: AppContext, tmp_path: Path) -> None:
    from ops_console.services.intake import ingest_file

    import_stores(ctx, write(tmp_path / "s.csv", STORES))
    order = {"channel": "meituan", "order_no": "M1", "customer_name": "林", "phone": "13800001234",
             "address": "枫林苑西区5栋101", "payment_method": "cod",
             "lines": [{"sku": "P001", "name": "上海青", "qty": 1, "unit_price": "3.50"}]}  # fmt: skip
    src = write(tmp_path / "o.jsonl", json.dumps(order, ensure_ascii=False) + "\n")
    ctx.settings = ctx.settings.replace(intake={"quarantine_dir": str(tmp_path / "q")})
    assert ingest_file(ctx, src).new == 1
    assert _q(ctx, "SELECT status, store_id FROM orders") == [("assigned", "S01")]


def _q(ctx: AppContext, sql: str) -> list[tuple[object, ...]]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]
