"""The keyword proposal after a manual assignment: specific keywords only, and the reason when none."""

from __future__ import annotations

from ops_console.domain.types import Action
from ops_console.i18n import set_language
from ops_console.services import matching
from ops_console.services.lifecycle import perform
from tests.conftest import DISPATCHER
from tests.factories import new_order


def assigned(ctx, order_no: str, address: str, store: str) -> None:
    new_order(ctx, order_no, address=address, match_address=True)
    perform(ctx, order_no, Action.ASSIGN, DISPATCHER, store_id=store, method="manual")


def test_a_common_estate_name_at_other_stores_is_not_proposed_and_the_console_can_say_why(city) -> None:
    assigned(city, "A1", "阳光花园3栋101", "S02")  # open, at the other store
    assigned(city, "A2", "阳光花园9栋", "S01")
    proposal = matching.propose_keyword_for(city, "A2", "S01")
    assert proposal.keyword is None and proposal.candidate == "阳光花园"
    assert proposal.withheld == "not_specific"
    assert proposal.why() == "「阳光花园」也出现在其他门店的 1 个未完成订单地址中(S02 河畔店),不够具体,不建议作为关键词"
    set_language("en")
    assert "open orders of other stores (S02 河畔店)" in proposal.why()
    # Once the other store's order is finished, the name is specific again.
    perform(city, "A1", Action.CANCEL, DISPATCHER, reason="customer_cancelled")
    assert matching.propose_keyword_for(city, "A2", "S01").keyword == "阳光花园"


def test_an_address_outside_the_service_area_proposes_nothing(city) -> None:
    assigned(city, "O1", "浙江省杭州市西湖区阳光花园27号楼301", "S01")
    proposal = matching.propose_keyword_for(city, "O1", "S01")
    assert (proposal.keyword, proposal.withheld) == (None, "outside_area")
    assert "浙江省" in proposal.why()
    # The setting decides what the area is.
    wider = city.settings.replace(dispatch={"service_area": []})
    city.settings = wider
    assert matching.propose_keyword_for(city, "O1", "S01").keyword == "阳光花园"


def test_a_specific_name_is_proposed_with_no_reason(city) -> None:
    assigned(city, "S1", "柳汀区翠湖苑5栋2单元301", "S02")
    proposal = matching.propose_keyword_for(city, "S1", "S02")
    assert (proposal.keyword, proposal.withheld, proposal.why()) == ("翠湖苑", None, "")
