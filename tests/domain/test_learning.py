"""Keyword learning proposes only specific keywords, and says why it proposes none."""

from __future__ import annotations

from ops_console.domain.address import admin_places
from ops_console.domain.learning import Withheld, check_proposal, outside_area

AREA = ["江苏省", "淮渚市", "柳汀区"]


def test_a_compound_of_the_area_nobody_else_has_is_proposed() -> None:
    check = check_proposal("柳汀区翠湖苑5栋2单元301", "S02", AREA, [("S01", "阳光小区3栋")])
    assert (check.keyword, check.withheld) == ("翠湖苑", None)
    # Its own store's orders with the same name are no objection.
    assert check_proposal("翠湖苑5栋", "S02", AREA, [("S02", "翠湖苑8栋")]).keyword == "翠湖苑"


def test_an_address_outside_the_service_area_teaches_nothing() -> None:
    check = check_proposal("浙江省杭州市西湖区阳光花园27号楼301", "S03", AREA, [])
    assert (check.keyword, check.withheld, check.candidate) == (None, Withheld.OUTSIDE_AREA, "阳光花园")
    assert check.params["place"] == "浙江省"
    assert outside_area("淮渚市东浦区幸福家园3栋", AREA) == "东浦区"  # our city, another district
    assert outside_area("江苏省淮渚市柳汀区清源街道松涛家园1栋", AREA) is None  # streets are inside
    assert outside_area("松涛家园1栋", AREA) is None  # no place named: taken as ours
    assert outside_area("浙江省杭州市西湖区阳光花园", []) is None  # no area set: no check


def test_a_common_name_in_other_stores_open_orders_is_not_specific() -> None:
    others = [("S03", "阳光花园3栋"), ("S05", "陽光花園 9幢"), ("S05", "阳光花园12栋"), ("S02", "别处")]
    check = check_proposal("阳光花园1栋101", "S02", AREA, others, {"S05": "松涛店"})
    assert (check.keyword, check.withheld) == (None, Withheld.NOT_SPECIFIC)
    assert check.params == {"keyword": "阳光花园", "count": 3, "stores": "S05 松涛店, S03"}


def test_a_place_name_is_no_keyword() -> None:
    assert admin_places("柳汀区") == ((("district", "柳汀区"),), "")
    assert admin_places("锦绣花园东区")[0] == ()
    for address, place in (("清源街道3号", "清源街道"), ("柳汀区3栋", "柳汀区"), ("淮渚市柳汀区5栋", "柳汀区")):
        check = check_proposal(address, "S01", AREA, [])
        assert (check.keyword, check.withheld, check.candidate) == (None, Withheld.PLACE_NAME, place), address


def test_nothing_to_propose() -> None:
    assert check_proposal("请放门口", "S01", AREA, []).withheld == Withheld.NO_NAME
