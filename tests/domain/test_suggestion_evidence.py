"""Suggestions that hold in a district nobody tuned them on: place names are no evidence, pinyin
addresses are read, and a suggestion never becomes an automatic assignment."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ops_console.demo import district
from ops_console.domain.matching import AddressStats, Matcher, SuggestionReason
from ops_console.domain.matching.pinyin import latin_phrase, pinyin_forms
from ops_console.i18n import t

# The pattern of the issue: a district called 栖凤区 whose name starts a store's keyword.
QIFENG = [("栖凤创客园", "S01"), ("辰光小区", "S02"), ("梧桐苑", "S03"), ("沙洲路", "S04"), ("栖凤区中医院", "S05")]


def test_a_district_name_that_starts_a_keyword_is_no_evidence_for_its_store() -> None:
    m = Matcher(QIFENG)
    for address in ("栖凤区晨光小区3栋2单元501", "浙江省岚州市栖凤区晨光小区3栋", "栖凤区人民路12号"):
        r = m.match(address)
        assert not r.auto
        assert "S01" not in [s.store_id for s in r.suggestions], (address, [s.describe() for s in r.suggestions])
    assert m.match("栖凤区晨光小区3栋2单元501").suggestion == "S02"  # the one-edit fuzzy match wins
    # The district's name alone is no hint; more of the keyword still is.
    assert m.match("凤凰路栖凤1号楼").suggestions == ()
    assert m.match("栖凤园区3号").suggestion == "S01" and m.match("栖凤创客3号").suggestion == "S01"


def test_place_names_learnt_from_recent_addresses_count_for_nothing_without_the_suffix() -> None:
    """栖凤 written without 区 in an address: known as a place name from the addresses seen."""
    stats = AddressStats()
    stats.observe_many(f"浙江省岚州市栖凤区辰光小区{n}栋" for n in range(1, 20))
    m = Matcher(QIFENG, stats=stats)
    assert "栖凤" in stats.place_names()
    r = m.match("栖凤晨光小区5栋")
    assert [s.store_id for s in r.suggestions][:1] == ["S02"]
    assert "S01" not in [s.store_id for s in r.suggestions]


def test_a_form_most_recent_addresses_contain_carries_no_weight() -> None:
    """IDF: 锦江 (the core of 锦江花园) in a third of the recent addresses says nothing."""
    pairs = [("锦江花园", "S01"), ("芙蓉里", "S02")]
    stats = AddressStats()
    for n in range(90):
        stats.observe(f"锦江大道{n}号" if n % 3 == 0 else f"芙蓉里{n}栋")
    assert Matcher(pairs).match("锦江188号").suggestion == "S01"  # without statistics: a weak hint
    assert Matcher(pairs, stats=stats).match("锦江188号").suggestion is None


def test_a_pinyin_address_gets_the_right_store_suggested() -> None:
    m = Matcher(district.keyword_pairs())
    for address in ("wutongyuan 21栋2单元1304", "Wutong Yuan, 15栋3单元", "WU TONG YUAN 3-1-502", "wú tóng yuàn 8栋",
                    "shazhou road 8", "Sha Zhou Lu 12号"):
        r = m.match(address)
        assert not r.auto, address  # suggestions only, never automatic
        assert r.suggestion == "S01", (address, [s.describe() for s in r.suggestions])
        assert r.suggestions[0].reason is SuggestionReason.PINYIN


def test_pinyin_forms_and_initials() -> None:
    forms = {f.text: f.kind for f in pinyin_forms("绿景花园")}
    assert forms["lvjinghuayuan"] == "pinyin" and forms["ljhy"] == "initials"
    assert forms["lǜjǐnghuāyuán"] == "pinyin_tones" and forms["lv4jing3hua1yuan2"] == "pinyin_tones"
    assert forms["lvjinggarden"] == "pinyin_english"
    m = Matcher([("绿景花园", "S07"), ("阳光小区", "S08")])
    assert m.match("ljhy 3栋").suggestion == "S07"
    assert m.match("ljhyx 3栋").suggestion is None  # initials only as a whole word
    assert pinyin_forms("星河soho") == []


def test_latin_phrase_offered_as_an_alias() -> None:
    assert latin_phrase("hengyuxincunbuilding20room1603") == "hengyuxincun"
    assert latin_phrase("wutongyuan,15栋") == "wutongyuan"
    assert latin_phrase("阳光小区3栋") is None


def test_reasons_read_in_both_languages() -> None:
    from ops_console.services.matching import describe_suggestion, suggestions_json

    r = Matcher(QIFENG).match("栖凤区晨光小区3栋")
    stored = suggestions_json(r.suggestions)[0]
    assert stored["why"]["code"] == "fuzzy_1"
    assert describe_suggestion(stored) == t("match.why.fuzzy_1", seen="晨光小区", keyword="辰光小区")
    assert t("match.why.fuzzy_1", "en", seen="晨光小区", keyword="辰光小区") == "晨光小区 ≈ 辰光小区, one character"
    assert describe_suggestion({"detail": "old form"}) == "old form"  # stored before reasons had codes


def test_explain_lists_every_candidate_with_its_weight() -> None:
    result, candidates = Matcher(QIFENG).explain("栖凤区晨光小区3栋")
    assert not result.auto
    by_store = {(c.evidence.store_id, c.kept) for c in candidates}
    assert ("S02", True) in by_store and ("S01", False) in by_store
    dropped = [c.evidence for c in candidates if c.evidence.store_id == "S01"]
    assert all(e.score == 0 and e.weight.code in ("place_name", "in_prefix") for e in dropped)
    assert Matcher(QIFENG).explain("辰光小区3栋")[1] == []  # automatic: nothing to explain


# -- a suggestion never turns into an automatic assignment ------------------------------------

_PAIRS = district.keyword_pairs() + QIFENG[:1] + [("栖凤区中医院", "S30")]
_PIECES = [kw for kw, _ in _PAIRS] + [
    "栖凤区", "浙江省岚州市", "3栋", "对面的", "，不是", "wutongyuan", "Sha Zhou Road", "ljhy", "梧同苑", "晨光", "　", "🏠",
]
_WITH, _WITHOUT = Matcher(_PAIRS), Matcher(_PAIRS)
_STATS = AddressStats()
_WITH_STATS = Matcher(_PAIRS, stats=_STATS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=4)), max_size=10))
def test_suggestions_never_change_the_automatic_decision(parts: list[str]) -> None:
    address = "".join(parts)
    _STATS.observe(address)
    on, off, weighed = _WITH.match(address), _WITHOUT.match(address, suggest=False), _WITH_STATS.match(address)
    for r in (on, weighed):
        assert (r.auto, r.store_id, r.reason, r.stores, r.keywords) == (
            off.auto, off.store_id, off.reason, off.stores, off.keywords)
        if r.auto:
            assert r.suggestions == ()  # an automatic row carries no suggestion
        else:
            assert r.store_id is None  # a suggestion is never an assignment
            assert all(0 <= s.score <= 1 for s in r.suggestions)


def test_place_names_known_beforehand_count_for_nothing() -> None:
    """A name of the area given to the matcher (e.g. from the stores' own addresses)."""
    pairs = [("白塔创客园", "S01"), ("辰光小区", "S02")]
    assert "S01" in [s.store_id for s in Matcher(pairs).match("白塔晨光小区5栋").suggestions]
    r = Matcher(pairs, place_names=["白塔街道"]).match("白塔晨光小区5栋")
    assert [s.store_id for s in r.suggestions] == ["S02"]
