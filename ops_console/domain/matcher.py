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
- ``fuzzy``: a near spelling of a keyword (one character typed wrong, missing or extra; a
  homophone scores higher than another character), by Levenshtein distance (rapidfuzz).
"""

from __future__ import annotations

import copy
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
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


class _Alt(NamedTuple):
    text: str
    stores: tuple[str, ...]
    keyword: str
    rule: str


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
            if all(h.store_id == first for h in hits):
                return MatchResult(first, True, MatchReason.AUTO, (first,), hits, (), text)
            stores = tuple(sorted({h.store_id for h in hits}))
            reason = MatchReason.AMBIGUOUS
        else:
            stores = ()
            reason = MatchReason.NO_KEYWORD
        suggestions = self.suggest(text, hits) if suggest else ()
        return MatchResult(None, False, reason, stores, hits, suggestions, text)

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
        self.alt_automaton = ahocorasick.Automaton()
        for text in self.alts:
            self.alt_automaton.add_word(text, text)
        if self.alts:
            self.alt_automaton.make_automaton()
        # Fuzzy candidates: every keyword and every non-core alternative of 3+ characters.
        self.fuzzy: list[_Alt] = []
        for kw, stores in keywords.items():
            if len(kw) >= 3:
                self.fuzzy.append(_Alt(kw, stores, kw, "keyword"))
        for text, entries in self.alts.items():
            if len(text) >= 4 and all(rule not in ("core", "store_name") for _, _, rule in entries):
                stores = tuple(sorted({s for s, _, _ in entries}))
                self.fuzzy.append(_Alt(text, stores, entries[0][1], entries[0][2]))
        char_index: dict[str, list[int]] = defaultdict(list)
        # A candidate within edit distance d of a window shares all but d of its distinct characters.
        self.need: list[int] = []
        for i, cand in enumerate(self.fuzzy):
            chars = set(cand.text)
            self.need.append(max(2, len(chars) - (1 if len(cand.text) < 8 else 2)))
            for ch in chars:
                char_index[ch].append(i)
        self.char_index: dict[str, list[int]] = dict(char_index)

    # Each source proposes (store, score, reason, detail); the best per store is kept.
    def suggest(self, text: str, hits: tuple[KeywordHit, ...], learned: _LearnedIndex) -> tuple[Suggestion, ...]:
        if not text:
            return ()
        best: dict[str, Suggestion] = {}
        reasons: dict[str, set[SuggestionReason]] = defaultdict(set)

        def offer(store_id: str, score: float, reason: SuggestionReason, detail: str) -> None:
            reasons[store_id].add(reason)
            cur = best.get(store_id)
            if cur is None or score > cur.score:
                best[store_id] = Suggestion(store_id, round(min(0.99, max(0.0, score)), 3), reason, detail)

        if hits:
            self._from_context(text, hits, offer)
        self._from_learned(text, learned, offer)
        if not hits:
            evidence = self._from_alternatives(text) + self._from_fuzzy(text)
            for e in _outermost(evidence):
                offer(e.store_id, e.score, e.reason, e.detail)

        def rank(s: Suggestion) -> tuple[float, str]:
            # Two different kinds of evidence for one store count a little more than one.
            agree = 0.03 * (len(reasons[s.store_id]) - 1) if s.reason is not SuggestionReason.CONTEXT else 0.0
            return (-(s.score + agree), s.store_id)

        ranked = sorted(best.values(), key=rank)
        # Every store of an ambiguous address is shown; weaker hints only above a floor.
        return tuple(
            s for s in ranked if s.reason is SuggestionReason.CONTEXT or s.score >= MIN_SUGGESTION_SCORE
        )[:MAX_SUGGESTIONS]

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
        if not learned:
            return
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
        if not self.alts:
            return []
        out: list[_Evidence] = []
        for end, v in self.alt_automaton.iter(text):
            start = end - len(v) + 1
            entries = self.alts[v]
            stores = {s for s, _, _ in entries}
            for store_id, kw, rule in entries:
                if rule == "core":
                    score = 0.5 + 0.05 * min(len(v) - 2, 3)
                elif rule == "store_name":
                    score = 0.6
                else:
                    score = 0.8 + 0.02 * min(len(v) - 3, 5)
                if len(stores) > 1:
                    score *= 0.8
                out.append(
                    _Evidence(store_id, score, SuggestionReason.ALTERNATIVE, f"{v} ≈ {kw} ({rule})", start, end + 1)
                )
        return out

    def _from_fuzzy(self, text: str) -> list[_Evidence]:
        if not self.fuzzy:
            return []
        text = text[:FUZZY_MAX_CHARS]
        index = self.char_index
        # How many distinct characters each candidate shares with the address (counted in C).
        counts = Counter(chain.from_iterable(index[ch] for ch in set(text) if ch in index))
        need = self.need
        n = len(text)
        windows: dict[int, list[str]] = {}
        out: list[_Evidence] = []
        for i in [i for i, shared in counts.items() if shared >= need[i]]:
            cand = self.fuzzy[i]
            length = len(cand.text)
            max_d = 1 if length < 8 else 2
            best_d, best_start, best_w = max_d + 1, 0, 0
            # Same length first: a substituted character reads better than a dropped one.
            widths = sorted(range(max(2, length - max_d), length + max_d + 1), key=lambda w: (abs(w - length), w))
            for w in widths:
                if w > n:
                    continue
                if w not in windows:
                    windows[w] = [text[start : start + w] for start in range(n - w + 1)]
                found = process.extractOne(
                    cand.text, windows[w], scorer=Levenshtein.distance, score_cutoff=best_d - 1
                )
                if found is not None and found[1] < best_d:
                    best_d, best_start, best_w = int(found[1]), found[2], w
                    if best_d == 0:
                        break
            if best_d > max_d or best_d == 0:
                continue  # an exact keyword is the rule's business, an exact alternative is found above
            window = text[best_start : best_start + best_w]
            score = 0.3 + 0.6 * (1 - best_d / max(length, best_w))
            if best_w == length:
                score += 0.02  # one character typed wrong (often a homophone) rather than dropped
            if cand.rule != "keyword":
                score -= 0.05
            if len(cand.stores) > 1:
                score *= 0.8
            detail = f"{window} ≈ {cand.keyword}" + ("" if cand.rule == "keyword" else f" ({cand.rule})")
            for store_id in cand.stores:
                out.append(
                    _Evidence(store_id, score, SuggestionReason.FUZZY, detail, best_start, best_start + best_w)
                )
        return out


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
    kept: list[_Evidence] = []
    for e in evidence:
        inside = any(
            o.store_id != e.store_id
            and o.start <= e.start
            and e.end <= o.end
            and (o.end - o.start) > (e.end - e.start)
            and o.score >= e.score
            for o in evidence
        )
        if not inside:
            kept.append(e)
    return kept
