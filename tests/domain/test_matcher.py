"""The matcher: the rule, the suggestions, hostile input, and the scores on two labelled sets."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from ops_console.demo import district
from ops_console.domain.matching import Matcher, MatchReason, MatchResult, Suggestion, SuggestionReason
from ops_console.domain.matching.fuzzy import FuzzyCandidate, FuzzyIndex
from ops_console.domain.matching.results import new_result, new_suggestion

DATA = Path(__file__).resolve().parents[1] / "data"
DATA_SETS = [DATA / "address_dev", DATA / "demo_district", DATA / "qingwu_district"]
SCORE = DATA / "address_dev" / "score.py"


def load_stores(path: Path) -> tuple[list[tuple[str, str]], dict[str, str]]:
    pairs: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            names[row["store_id"]] = row["name"]
            pairs.extend((kw, row["store_id"]) for kw in row["keywords"].split("|") if kw)
    return pairs, names


def load_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score(data_set: Path, predictions: Path) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            str(SCORE),
            str(predictions),
            "--stores",
            str(data_set / "stores.csv"),
            "--addresses",
            str(data_set / "addresses.jsonl"),
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def assert_scores(metrics: dict) -> None:
    assert metrics["wrong_auto"] == 0, metrics["failing_by_category"]
    assert metrics["auto_coverage"] == 1.0, metrics["failing_by_category"]
    assert metrics["suggestion_hit"] >= 0.95, metrics["failing_by_category"]


@pytest.fixture(scope="module")
def dev_matcher() -> Matcher:
    pairs, names = load_stores(DATA / "address_dev" / "stores.csv")
    return Matcher(pairs, store_names=names)


@pytest.mark.parametrize("data_set", DATA_SETS, ids=lambda p: p.name)
def test_scores_on_labelled_sets(data_set: Path, tmp_path: Path) -> None:
    pairs, names = load_stores(data_set / "stores.csv")
    matcher = Matcher(pairs, store_names=names)
    predictions = tmp_path / "predictions.jsonl"
    with predictions.open("w", encoding="utf-8") as f:
        for row in load_rows(data_set / "addresses.jsonl"):
            result = matcher.match(row["address"])
            pred = {"id": row["id"], "store_id": result.store_id, "auto": result.auto, "suggestion": result.suggestion}
            f.write(json.dumps(pred, ensure_ascii=False) + "\n")
    assert_scores(score(data_set, predictions))


@pytest.mark.parametrize("data_set", DATA_SETS, ids=lambda p: p.name)
def test_scores_of_the_match_command(data_set: Path, tmp_path: Path) -> None:
    """The real `ops-console match --stores … --input …`, as a supervisor runs it, scored."""
    predictions = tmp_path / "predictions.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ops_console",
            "match",
            "--stores",
            str(data_set / "stores.csv"),
            "--input",
            str(data_set / "addresses.jsonl"),
            "--output",
            str(predictions),
        ],
        cwd=tmp_path,  # --stores needs no database: nothing may be created here
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == [predictions]
    rows = load_rows(predictions)
    assert len(rows) == len(load_rows(data_set / "addresses.jsonl"))
    assert set(rows[0]) >= {"id", "store_id", "auto", "suggestion", "reason", "keywords"}
    assert_scores(score(data_set, predictions))


def test_match_command_takes_plain_lines_and_arguments(tmp_path: Path) -> None:
    lines = tmp_path / "addresses.txt"
    lines.write_text("金棠花园二期3栋\n\n伴山花园3栋401\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ops_console", "match", "--stores", str(DATA / "address_dev" / "stores.csv"),
         "--input", str(lines), "海棠湾/晴川家园"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    got = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["id"], r["store_id"], r["auto"]) for r in got] == [(1, None, False), (1, "S04", True), (3, None, False)]
    assert got[0]["reason"] == "ambiguous: S08, S10" and got[0]["keywords"] == ["海棠湾", "晴川家园"]
    assert got[1]["reason"] == "auto" and got[1]["keywords"] == ["金棠花园二期"] and got[1]["suggestion"] is None
    assert got[2]["reason"] == "no keyword" and got[2]["suggestion"] == "S21"


def test_demo_data_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    """tests/data/demo_district is reproducible from the demo district with its seed."""
    sys.path.insert(0, str(DATA / "demo_district"))
    try:
        import generate  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    district.write_dataset(tmp_path, seed=generate.SEED)
    for name in ("stores.csv", "addresses.jsonl"):
        assert (tmp_path / name).read_bytes() == (DATA / "demo_district" / name).read_bytes(), name


# -- the rule --------------------------------------------------------------------------------


def test_single_store_is_auto() -> None:
    m = Matcher([("金棠花园", "S03"), ("金棠花园二期", "S04"), ("鸥鹭湾", "S04")])
    r = m.match("浙江省岚州市栖凤区金棠花园二期17号楼2503")
    assert (r.auto, r.store_id, r.reason, r.reason_text()) == (True, "S04", MatchReason.AUTO, "auto")
    assert [(k.keyword, k.store_id, k.start, k.end) for k in r.keywords] == [("金棠花园二期", "S04", 9, 15)]
    assert r.suggestions == () and r.suggestion is None


def test_nested_keyword_inside_a_longer_one_does_not_count_but_counts_elsewhere() -> None:
    m = Matcher([("金棠花园", "S03"), ("金棠花园二期", "S04")])
    r = m.match("金棠花园二期3栋，金棠花园5栋")
    assert not r.auto and r.reason is MatchReason.AMBIGUOUS
    assert r.stores == ("S03", "S04") and r.reason_text() == "ambiguous: S03, S04"
    # A suffix inside a longer keyword does not count either.
    m2 = Matcher([("新桂香苑", "S10"), ("桂香苑", "S09")])
    assert m2.match("新桂香苑3幢").store_id == "S10"
    # Overlapping keywords that are not nested both count.
    m3 = Matcher([("云溪路", "S05"), ("路小学", "S06")])
    assert m3.match("云溪路小学").reason is MatchReason.AMBIGUOUS


def test_no_keyword_and_the_same_store_twice() -> None:
    m = Matcher([("芙蓉街", "S06"), ("玉兰苑", "S06")])
    assert m.match("芙蓉街29号玉兰苑3栋").store_id == "S06"
    r = m.match("合肥市蜀山区光明路136号")
    assert (r.auto, r.store_id, r.reason, r.reason_text()) == (False, None, MatchReason.NO_KEYWORD, "no keyword")


def test_keywords_are_normalized_like_addresses() -> None:
    m = Matcher([("星河SOHO", "S13"), ("春暉家園", "S25"), ("岚创 大厦", "S16")])
    assert m.match("星河ｓｏｈｏ ９层").store_id == "S13"
    assert m.match("春晖家园2栋").store_id == "S25"
    assert m.match("岚创大厦602").store_id == "S16"
    assert m.match("岚创大．厦602").auto is False  # punctuation is not removed


def test_a_keyword_of_two_stores_is_never_auto() -> None:
    m = Matcher([("海棠湾", "S08"), ("海棠灣", "S09")])
    assert m.conflicts == {"海棠湾": ("S08", "S09")}
    assert m.match("海棠湾10幢").reason is MatchReason.AMBIGUOUS


def test_empty_matcher() -> None:
    r = Matcher([]).match("金棠花园")
    assert not r.auto and r.reason is MatchReason.NO_KEYWORD and r.suggestions == ()


# -- suggestions -----------------------------------------------------------------------------


def test_context_ranks_the_ambiguous_stores(dev_matcher: Matcher) -> None:
    pairs = district.keyword_pairs()
    m = Matcher(pairs)
    cases = {
        "明珠广场对面的碧波苑5栋": "S08",
        "碧波苑旁边的明珠大厦3楼": "S07",
        "以前住梨园新村，现在送潇湘苑2号楼1单元1901": "S18",
        "潇湘苑12栋802，不是梨园新村": "S18",
        "清泉小区2栋4单元1501室（揽胜苑旁边）": "S18",
        "揽胜苑公交站下车，清泉小区2栋": "S18",
        "靠近天鹅湾的飞花小区3幢": "S17",
    }
    for address, store in cases.items():
        r = m.match(address)
        assert r.reason is MatchReason.AMBIGUOUS, address
        assert r.suggestion == store, (address, [s.describe() for s in r.suggestions])
        assert {s.store_id for s in r.suggestions} == set(r.stores)  # both stores are shown
        assert r.suggestions[0].reason is SuggestionReason.CONTEXT


def test_fuzzy_and_alternative_forms() -> None:
    m = Matcher(district.keyword_pairs())
    cases = {
        "吴桐苑北区3栋": ("S01", SuggestionReason.FUZZY),  # homophone
        "织造宿舍5-4-1804": ("S15", SuggestionReason.FUZZY),  # a character left out
        "锦鲤一号院3幢": ("S14", SuggestionReason.ALTERNATIVE),  # numerals
        "湖滨二期11栋": ("S19", SuggestionReason.ALTERNATIVE),  # generic word dropped
        # The school abbreviation 柳汀一小 starts with the district's name, which is no evidence: the
        # near spelling of 柳汀区第一小学 (one character) now says more.
        "柳汀一小门卫室": ("S21", SuggestionReason.FUZZY),
        "古渡村27栋": ("S22", SuggestionReason.FUZZY),
        "锦绣·花园二期B座": ("S04", SuggestionReason.FUZZY),  # the longer reading wins
    }
    for address, (store, reason) in cases.items():
        r = m.match(address)
        assert not r.auto and r.reason is MatchReason.NO_KEYWORD, address
        assert r.suggestion == store, (address, [s.describe() for s in r.suggestions])
        assert r.suggestions[0].reason is reason, (address, r.suggestions[0])


def _nearest_by_brute_force(cands: list[FuzzyCandidate], text: str) -> list[tuple[int, int, int, int]]:
    """What the fuzzy index answers, by its definition: every window of each width compared."""
    out = []
    for i, cand in enumerate(cands):
        if len(set(cand.text) & set(text)) < cand.need:
            continue
        best = None
        for width in cand.widths:  # the preferred width first, then left to right
            for start in range(len(text) - width + 1):
                d = Levenshtein.distance(cand.text, text[start : start + width])
                if d <= cand.max_d and (best is None or d < best[0]):
                    best = (d, start, width)
        if best is not None and best[0] > 0:  # found as written: no suggestion
            out.append((i, *best))
    return out


_KEYWORD_CHARS = "金棠花园新村路ab\ue001"  # \ue000-\ue002: where the index takes its placeholder from
_ADDRESS_CHARS = _KEYWORD_CHARS + "栋1 .\ue000\ue002"


@st.composite
def _keywords_and_an_address(draw: st.DrawFn) -> tuple[list[str], str]:
    """Keywords of few characters (often near each other; 8+ characters allow two edits) and an
    address around one of them with up to three characters typed wrong, dropped or added."""
    keyword = st.text(alphabet=_KEYWORD_CHARS, min_size=3, max_size=10)
    keywords = draw(st.lists(keyword, min_size=1, max_size=12))
    typed = list(draw(st.sampled_from(keywords)))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(typed)))
        op = draw(st.sampled_from(["replace", "drop", "add"]))
        if op == "add" or at == len(typed):
            typed.insert(at, draw(st.sampled_from(_ADDRESS_CHARS)))
        elif op == "drop":
            del typed[at]
        else:
            typed[at] = draw(st.sampled_from(_ADDRESS_CHARS))
    around = st.text(alphabet=_ADDRESS_CHARS, max_size=8)
    return keywords, draw(around) + "".join(typed) + draw(around)


@settings(max_examples=400, deadline=None)
@given(_keywords_and_an_address())
def test_fuzzy_index_finds_exactly_the_nearest_windows(case: tuple[list[str], str]) -> None:
    keywords, address = case
    cands = [FuzzyCandidate.of(t, ("S01",), t, "keyword") for t in dict.fromkeys(keywords)]
    index = FuzzyIndex(cands)
    offset, part = index.region(address)
    got = [(i, d, start + offset, width) for i, d, start, width in index.nearest(part)]
    assert got == _nearest_by_brute_force(cands, address)
    assert index.nearest(part) == index.nearest(part)  # a kept answer is the same answer


def test_fuzzy_answers_are_kept_for_addresses_that_differ_only_in_numbers() -> None:
    m = Matcher([("人民南路", "S01"), ("幸福家园", "S02")])
    first, second = m.match("人民路254号"), m.match("人民路16号3楼")
    assert first.suggestion == second.suggestion == "S01"
    assert first.suggestions[0].describe() == second.suggestions[0].describe() == "S01 0.75 fuzzy: 人民路 ≈ 人民南路"
    assert len(m._suggester_box[0].fuzzy_index._cache) == 1


def test_results_are_the_dataclasses_they_look_like() -> None:
    """The matcher sets the fields of its results directly (faster than the frozen __init__)."""
    args = ("S01", True, MatchReason.AUTO, ("S01",), (), (), "金棠花园3栋")
    assert new_result(*args) == MatchResult(*args) and type(new_result(*args)) is MatchResult
    assert repr(new_result(*args)) == repr(MatchResult(*args))
    s_args = ("S01", 0.77, SuggestionReason.FUZZY, "金堂花园 ≈ 金棠花园")
    assert new_suggestion(*s_args) == Suggestion(*s_args)
    with pytest.raises(AttributeError):  # still frozen
        new_result(*args).auto = False  # type: ignore[misc]


def test_normalization_skips_the_table_only_where_it_changes_nothing() -> None:
    """``normalize`` leaves out translate() when no character of the text is in its table (the
    matcher's throughput depends on it): the shortcut's character class is exactly the table."""
    from ops_console.domain import address

    in_class = {cp for cp in range(0x110000) if address._CHANGED_BY_TABLE.fullmatch(chr(cp))}
    assert in_class == set(address._TABLE)


def test_learned_compound_choices() -> None:
    m = Matcher(district.keyword_pairs(), learned={"幸福里": {"S05": 3, "S06": 1}})
    r = m.match("幸福里3栋201")
    assert not r.auto  # never automatic from a suggestion
    assert r.suggestion == "S05" and r.suggestions[0].reason is SuggestionReason.CHOSEN_BEFORE
    assert [s.store_id for s in r.suggestions][:2] == ["S05", "S06"]
    assert m.with_learned({}).match("幸福里3栋201").suggestion is None


def test_suggestions_shape(dev_matcher: Matcher) -> None:
    for row in load_rows(DATA / "address_dev" / "addresses.jsonl"):
        r = dev_matcher.match(row["address"])
        assert len(r.suggestions) <= 3
        assert all(0.0 <= s.score <= 1.0 and s.detail for s in r.suggestions)
        if r.auto:
            assert r.suggestions == () and r.store_id in {k.store_id for k in r.keywords}
        assert len({s.store_id for s in r.suggestions}) == len(r.suggestions)


# -- hostile input -----------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "\t\u3000 \n",
    "测" * 2000,
    "金棠花园" * 600,
    "🏠🏠🏠🚚",
    "\x00\x01\x02\x03\x7f\x9f",
    "'; DROP TABLE orders; --",
    "<script>alert('xss')</script>",
    "13912345678",
    "+86 139-1234-5678",
    "\ud800\udfff",
    "\u202e\u200b\ufeff",
    "null",
    "\ue000\ue001\ue002金棠\ue000花园",  # private-use characters, as the fuzzy index uses them
    "金堂花园" * 500,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(dev_matcher: Matcher, text: str) -> None:
    r = dev_matcher.match(text)
    assert r.auto == (len({k.store_id for k in r.keywords}) == 1)


def _naive_rule(pairs: list[tuple[str, str]], address: str) -> set[str]:
    from ops_console.domain.address import normalize

    text = normalize(address)
    kws = {normalize(k): s for k, s in pairs}
    spans = []
    for kw, sid in kws.items():
        i = text.find(kw)
        while i >= 0:
            spans.append((i, i + len(kw), sid))
            i = text.find(kw, i + 1)
    return {
        sid for (s, e, sid) in spans if not any(a <= s and e <= b and b - a > e - s for (a, b, _) in spans)
    }


_DEMO_PAIRS = district.keyword_pairs()
_DEMO_MATCHER = Matcher(_DEMO_PAIRS)
_PIECES = [kw for kw, _ in _DEMO_PAIRS] + ["3栋", "，不是", "对面的", "號樓", "　", "\x00", "🏠", "ＡＢ", "'", "--"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=5)), max_size=12))
def test_auto_exactly_when_the_rules_find_one_store(parts: list[str]) -> None:
    address = "".join(parts)
    r = _DEMO_MATCHER.match(address)
    stores = _naive_rule(_DEMO_PAIRS, address)
    assert r.auto == (len(stores) == 1)
    if r.auto:
        assert {r.store_id} == stores
    else:
        assert set(r.stores) == (stores if len(stores) > 1 else set())


def test_random_demo_orders_follow_the_rules() -> None:
    rng = random.Random(7)
    for row in district.generate_addresses(rng, 300):
        r = _DEMO_MATCHER.match(row.address)
        assert r.auto == row.expected_auto, row
        if r.auto:
            assert r.store_id == row.expected_store


def test_match_explain_prints_each_candidate_with_evidence_and_weight(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ops_console", "match", "--stores", str(DATA / "qingwu_district" / "stores.csv"),
         "--explain", "福建省澄州市青梧区青梧街道晨光小区3栋", "qingwu shiyan xiaoxue 3栋"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, "OPS_UI__LANGUAGE": "en"},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "1: no keyword; suggested Q01"
    assert "  ✓ Q01 0.77 = 0.77 × weight 1.00  similar spelling: 晨光小区 ≈ 辰光小区, one character" in lines
    # 青梧 (the district's name, shortened from 青梧创客园) is shown, and shown to count for nothing.
    assert any(line.startswith("  · Q01 0.00 = 0.62 × weight 0.00 (a place name is no evidence)") for line in lines)
    assert any("Q09" in line and "in pinyin" in line for line in lines[lines.index(next(x for x in lines if x.startswith("2:"))):])
