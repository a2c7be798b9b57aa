"""The matching service: auto-assignment at intake, the learning loop, the cached matcher."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ops_console.domain.types import Action, SubjectType
from ops_console.services import matching
from ops_console.services.context import AppContext
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import order_history, perform
from ops_console.storage.db import read_session
from ops_console.storage.models import Event, StoreKeyword
from tests.conftest import CS, DISPATCHER, SUPERVISOR
from tests.factories import new_order


def intake(ctx: AppContext, order_no: str, address: str):
    """A new order through the one way in, with the matcher on (as intake runs it)."""
    return new_order(ctx, order_no, address=address, match_address=True)


def test_intake_assigns_automatically_in_the_same_transaction(city) -> None:
    out = intake(city, "M1", "阳光小区3栋2单元501")
    assert out.to_status == "assigned"
    order, events = order_history(city, "M1")
    assert (order.store_id, order.assign_method, order.match_reason) == ("S01", "auto", None)
    assert [e.action for e in events] == ["receive", "review_pass", "assign"]
    assign = events[-1]
    assert assign.actor == "system" and assign.detail["method"] == "auto"
    assert assign.detail["keyword"] == "阳光小区" and assign.detail["store_id"] == "S01"
    # All three at the same instant, one transaction.
    assert len({e.at for e in events}) == 1


def test_manual_rows_keep_the_reason_and_suggestions(city) -> None:
    intake(city, "M2", "阳光小区对面的河畔花园5栋301")
    order, events = order_history(city, "M2")
    assert order.status == "unassigned" and order.store_id is None
    assert order.match_reason == "ambiguous: S01, S02"
    assert [s["store_id"] for s in order.suggestions] == ["S02", "S01"]
    assert order.suggestions[0]["reason"] == "context" and 0 < order.suggestions[0]["score"] <= 1
    assert [e.action for e in events] == ["receive", "review_pass"]

    intake(city, "M3", "阳光小曲3栋")  # a typo: nothing automatic, a suggestion
    order, _ = order_history(city, "M3")
    assert order.match_reason == "no keyword"
    assert order.suggestions[0]["store_id"] == "S01" and order.suggestions[0]["reason"] == "fuzzy"


def test_the_learning_loop(city) -> None:
    # 1. An address no keyword matches waits for a dispatcher.
    intake(city, "L1", "翠湖苑5栋2单元301")
    order, _ = order_history(city, "L1")
    assert (order.status, order.match_reason, order.suggestions) == ("unassigned", "no keyword", [])
    # 2. The dispatcher assigns it by hand; the service proposes the compound name as a keyword.
    perform(city, "L1", Action.ASSIGN, DISPATCHER, store_id="S02", method="manual")
    proposal = matching.propose_keyword_for(city, "L1", "S02")
    assert (proposal.keyword, proposal.taken_by, proposal.exists) == ("翠湖苑", None, False)
    # 3. Accepted: stored with an event (who, when, which store) in the same transaction.
    added = matching.add_keyword(city, proposal.keyword, "S02", DISPATCHER, order_id=order.id)
    assert added.created and added.store_id == "S02"
    with read_session(city.engine) as s:
        kw = s.exec(select(StoreKeyword).where(StoreKeyword.keyword == "翠湖苑")).one()
        ev = s.exec(select(Event).where(Event.subject_type == SubjectType.KEYWORD)).one()
    assert (kw.store_id, kw.source, kw.created_by) == ("S02", "learned", "U01")
    assert (ev.actor, ev.action, ev.subject_id, ev.order_id) == ("U01", "keyword_add", "翠湖苑", order.id)
    assert ev.detail["store_id"] == "S02" and ev.at == city.clock.now()
    # 4. The next order with that compound is assigned automatically, no restart.
    out = intake(city, "L2", "浙江省杭州市翠湖苑8栋1201")
    assert out.to_status == "assigned"
    nxt, events = order_history(city, "L2")
    assert (nxt.store_id, nxt.assign_method) == ("S02", "auto")
    assert events[-1].detail["keyword"] == "翠湖苑"


def test_a_keyword_of_another_store_is_refused_naming_both(city) -> None:
    with pytest.raises(Refused) as err:
        matching.add_keyword(city, "阳光 小区", "S02", DISPATCHER)  # normalizes to S01's 阳光小区
    assert "S01" in err.value.message and "S02" in err.value.message
    assert "阳光店" in err.value.message and "河畔店" in err.value.message
    with pytest.raises(Refused):
        matching.add_keyword(city, " 1 ", "S02", DISPATCHER)
    with pytest.raises(Refused):
        matching.add_keyword(city, "新的小区", "S02", CS)  # customer service does not change keywords
    again = matching.add_keyword(city, "阳光小区", "S01", SUPERVISOR)
    assert again.created is False  # already the store's: nothing written
    with read_session(city.engine) as s:
        assert s.exec(select(Event).where(Event.subject_type == SubjectType.KEYWORD)).all() == []


def test_proposal_for_a_taken_or_known_keyword(city) -> None:
    intake(city, "P1", "河畔花园5栋，送到阳光小区3栋")  # ambiguous
    assert matching.propose_keyword_for(city, "P1", "S01").exists is True  # "送到阳光小区" -> 阳光小区
    intake(city, "P2", "柳岸小区3栋")
    perform(city, "P2", Action.ASSIGN, DISPATCHER, store_id="S01", method="manual")
    matching.add_keyword(city, "柳岸小区", "S02", SUPERVISOR)
    taken = matching.propose_keyword_for(city, "P2", "S01")
    assert (taken.keyword, taken.taken_by) == ("柳岸小区", "S02")


def test_chosen_before_suggestions_from_dispatchers_choices(city) -> None:
    for n in (1, 2):
        intake(city, f"C{n}", f"碧水湾{n}栋301")
        perform(city, f"C{n}", Action.ASSIGN, DISPATCHER, store_id="S02", method="manual")
    intake(city, "C3", "碧水湾9栋1201")
    order, _ = order_history(city, "C3")
    assert order.status == "unassigned"  # a suggestion is never applied by itself
    assert order.suggestions[0]["store_id"] == "S02"
    assert order.suggestions[0]["reason"] == "chosen_before"
    assert matching.suggest_for(city, "C3").suggestion == "S02"


def test_the_matcher_is_rebuilt_only_when_keywords_change(city) -> None:
    first = matching.matcher(city)
    builds = matching.build_count(city)
    intake(city, "R1", "阳光小区1栋")
    intake(city, "R2", "无名路1号")
    assert matching.build_count(city) == builds
    assert matching.matcher(city).keyword_count == first.keyword_count
    matching.add_keyword(city, "无名路", "S01", DISPATCHER)
    assert matching.matcher(city).keyword_count == first.keyword_count + 1
    assert matching.build_count(city) == builds + 1
    assert matching.auto_store(city, "无名路9号") == "S01"


def test_refresh_suggestions_after_a_new_keyword(city) -> None:
    intake(city, "F1", "枫叶小区2栋")
    matching.add_keyword(city, "枫叶小区", "S02", SUPERVISOR)
    result = matching.refresh_suggestions(city, "F1")
    assert result.suggestion == "S02"
    order, _ = order_history(city, "F1")
    # Still the dispatcher's to confirm: queued orders are not assigned behind their back.
    assert order.status == "unassigned" and order.match_reason == "no keyword"
    assert order.suggestions[0] == {"store_id": "S02", "score": 0.99, "reason": "keyword", "detail": "枫叶小区",
                                    "why": {"code": "keyword", "keyword": "枫叶小区"}}
    assert matching.describe_suggestion(order.suggestions[0]) == "关键词 枫叶小区"


def test_one_vocabulary_of_reasons_for_the_queue_the_dialog_and_match(city) -> None:
    from ops_console.cli.match import result_record
    from ops_console.i18n import set_language

    intake(city, "V1", "阳光小曲3栋")  # a typo: no keyword, a suggestion by similar spelling
    order, _ = order_history(city, "V1")
    set_language("en")
    assert matching.describe_match_reason(order.match_reason) == "no keyword"
    assert matching.reason_label(order.suggestions[0]["reason"]) == "similar spelling"
    record = result_record(1, matching.suggest_for(city, "V1"))  # what `ops-console match` prints
    assert (record["reason"], record["why"]) == ("no keyword", "no keyword")
    assert (record["suggestions"][0]["reason"], record["suggestions"][0]["why"]) == ("fuzzy", "similar spelling")
    ambiguous = result_record(2, matching.match(city, "阳光小区对面的河畔花园5栋301"))
    assert ambiguous["why"] == "several stores: S01, S02"
    # Every reason code has its words in both languages (none falls back to the code).
    for code in matching.REASON_CODES - {"ambiguous"}:
        for lang in ("zh_CN", "en"):
            assert matching.reason_label(code, lang) not in ("", code)


def test_a_pinyin_address_is_suggested_and_its_phrase_offered_as_an_alias(city) -> None:
    intake(city, "P1", "Yang Guang Xiao Qu 3栋2单元501")
    order, _ = order_history(city, "P1")
    assert order.status == "unassigned"  # never automatic from pinyin
    assert order.suggestions[0]["store_id"] == "S01" and order.suggestions[0]["reason"] == "pinyin"
    assert "yangguangxiaoqu" in matching.describe_suggestion(order.suggestions[0])
    perform(city, "P1", Action.ASSIGN, DISPATCHER, store_id="S01", method="suggested")
    proposal = matching.propose_keyword_for(city, "P1", "S01")
    assert proposal.alias == "yangguangxiaoqu"
    matching.add_keyword(city, proposal.alias, "S01", DISPATCHER, order_id=order.id)
    # Once accepted, the next such address is matched by the rule.
    assert intake(city, "P2", "yangguangxiaoqu 5栋").to_status == "assigned"


def test_recent_addresses_feed_the_evidence_weights(city) -> None:
    for n in range(3):
        intake(city, f"R{n}", f"浙江省岚州市栖凤区阳光小区{n}栋")
    m = matching.matcher(city)
    assert m.stats is not None and len(m.stats) >= 3
    assert {"栖凤区", "栖凤"} <= m.stats.place_names()


def test_a_manual_choice_is_learned_after_a_rolled_back_look(city) -> None:
    """A look inside a transaction that wrote events, then rolled back: the ids it saw are given
    back, and a dispatcher's assignment that takes one of them is still learned."""
    from ops_console.services.context import SYSTEM
    from ops_console.services.events import record
    from ops_console.storage.db import write_session, wrote_in_transaction

    intake(city, "R1", "碧水湾1栋301")
    with read_session(city.engine) as s:
        matching.matcher(city, s)  # a clean look: everything so far is seen
        assert not wrote_in_transaction(s)
    with pytest.raises(RuntimeError), write_session(city.engine) as s:
        assert not wrote_in_transaction(s)
        for _ in range(3):
            record(s, city.clock.now(), SYSTEM, SubjectType.ORDER, "0", "note", detail={})
        s.flush()
        assert wrote_in_transaction(s)
        matching.matcher(city, s)  # sees its own three events, which the rollback gives back
        raise RuntimeError("the order failed a later check")
    perform(city, "R1", Action.ASSIGN, DISPATCHER, store_id="S02", method="manual")  # reuses those ids
    intake(city, "R2", "碧水湾9栋1201")
    order, _ = order_history(city, "R2")
    assert order.suggestions and order.suggestions[0]["reason"] == "chosen_before"
    assert order.suggestions[0]["store_id"] == "S02"
