"""Address -> store matching: the automatic rule and the suggestions for the manual queue.

The rule (exactly, so that results can be checked against labelled sets):

1. normalize the address (``ops_console.domain.address.normalize``), keywords the same way;
2. find every keyword in it (one Aho-Corasick automaton, pyahocorasick);
3. a found keyword whose span lies inside a longer found keyword's span does not count (the same
   keyword found again elsewhere counts there);
4. the counted keywords all belong to one store -> automatic assignment; two or more stores ->
   ``ambiguous``; none -> ``no_keyword``. Both go to the manual queue.

For a manual row the matcher proposes up to three stores, each with a score in 0..1 and its
reason, and never applies them itself:

- ``context``: the ambiguous stores ranked by the wording around their keywords (the keyword
  followed by a building number is where the parcel goes; one after 不是 / 以前住 or before
  对面 / 旁边 / 附近 / 公交站 / 往东走 is a landmark or a correction);
- ``chosen_before``: stores dispatchers chose before for the same compound name;
- ``alternative``: a general alternative form of a keyword (numerals, abbreviations, a generic
  word dropped; see ``keyword_variants``);
- ``fuzzy``: a near spelling of a keyword or of such a form (one character typed wrong, missing
  or extra; two from 8 characters on; a character typed wrong scores higher than one missing),
  by Levenshtein distance. The near windows are found through automata of every keyword with one
  character dropped or replaced by a placeholder (``_FuzzyIndex``), not by comparing the address
  with every keyword, and the answers for recent addresses are kept: suggestions cost little more
  than the rule itself (``bench/match.py``).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import ahocorasick
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ops_console.domain.address import keyword_variants, normalize, normalize_keyword, propose_keyword

MAX_SUGGESTIONS = 3
# Fuzzy matching looks at the first characters only: real addresses are far shorter, and this
# bounds the work on hostile 2,000-character input (the rule itself always reads all of it).
FUZZY_MAX_CHARS = 160
MIN_SUGGESTION_SCORE = 0.3
# Fuzzy answers a matcher keeps, one per address shape (emptied when full; see _FuzzyIndex.nearest).
FUZZY_CACHE_SIZE = 4096


class MatchReason(StrEnum):
    AUTO = "auto"
    AMBIGUOUS = "ambiguous"
    NO_KEYWORD = "no_keyword"


class SuggestionReason(StrEnum):
    KEYWORD = "keyword"  # the rules find exactly this store (an order queued before its keyword existed)
    CONTEXT = "context"
    CHOSEN_BEFORE = "chosen_before"
    ALTERNATIVE = "alternative"
    FUZZY = "fuzzy"


class KeywordHit(NamedTuple):
    """A counted keyword: the normalized keyword, its store, its span in the normalized address."""

    keyword: str
    store_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    store_id: str
    score: float
    reason: SuggestionReason
    detail: str = ""

    def describe(self) -> str:
        return f"{self.store_id} {self.score:.2f} {self.reason.value}: {self.detail}".rstrip(": ")


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What the rule decided for one address, and the suggestions when it went to the manual queue.

    ``store_id`` is set only when ``auto``; ``stores`` are the stores of the counted keywords
    (one when auto, two or more when ambiguous, none otherwise).
    """

    store_id: str | None
    auto: bool
    reason: MatchReason
    stores: tuple[str, ...]
    keywords: tuple[KeywordHit, ...]
    suggestions: tuple[Suggestion, ...] = ()
    normalized: str = ""

    @property
    def suggestion(self) -> str | None:
        """The top suggestion's store (None for automatic rows and when nothing fits)."""
        return self.suggestions[0].store_id if self.suggestions else None

    @property
    def keyword(self) -> str | None:
        """The first counted keyword (the one recorded with an automatic assignment)."""
        return self.keywords[0].keyword if self.keywords else None

    def reason_text(self) -> str:
        """``auto``, ``ambiguous: S03, S04`` or ``no keyword`` (kept with the order for the console)."""
        if self.reason is MatchReason.AMBIGUOUS:
            return "ambiguous: " + ", ".join(self.stores)
        if self.reason is MatchReason.NO_KEYWORD:
            return "no keyword"
        return "auto"


# A frozen dataclass's __init__ sets each field through object.__setattr__. The matcher makes a
# result for every address and a few suggestions for every manual row, so it sets the slots
# directly instead: the same objects (equal to ``MatchResult(...)`` / ``Suggestion(...)``) at
# about half the cost. Unpacking the fields fails at import if a field is added or removed.
def _result_maker() -> Callable[..., MatchResult]:
    s_store_id, s_auto, s_reason, s_stores, s_keywords, s_suggestions, s_normalized = (
        getattr(MatchResult, f.name).__set__ for f in dataclasses.fields(MatchResult)
    )
    new = object.__new__

    def make(
        store_id: str | None,
        auto: bool,
        reason: MatchReason,
        stores: tuple[str, ...],
        keywords: tuple[KeywordHit, ...],
        suggestions: tuple[Suggestion, ...],
        normalized: str,
    ) -> MatchResult:
        result = new(MatchResult)
        s_store_id(result, store_id)
        s_auto(result, auto)
        s_reason(result, reason)
        s_stores(result, stores)
        s_keywords(result, keywords)
        s_suggestions(result, suggestions)
        s_normalized(result, normalized)
        return result

    return make


def _suggestion_maker() -> Callable[..., Suggestion]:
    s_store_id, s_score, s_reason, s_detail = (
        getattr(Suggestion, f.name).__set__ for f in dataclasses.fields(Suggestion)
    )
    new = object.__new__

    def make(store_id: str, score: float, reason: SuggestionReason, detail: str) -> Suggestion:
        suggestion = new(Suggestion)
        s_store_id(suggestion, store_id)
        s_score(suggestion, score)
        s_reason(suggestion, reason)
        s_detail(suggestion, detail)
        return suggestion

    return make


_new_result = _result_maker()
_new_suggestion = _suggestion_maker()


# ----------------------------------------------------------------------------------------------
# Context of a keyword inside an address (ranking the stores of an ambiguous address)
# ----------------------------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[，,。；;、/|（）()\[\]【】!！?？:：~～]")
_BUILDING_AFTER = re.compile(
    r"^[-_]?(?:[\da-z一二三四五六七八九十]{1,5}(?:号楼|栋|幢|座|单元|室|楼|层|号院)|\d+-\d|\d{3,}|[a-z]区?\d)"
)
_STREET_NUMBER_AFTER = re.compile(r"^\d{1,5}(?:-\d+)?号")
_RELATION_AFTER = re.compile(
    r"^(?:的)?(?:斜?对面|旁边|旁|隔壁|附近|边上|周边|周围|往|向|朝|沿|后面|后边|前面|前边|背后|出来|"
    r"[东南西北](?:侧|边|面|门)|[后正侧大]门|公交站|地铁站|车站|站|路口|门口|那边|这边|出发|走|方向|过去|过来|"
    r"进去|进来|出口|入口|中间|之间|交界)"
)
# Two places named as alternatives: the customer has to be asked.
_ALTERNATIVE_AFTER = re.compile(r"^(?:或者?|还是|/|和|与|跟|及|、)")
_ALTERNATIVE_BEFORE = re.compile(r"(?:或者?|还是|/|和|与|跟|及|、)$")
_NEGATION_BEFORE = re.compile(
    r"(?:不是|别送到?|不要送到?|不送|不在|非|以前住?|原来住?|之前住?|曾经住?|原住|原地址|旧地址|搬离|搬出)[^，,。；;]*$"
)
_DELIVER_BEFORE = re.compile(
    r"(?:现在送|现住|送到|送至|送货到|寄到|寄至|请送|改送|改到|改为|改成|新地址|收货地址|地址是|地址为|住在)[^，,。；;]*$"
)
_LANDMARK_BEFORE = re.compile(r"(?:靠近|临近|挨着|紧挨着?|紧邻|毗邻|距离?|经过|路过|过了|穿过|沿着|近|从|由|出了)$")


def _context_score(text: str, hit_start: int, hit_end: int) -> tuple[float, str]:
    """How likely the parcel goes to this keyword's place, from the words around it."""
    score = 0.5
    notes: list[str] = []
    after = text[hit_end : hit_end + 12]
    clause_start = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, hit_start):
        clause_start = m.end()
    before = text[clause_start:hit_start]
    if _BUILDING_AFTER.match(after):
        score += 0.3
        notes.append("followed by a building / room number")
    elif _STREET_NUMBER_AFTER.match(after):
        score += 0.12
        notes.append("followed by a house number")
    if _RELATION_AFTER.match(after):
        score -= 0.3
        notes.append("used as a landmark (" + after[:3] + "…)")
    if _ALTERNATIVE_AFTER.match(after) or _ALTERNATIVE_BEFORE.search(text[max(0, hit_start - 2) : hit_start]):
        score -= 0.1
        notes.append("named together with another place")
    if _LANDMARK_BEFORE.search(before):
        score -= 0.3
        notes.append("used as a landmark (" + before[-2:] + "…)")
    if _NEGATION_BEFORE.search(before):
        score -= 0.45
        notes.append("after a negation or a former address")
    elif _DELIVER_BEFORE.search(before):
        score += 0.2
        notes.append("after 'deliver to'")
    # Inside parentheses: a note about the address rather than the address.
    if text.count("(", 0, hit_start) + text.count("（", 0, hit_start) > text.count(")", 0, hit_start) + text.count(
        "）", 0, hit_start
    ):
        score -= 0.15
        notes.append("inside parentheses")
    return min(0.95, max(0.05, score)), "; ".join(notes)


# ----------------------------------------------------------------------------------------------
# The matcher
# ----------------------------------------------------------------------------------------------


class Matcher:
    """An immutable matcher over ``(keyword, store_id)`` pairs; build a new one when keywords change.

    ``learned`` maps a normalized compound name to the stores dispatchers chose for it, with counts.
    A keyword that normalizes to the same text for two stores counts for both (so an address that
    contains it is ambiguous): precision first.
    """

    def __init__(
        self,
        keywords: Iterable[tuple[str, str]],
        *,
        store_names: Mapping[str, str] | None = None,
        learned: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        by_kw: dict[str, list[str]] = {}
        for raw, store_id in keywords:
            kw = normalize_keyword(raw)
            if not kw:
                continue
            stores = by_kw.setdefault(kw, [])
            if store_id not in stores:
                stores.append(store_id)
        self._stores_of: dict[str, tuple[str, ...]] = {k: tuple(sorted(v)) for k, v in by_kw.items()}
        self.conflicts: dict[str, tuple[str, ...]] = {k: v for k, v in self._stores_of.items() if len(v) > 1}
        self.store_names: dict[str, str] = dict(store_names or {})
        self._automaton = ahocorasick.Automaton()
        for kw, stores in self._stores_of.items():
            self._automaton.add_word(kw, (kw, stores, len(kw)))
        self._empty = not self._stores_of
        if not self._empty:
            self._automaton.make_automaton()
        self._learned = _LearnedIndex(learned or {})
        # The suggestion indexes, built on the first manual row and shared with with_learned() copies.
        self._suggester_box: list[_Suggester] = []

    @property
    def learned(self) -> dict[str, dict[str, int]]:
        """Normalized compound name -> {store: times dispatchers chose it}."""
        return self._learned.choices

    @property
    def keyword_count(self) -> int:
        return len(self._stores_of)

    def stores_of(self, keyword: str) -> tuple[str, ...]:
        """The stores a keyword (normalized here) belongs to, empty when it is not a keyword."""
        return self._stores_of.get(normalize_keyword(keyword), ())

    # -- the rule ---------------------------------------------------------------------------
    def find(self, normalized: str) -> tuple[KeywordHit, ...]:
        """The counted keywords in an already normalized address, in order of position."""
        if self._empty or not normalized:
            return ()
        found = list(self._automaton.iter(normalized))
        if not found:
            return ()
        if len(found) == 1:
            end, (kw, stores, length) = found[0]
            if len(stores) == 1:  # the common case, without a generator
                return (KeywordHit(kw, stores[0], end - length + 1, end + 1),)
            return tuple(KeywordHit(kw, s, end - length + 1, end + 1) for s in stores)
        spans = sorted(((end - length + 1, end + 1, kw, stores) for end, (kw, stores, length) in found),
                       key=lambda t: (t[0], -t[1]))
        hits: list[KeywordHit] = []
        max_end = -1
        for start, end, kw, stores in spans:
            if end <= max_end:
                continue  # inside a longer keyword found at the same or an earlier position
            max_end = end
            hits.extend(KeywordHit(kw, s, start, end) for s in stores)
        return tuple(hits)

    def match(self, address: str, *, suggest: bool = True) -> MatchResult:
        """Apply the rule to one address; suggestions for a manual row unless ``suggest`` is off."""
        text = normalize(address) if isinstance(address, str) else ""
        hits = self.find(text)
        if hits:
            first = hits[0].store_id
            if len(hits) == 1 or all(h.store_id == first for h in hits):
                return _new_result(first, True, MatchReason.AUTO, (first,), hits, (), text)
            stores = tuple(sorted({h.store_id for h in hits}))
            reason = MatchReason.AMBIGUOUS
        else:
            stores = ()
            reason = MatchReason.NO_KEYWORD
        suggestions = self.suggest(text, hits) if suggest else ()
        return _new_result(None, False, reason, stores, hits, suggestions, text)

    # -- suggestions --------------------------------------------------------------------------
    def suggest(self, normalized: str, hits: tuple[KeywordHit, ...] | None = None) -> tuple[Suggestion, ...]:
        """Up to three stores for a manual row of an already normalized address, best first."""
        if not self._suggester_box:
            self._suggester_box.append(_Suggester(self))
        if hits is None:
            hits = self.find(normalized)
        try:
            return self._suggester_box[0].suggest(normalized, hits, self._learned)
        except Exception:  # pragma: no cover - a suggestion must never break intake
            return ()

    def with_learned(self, learned: Mapping[str, Mapping[str, int]]) -> Matcher:
        """A matcher with the same keywords and these learned compound choices (cheap: the
        automaton and the suggestion indexes are shared)."""
        twin = copy.copy(self)
        twin._learned = _LearnedIndex(learned)
        return twin


class _LearnedIndex:
    """Dispatchers' choices per normalized compound name, and an automaton to find the names."""

    def __init__(self, learned: Mapping[str, Mapping[str, int]]) -> None:
        choices: dict[str, dict[str, int]] = {}
        for compound, per_store in learned.items():
            key = normalize_keyword(compound)
            if not key:
                continue
            slot = choices.setdefault(key, {})
            for store_id, count in per_store.items():
                if count > 0:
                    slot[store_id] = slot.get(store_id, 0) + int(count)
        self.choices: dict[str, dict[str, int]] = {k: v for k, v in choices.items() if v}
        self.automaton: ahocorasick.Automaton | None = None
        if self.choices:
            self.automaton = ahocorasick.Automaton()
            for key in self.choices:
                self.automaton.add_word(key, key)
            self.automaton.make_automaton()


class _Suggester:
    """Indexes for the suggestions, built on the first manual row (the automatic path never needs them)."""

    def __init__(self, matcher: Matcher) -> None:
        self.m = matcher
        alts: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        keywords = matcher._stores_of
        for kw, stores in keywords.items():
            for variant, rule in keyword_variants(kw):
                if variant in keywords:
                    continue  # the rule itself already reads it as that keyword
                for s in stores:
                    alts[variant].append((s, kw, rule))
        for store_id, name in matcher.store_names.items():
            short = re.sub(r"(?:门店|便利店|超市|生鲜店|社区店|店)$", "", normalize_keyword(name))
            if len(short) >= 2 and short not in keywords:
                alts[short].append((store_id, name, "store_name"))
        self.alts: dict[str, list[tuple[str, str, str]]] = dict(alts)
        # Each alternative form with what it proposes: its length and (store, score, detail)s.
        self.alt_automaton = _automaton(
            {v: (len(v), _alternative_offers(v, entries)) for v, entries in self.alts.items()}
        )
        # Fuzzy candidates: every keyword of 3+ characters and every alternative of 4+ characters
        # other than a bare proper name (core) or a store's name.
        self.fuzzy: list[_FuzzyCandidate] = []
        for kw, stores in keywords.items():
            if len(kw) >= 3:
                self.fuzzy.append(_FuzzyCandidate.of(kw, stores, kw, "keyword"))
        for text, entries in self.alts.items():
            if len(text) >= 4 and all(rule not in ("core", "store_name") for _, _, rule in entries):
                stores = tuple(sorted({s for s, _, _ in entries}))
                self.fuzzy.append(_FuzzyCandidate.of(text, stores, entries[0][1], entries[0][2]))
        self.fuzzy_index = _FuzzyIndex(self.fuzzy)

    # Each source proposes (store, score, reason, detail); the best per store is kept.
    def suggest(self, text: str, hits: tuple[KeywordHit, ...], learned: _LearnedIndex) -> tuple[Suggestion, ...]:
        if not text:
            return ()
        best: dict[str, tuple[float, SuggestionReason, str]] = {}  # store -> (score, reason, detail)
        reasons: dict[str, set[SuggestionReason]] = defaultdict(set)

        def offer(store_id: str, score: float, reason: SuggestionReason, detail: str) -> None:
            reasons[store_id].add(reason)
            cur = best.get(store_id)
            if cur is None or score > cur[0]:
                best[store_id] = (round(min(0.99, max(0.0, score)), 3), reason, detail)

        if hits:
            self._from_context(text, hits, offer)
        if learned.choices:
            self._from_learned(text, learned, offer)
        if not hits:
            for e in _outermost(self._from_alternatives(text) + self._from_fuzzy(text)):
                offer(e.store_id, e.score, e.reason, e.detail)

        context = SuggestionReason.CONTEXT
        ranked = sorted(
            # Two different kinds of evidence for one store count a little more than one.
            (-(score + (0.03 * (len(reasons[store_id]) - 1) if reason is not context else 0.0)), store_id)
            for store_id, (score, reason, _) in best.items()
        )
        # Every store of an ambiguous address is shown; weaker hints only above a floor.
        shown = (
            _new_suggestion(store_id, *best[store_id])
            for _, store_id in ranked
            if best[store_id][1] is context or best[store_id][0] >= MIN_SUGGESTION_SCORE
        )
        return tuple(itertools.islice(shown, MAX_SUGGESTIONS))

    def _from_context(self, text: str, hits: tuple[KeywordHit, ...], offer: _Offer) -> None:
        per_store: dict[str, tuple[float, str, str, int]] = {}
        for h in hits:
            score, note = _context_score(text, h.start, h.end)
            cur = per_store.get(h.store_id)
            if cur is None or score > cur[0] or (score == cur[0] and h.start > cur[3]):
                per_store[h.store_id] = (score, h.keyword, note, h.start)
        # Equal evidence: the keyword named last is usually where the parcel goes (a landmark or
        # a route comes first); a small tie-break only.
        order = sorted(per_store.items(), key=lambda kv: kv[1][3])
        for rank, (store_id, (score, kw, note, _)) in enumerate(order):
            detail = f"{kw}" + (f" ({note})" if note else "")
            offer(store_id, score + 0.01 * rank, SuggestionReason.CONTEXT, detail)

    def _from_learned(self, text: str, index: _LearnedIndex, offer: _Offer) -> None:
        learned = index.choices
        seen: set[str] = set()
        compound = propose_keyword(text)
        if compound and compound in learned:
            seen.add(compound)
        if index.automaton is not None:
            for _, key in index.automaton.iter(text):
                seen.add(key)
        for key in seen:
            choices = learned[key]
            total = sum(choices.values())
            for store_id, count in choices.items():
                share = count / total
                confidence = 1 - 1 / (count + 1)
                offer(
                    store_id,
                    0.55 + 0.4 * share * confidence,
                    SuggestionReason.CHOSEN_BEFORE,
                    f"{key}: chosen {count} of {total} times",
                )

    def _from_alternatives(self, text: str) -> list[_Evidence]:
        if self.alt_automaton is None:
            return []
        return [
            _Evidence(store_id, score, SuggestionReason.ALTERNATIVE, detail, end - length + 1, end + 1)
            for end, (length, offers) in self.alt_automaton.iter(text)
            for store_id, score, detail in offers
        ]

    def _from_fuzzy(self, text: str) -> list[_Evidence]:
        offset, text = self.fuzzy_index.region(text[:FUZZY_MAX_CHARS])
        out: list[_Evidence] = []
        for i, distance, start, width in self.fuzzy_index.nearest(text):
            cand = self.fuzzy[i]
            score = cand.score(distance, width)
            detail = text[start : start + width] + cand.detail
            start += offset
            for store_id in cand.stores:
                out.append(_Evidence(store_id, score, SuggestionReason.FUZZY, detail, start, start + width))
        return out


class _FuzzyCandidate(NamedTuple):
    """A text the fuzzy search looks for: a keyword, or an alternative form of one."""

    text: str
    stores: tuple[str, ...]
    keyword: str
    rule: str
    max_d: int  # edits allowed: one, two from 8 characters on
    distinct: int  # distinct characters
    need: int  # distinct characters of it an address must contain (see ``of``)
    widths: tuple[int, ...]  # of the windows it is compared with, the preferred first
    detail: str  # what follows the window in a suggestion's detail: " ≈ keyword (rule)"

    @classmethod
    def of(cls, text: str, stores: tuple[str, ...], keyword: str, rule: str) -> _FuzzyCandidate:
        max_d = 1 if len(text) < 8 else 2
        distinct = len(set(text))
        # One shared character says nothing: at least two (and a window within max_d edits keeps
        # all but max_d of the distinct characters anyway).
        need = max(2, distinct - max_d)
        detail = f" ≈ {keyword}" + ("" if rule == "keyword" else f" ({rule})")
        widths = _window_widths(len(text), max_d)
        return cls(text, stores, keyword, rule, max_d, distinct, need, widths, detail)

    @property
    def counts_characters(self) -> bool:
        """Whether ``need`` asks for more than being within ``max_d`` edits already implies
        (candidates with very few distinct characters, "金金苑")."""
        return self.need > self.distinct - self.max_d

    def score(self, distance: int, width: int) -> float:
        """The suggestion's score for a window of ``width`` characters ``distance`` edits away."""
        length = len(self.text)
        score = 0.3 + 0.6 * (1 - distance / max(length, width))
        if width == length:
            score += 0.02  # one character typed wrong (often a homophone) rather than dropped
        if self.rule != "keyword":
            score -= 0.05
        if len(self.stores) > 1:
            score *= 0.8
        return score


@functools.cache
def _window_widths(length: int, max_d: int) -> tuple[int, ...]:
    """The widths of the windows a candidate is compared with: the same width first (a
    substituted character reads better than a dropped one), then shorter before longer; at least 2."""
    widths = range(max(2, length - max_d), length + max_d + 1)
    return tuple(sorted(widths, key=lambda w: (abs(w - length), w)))


_EXACT = -1  # an entry of a candidate found as written: no suggestion from it


class _FuzzyIndex:
    """For an address, the fuzzy candidates within their edits of a window of it, and that window.

    What is looked for, per candidate of ``L`` characters allowed ``max_d`` edits: the window of
    the address at the smallest edit distance, 1..max_d (a candidate found as written gives no
    suggestion), the first of them in the order of ``widths`` and then from left to right; and
    only where the address has at least ``need`` of the candidate's distinct characters. Found
    without comparing the address with every candidate:

    - Short candidates (one edit): a window one edit away is the candidate with one character
      dropped (width L - 1), typed wrong (L) or added (L + 1). ``_as_written`` holds every
      candidate as written and with each character dropped, and is run over the address;
      ``_one_changed`` holds every candidate with each character replaced by a placeholder, and
      with a placeholder put between two of its characters, and is run over copies of the address
      with one character after another replaced by the placeholder. Every hit is a window one
      edit away (or the candidate itself) and every such window is a hit, so the hits are the
      answer: two Aho-Corasick passes in C instead of one comparison per candidate.
    - Long candidates (two edits): a window two edits away keeps one of three pieces of the
      candidate intact; ``_pieces`` finds the candidates with a piece in the address, and those are
      compared with every window of their widths (rapidfuzz).
    """

    def __init__(self, candidates: list[_FuzzyCandidate]) -> None:
        self._candidates = candidates
        used = {ch for cand in candidates for ch in cand.text}
        alphabet = sorted(used)
        # Three characters no candidate has: the placeholder, the separator (which also stands for
        # every character no candidate has, see ``nearest``) and one the texts searched never have.
        private_use = itertools.chain(range(0xE000, 0xF900), range(0xF0000, 0xFFFFE))
        spare = (chr(cp) for cp in private_use if chr(cp) not in used)
        self._wild, self._sep, never = next(spare), next(spare), next(spare)
        # Pattern -> the candidates it stands for, each with the rank of the window's width among
        # the candidate's ``widths`` (or _EXACT): i, rank, i, rank, ...
        as_written: dict[str, list[int]] = defaultdict(list)
        one_changed: dict[str, list[int]] = defaultdict(list)
        pieces: dict[str, list[int]] = defaultdict(list)  # pattern -> candidates
        wild = self._wild
        for i, cand in enumerate(candidates):
            if cand.need > cand.distinct:
                continue  # too few distinct characters ever to be compared ("aaa")
            text, length = cand.text, len(cand.text)
            if cand.max_d == 1:
                rank = {w: r for r, w in enumerate(cand.widths)}
                _file(as_written, text, i, _EXACT)
                for k in range(length):
                    _file(as_written, text[:k] + text[k + 1 :], i, rank[length - 1])
                    _file(one_changed, text[:k] + wild + text[k + 1 :], i, rank[length])
                for k in range(1, length):
                    _file(one_changed, text[:k] + wild + text[k:], i, rank[length + 1])
            else:
                cuts = [round(length * j / (cand.max_d + 1)) for j in range(cand.max_d + 2)]
                for a, b in itertools.pairwise(cuts):
                    if i not in pieces[text[a:b]][-1:]:
                        pieces[text[a:b]].append(i)
        # Values: (width, i, rank, i, rank, ...). The separator is the most common character of
        # the texts searched.
        first = self._sep
        self._as_written = _automaton(
            {p: (len(p), *entries) for p, entries in as_written.items()}, first=first, never=never
        )
        self._one_changed = _automaton(
            {p: (len(p), *entries) for p, entries in one_changed.items()}, first=first + wild, never=never
        )
        self._pieces = _automaton({p: tuple(ids) for p, ids in pieces.items()}, first=first, never=never)
        # How far a window one edit away reaches on either side of its edit.
        self._reach = max((len(cand.text) - 1 for cand in candidates if cand.max_d == 1), default=0)
        # Candidates whose distinct characters are counted as well (see ``counts_characters``).
        self._counting = frozenset(i for i, cand in enumerate(candidates) if cand.counts_characters)
        # Characters no candidate has can only be edited away: a window within max_d edits of a
        # candidate holds at most max_d of them, and at least one character some candidate has.
        self._max_d = max((cand.max_d for cand in candidates), default=0)
        escaped = "".join(re.escape(ch) for ch in alphabet)
        some = f"[{escaped}]" if alphabet else "(?!)"  # (?!) never matches: no candidates
        self._first = re.compile(some)
        self._last = re.compile(f"(?s).*({some})")
        self._other = re.compile(f"[^{escaped}]" if alphabet else "(?s).")
        self._cache: dict[str, tuple[tuple[int, int, int, int], ...]] = {}

    def region(self, text: str) -> tuple[int, str]:
        """``(offset, part)``: the part of ``text`` any near window lies in, from ``max_d``
        characters before the first character some candidate has to ``max_d`` after the last (a
        building number or a note after the name is left out); empty when there is none."""
        first = self._first.search(text)
        last = self._last.match(text)
        if first is None or last is None:
            return 0, ""
        start = max(0, first.start() - self._max_d)
        return start, text[start : last.end(1) + self._max_d]

    def nearest(self, text: str) -> tuple[tuple[int, int, int, int], ...]:
        """``(candidate, distance, start, width)`` for every candidate within 1..max_d edits of a
        window of ``text`` (see the class), in the order of the candidates."""
        if not text:
            return ()
        # Characters no candidate has all read alike (none is ever matched), so one stands for all
        # of them: "人民路254号" and "人民路16号" ask the same question. Recent answers are kept.
        key = self._other.sub(self._sep, text)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= FUZZY_CACHE_SIZE:
                self._cache.clear()
            found = self._cache[key] = tuple(self._nearest(key))
        return found

    def _nearest(self, text: str) -> list[tuple[int, int, int, int]]:
        best: dict[int, tuple[int, int, int]] = {}  # candidate -> (rank of the width, start, width)

        def keep(value: tuple[int, ...], end: int) -> None:
            entries = iter(value)
            width = next(entries)
            start = end - width + 1
            for i, rank in zip(entries, entries, strict=True):
                cur = best.get(i)
                if cur is None or (rank, start) < cur[:2]:
                    best[i] = (rank, start, width)

        if self._as_written is not None:
            for end, value in self._as_written.iter(text):
                keep(value, end)
        if self._one_changed is not None:
            # Piece j: the ``size`` characters around character j (a window one edit away from a
            # candidate reaches at most ``_reach`` to either side of its edit), that character
            # replaced by the placeholder; the pieces one after another, separated.
            n, h = len(text), self._reach
            size = min(n, 2 * h + 1)
            # Where piece j starts: h before j, but inside the text.
            firsts = [0] * n if size == n else [0] * h + list(range(n - 2 * h)) + [n - size] * h
            masked = self._sep.join(
                [text[a:j] + self._wild + text[j + 1 : a + size] for j, a in enumerate(firsts)]
            )
            for end, value in self._one_changed.iter(masked):
                j, at = divmod(end, size + 1)
                keep(value, firsts[j] + at)
        found = [(i, 1, start, width) for i, (rank, start, width) in best.items() if rank != _EXACT]
        if self._pieces is not None:
            long_ones = {i for _, ids in self._pieces.iter(text) for i in ids}
            found.extend(self._compare(text, sorted(long_ones)))
        if self._counting:
            chars = set(text)
            found = [f for f in found if self._has_enough(f[0], chars)]
        found.sort()
        return found

    def _has_enough(self, i: int, chars: set[str]) -> bool:
        """Whether candidate ``i`` has ``need`` of its distinct characters among ``chars`` (only
        asked where being within its edits does not already say so)."""
        cand = self._candidates[i]
        return i not in self._counting or len(chars.intersection(cand.text)) >= cand.need

    def _compare(self, text: str, ids: list[int]) -> Iterator[tuple[int, int, int, int]]:
        """The nearest window of each of these candidates, by rapidfuzz over every window."""
        n = len(text)
        windows_for: dict[tuple[int, ...], list[str]] = {}
        for i in ids:
            cand = self._candidates[i]
            widths = cand.widths
            windows = windows_for.get(widths)
            if windows is None:
                windows = windows_for[widths] = [text[s : s + w] for w in widths for s in range(n - w + 1)]
            # The nearest window, the first one on a tie; None when all are further than max_d.
            found = process.extractOne(
                cand.text, windows, scorer=Levenshtein.distance, score_cutoff=cand.max_d
            )
            if found is not None and found[1] > 0:
                start, width = _window_at(n, widths, found[2])
                yield i, int(found[1]), start, width


def _alternative_offers(v: str, entries: list[tuple[str, str, str]]) -> tuple[tuple[str, float, str], ...]:
    """(store, score, detail) for each entry of an alternative form found in an address."""
    stores = {s for s, _, _ in entries}
    offers: list[tuple[str, float, str]] = []
    for store_id, kw, rule in entries:
        if rule == "core":
            score = 0.5 + 0.05 * min(len(v) - 2, 3)
        elif rule == "store_name":
            score = 0.6
        else:
            score = 0.8 + 0.02 * min(len(v) - 3, 5)
        if len(stores) > 1:
            score *= 0.8
        offers.append((store_id, score, f"{v} ≈ {kw} ({rule})"))
    return tuple(offers)


def _automaton(
    words: Mapping[str, object], *, first: str = "", never: str = ""
) -> ahocorasick.Automaton | None:
    """An Aho-Corasick automaton of ``words`` (None when there are none).

    pyahocorasick looks a character up among a node's children one after another, in the order
    they were added, and every character that does not continue a match is looked up among the
    root's children (one for each character a word starts with). So the words go in by how many of
    them start with their first character, the most common first, after ``first``: characters put
    at the very front through words that end in ``never``, a character the texts searched never
    have, so that these words are never found.
    """
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for ch in first:
        automaton.add_word(ch + never, None)
    by_start: dict[str, list[str]] = defaultdict(list)
    for word in words:
        by_start[word[0]].append(word)
    for group in sorted(by_start.values(), key=len, reverse=True):
        for word in group:
            automaton.add_word(word, words[word])
    automaton.make_automaton()
    return automaton


def _file(table: dict[str, list[int]], pattern: str, i: int, rank: int) -> None:
    """Files candidate ``i`` (with ``rank``) under ``pattern``, once: a candidate can give the same
    pattern twice ("aab" without either "a"), and its patterns are filed one after another."""
    entries = table[pattern]
    if entries[-2:-1] != [i]:
        entries += (i, rank)


def _window_at(n: int, widths: tuple[int, ...], i: int) -> tuple[int, int]:
    """(start, width) of window ``i`` when every window of each width of a text of ``n``
    characters is listed, width after width, left to right."""
    for w in widths:
        count = max(0, n - w + 1)
        if i < count:
            return i, w
        i -= count
    raise IndexError(i)


class _Evidence(NamedTuple):
    store_id: str
    score: float
    reason: SuggestionReason
    detail: str
    start: int
    end: int


_Offer = Callable[[str, float, SuggestionReason, str], None]


def _outermost(evidence: list[_Evidence]) -> list[_Evidence]:
    """Evidence not lying inside a longer, at least as strong piece for another store.

    The same idea as the rule's nested keywords: "锦绣·花园二期" read as 锦绣花园二期 also
    contains a reading as 锦绣花园; the longer reading wins.
    """
    if len(evidence) < 2:
        return evidence
    longest_first = sorted(evidence, key=lambda o: o.start - o.end)
    kept: list[_Evidence] = []
    for e in evidence:
        length = e.end - e.start
        for o in longest_first:
            if o.end - o.start <= length:
                kept.append(e)  # no longer reading contains it
                break
            if o.start <= e.start and e.end <= o.end and o.store_id != e.store_id and o.score >= e.score:
                break  # inside a longer, at least as strong reading for another store
    return kept
