"""Suggestions for a row of the manual queue: up to three stores, each with a score and its reason.

The matcher proposes them and never applies them itself:

- ``context``: the ambiguous stores ranked by the wording around their keywords (``context.py``);
- ``chosen_before``: stores dispatchers chose before for the same compound name;
- ``alternative``: a general alternative form of a keyword (numerals, abbreviations, a generic
  word dropped; see ``address.keyword_variants``);
- ``fuzzy``: a near spelling of a keyword or of such a form (``fuzzy.py``); a character typed
  wrong scores higher than one missing;
- ``pinyin``: the Latin part of the address spells a keyword in pinyin (``pinyin.py``).

Alternative forms, fuzzy and pinyin matches are weighted by how much their text says about one
store (``evidence.py``): a place name of the service area says nothing.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick

from ops_console.domain.address import (
    admin_prefix,
    keyword_variants,
    normalize_keyword,
    place_name_forms,
    place_names_in_keyword,
    propose_keyword,
)
from ops_console.domain.matching.context import context_score
from ops_console.domain.matching.evidence import (
    FULL,
    MIN_ADDRESSES,
    AddressStats,
    Weight,
    beyond_place_name,
    keyword_share_weight,
    share_weight,
    span_beyond_prefix,
    specificity,
)
from ops_console.domain.matching.fuzzy import FuzzyCandidate, FuzzyIndex, automaton
from ops_console.domain.matching.pinyin import PinyinIndex
from ops_console.domain.matching.results import (
    KeywordHit,
    Suggestion,
    SuggestionReason,
    new_suggestion,
    why_pairs,
)

MAX_SUGGESTIONS = 3
# Fuzzy matching looks at the first characters only: real addresses are far shorter, and this
# bounds the work on hostile 2,000-character input (the rule itself always reads all of it).
FUZZY_MAX_CHARS = 160
MIN_SUGGESTION_SCORE = 0.3
# The weights of forms are worked out again after this many new addresses (the IDF moves slowly).
REWEIGH_EVERY = 500


class LearnedIndex:
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


class Suggester:
    """Indexes for the suggestions, built on the first manual row (the automatic path never needs them)."""

    def __init__(
        self,
        keywords: Mapping[str, tuple[str, ...]],
        store_names: Mapping[str, str],
        place_names: Iterable[str] = (),
    ) -> None:
        alts: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for kw, stores in keywords.items():
            for variant, rule in keyword_variants(kw):
                if variant in keywords:
                    continue  # the rule itself already reads it as that keyword
                for s in stores:
                    alts[variant].append((s, kw, rule))
        for store_id, name in store_names.items():
            short = re.sub(r"(?:门店|便利店|超市|生鲜店|社区店|店)$", "", normalize_keyword(name))
            if len(short) >= 2 and short not in keywords:
                alts[short].append((store_id, name, "store_name"))
        self.alts: dict[str, list[tuple[str, str, str]]] = dict(alts)
        # Each alternative form with what it proposes: its length and (store, score, keyword, rule)s.
        self.alt_automaton = automaton(
            {v: (len(v), _alternative_offers(v, entries)) for v, entries in self.alts.items()}
        )
        # Fuzzy candidates: every keyword of 3+ characters and every alternative of 4+ characters
        # other than a bare proper name (core) or a store's name.
        self.fuzzy: list[FuzzyCandidate] = []
        for kw, stores in keywords.items():
            if len(kw) >= 3:
                self.fuzzy.append(FuzzyCandidate.of(kw, stores, kw, "keyword"))
        for text, entries in self.alts.items():
            if len(text) >= 4 and all(rule not in ("core", "store_name") for _, _, rule in entries):
                stores = tuple(sorted({s for s, _, _ in entries}))
                self.fuzzy.append(FuzzyCandidate.of(text, stores, entries[0][1], entries[0][2]))
        self.fuzzy_index = FuzzyIndex(self.fuzzy)
        self.pinyin = PinyinIndex(dict(keywords))
        # Place names known from the keywords themselves (栖凤区中医院 -> 栖凤区, 栖凤).
        self.static_places = frozenset(p for kw in keywords for p in place_names_in_keyword(kw)) | {
            f for name in place_names for f in place_name_forms(normalize_keyword(name)) if f
        }
        # How many stores' keywords contain each alternative form (one pass of the forms' automaton).
        containing: dict[str, set[str]] = defaultdict(set)
        finder = automaton({v: v for v in self.alts})
        if finder is not None:
            for kw, stores in keywords.items():
                for _, form in finder.iter(kw):
                    containing[form].update(stores)
        self.stores_containing = {form: len(stores) for form, stores in containing.items()}
        self.places: frozenset[str] = self.static_places
        self._shares: dict[str, float] = {}
        self._stats_seen: tuple[int, int] | None = None  # (id of the stats, version) last weighed
        self._weigh_forms()

    def _weigh_forms(self) -> None:
        """The weight of every alternative form and fuzzy candidate, worked out once (per reweigh);
        only those below full weight are kept (most are at full weight, and fewer objects are
        fewer for the garbage collector to walk)."""
        alt = ((v, self.form_weight(v, True)) for v in self.alts)
        self.alt_weights: dict[str, Weight] = {v: w for v, w in alt if w.value != 1.0}
        fuzzy = ((i, self.form_weight(c.text, c.rule != "keyword")) for i, c in enumerate(self.fuzzy))
        self.fuzzy_weights: dict[int, Weight] = {i: w for i, w in fuzzy if w.value != 1.0}

    # -- evidence weights ---------------------------------------------------------------------
    def reweigh(self, stats: AddressStats | None) -> None:
        """Take the place names and shares of the recent addresses (when they moved enough)."""
        if stats is None:
            return
        seen = self._stats_seen
        if seen is not None and seen[0] == id(stats):
            moved = stats.version - seen[1]
            if moved <= 0 or (len(stats) >= MIN_ADDRESSES and moved < REWEIGH_EVERY):
                return
        self._stats_seen = (id(stats), stats.version)
        self.places = self.static_places | stats.place_names()
        self._shares = stats.shares(self.alts) if len(stats) >= MIN_ADDRESSES else {}
        self._weigh_forms()

    def form_weight(self, form: str, alternative: bool) -> Weight:
        """The weight of a form (alternative or keyword), from its text alone (see evidence.py)."""
        beyond = beyond_place_name(form, self.places)
        value, code = specificity(beyond), ("" if beyond >= 3 else "place_name" if beyond <= 0 else "short")
        if alternative and value:
            k = keyword_share_weight(self.stores_containing.get(form, 1))
            idf = share_weight(self._shares.get(form, 0.0))
            if k < 1 and k * value < value:
                code = "many_stores"
            if idf < 1:
                code = "common"
            value *= k * idf
        return FULL._replace(beyond=beyond) if value == 1.0 and not code else Weight(round(value, 3), code, beyond)

    @staticmethod
    def _weigh(e: Evidence, weight: Weight, prefix_end: int) -> Evidence:
        if weight.value and prefix_end and e.start < prefix_end:
            outside = span_beyond_prefix(e.start, e.end, prefix_end)
            beyond = weight.beyond or e.end - e.start  # FULL does not say: all of it is specific
            chars = min(beyond, outside)
            cut = specificity(chars) / specificity(beyond)
            if cut < 1:
                weight = Weight(round(weight.value * cut, 3), "in_prefix", chars)
        if weight.value == 1.0:
            return e  # the common case: nothing to take off
        return e._replace(score=e.base * weight.value, weight=weight)

    # -- suggestions --------------------------------------------------------------------------
    # Each source proposes evidence for a store; the best per store is kept.
    def suggest(
        self, text: str, hits: tuple[KeywordHit, ...], learned: LearnedIndex, stats: AddressStats | None = None
    ) -> tuple[Suggestion, ...]:
        if not text:
            return ()
        best: dict[str, Evidence] = {}
        reasons: dict[str, set[SuggestionReason]] = defaultdict(set)
        for e in self._collect(text, hits, learned, stats, None):
            reasons[e.store_id].add(e.reason)
            cur = best.get(e.store_id)
            if cur is None or e.score > cur.score:
                best[e.store_id] = e

        context = SuggestionReason.CONTEXT
        ranked = sorted(
            # Two different kinds of evidence for one store count a little more than one.
            (-(e.score + (0.03 * (len(reasons[sid]) - 1) if e.reason is not context else 0.0)), sid)
            for sid, e in best.items()
        )
        # Every store of an ambiguous address is shown; weaker hints only above a floor.
        shown = (
            new_suggestion(sid, round(min(0.99, max(0.0, e.score)), 3), e.reason, e.detail, e.flat_why())
            for _, sid in ranked
            if (e := best[sid]).reason is context or round(e.score, 3) >= MIN_SUGGESTION_SCORE
        )
        return tuple(itertools.islice(shown, MAX_SUGGESTIONS))

    def candidates(
        self, text: str, hits: tuple[KeywordHit, ...], learned: LearnedIndex, stats: AddressStats | None = None
    ) -> list[Candidate]:
        """Every piece of evidence for every store, weighed, in the order found; ``kept`` False for
        what the suggestions leave out (weighed to nothing, or inside a longer reading)."""
        left_out: list[Evidence] = []
        kept = self._collect(text, hits, learned, stats, left_out) if text else []
        return [Candidate(e, True) for e in kept] + [Candidate(e, False) for e in left_out]

    def _collect(
        self,
        text: str,
        hits: tuple[KeywordHit, ...],
        learned: LearnedIndex,
        stats: AddressStats | None,
        left_out: list[Evidence] | None,
    ) -> list[Evidence]:
        out: list[Evidence] = []
        if hits:
            out.extend(self._from_context(text, hits))
        if learned.choices:
            out.extend(self._from_learned(text, learned))
        if not hits:
            self.reweigh(stats)
            prefix_end = admin_prefix(text)[0] if _MAY_HAVE_PREFIX.search(text, 0, 24) else 0
            dropped: list[Evidence] = []
            pieces = self._from_alternatives(text, prefix_end, dropped) + self._from_fuzzy(text, prefix_end, dropped)
            outer = _outermost(pieces)
            out.extend(outer)
            if left_out is not None:
                ids = {id(e) for e in outer}
                left_out.extend(e for e in pieces if id(e) not in ids)
                left_out.extend(dropped)
            if _LATIN.search(text):
                out.extend(self._from_pinyin(text))
        return out

    def _from_context(self, text: str, hits: tuple[KeywordHit, ...]) -> list[Evidence]:
        per_store: dict[str, tuple[float, str, str, int, int, tuple[str, ...]]] = {}
        for h in hits:
            score, note, codes = context_score(text, h.start, h.end)
            cur = per_store.get(h.store_id)
            if cur is None or score > cur[0] or (score == cur[0] and h.start > cur[3]):
                per_store[h.store_id] = (score, h.keyword, note, h.start, h.end, codes)
        # Equal evidence: the keyword named last is usually where the parcel goes (a landmark or
        # a route comes first); a small tie-break only.
        order = sorted(per_store.items(), key=lambda kv: kv[1][3])
        out = []
        for rank, (store_id, (score, kw, note, start, end, codes)) in enumerate(order):
            detail = f"{kw}" + (f" ({note})" if note else "")
            why = ("context", kw, ",".join(codes))
            s = score + 0.01 * rank
            out.append(_evidence(store_id, s, SuggestionReason.CONTEXT, detail, start, end, s, FULL, why))
        return out

    def _from_learned(self, text: str, index: LearnedIndex) -> list[Evidence]:
        learned = index.choices
        seen: set[str] = set()
        compound = propose_keyword(text)
        if compound and compound in learned:
            seen.add(compound)
        if index.automaton is not None:
            for _, key in index.automaton.iter(text):
                seen.add(key)
        out = []
        for key in seen:
            choices = learned[key]
            total = sum(choices.values())
            for store_id, count in choices.items():
                share = count / total
                confidence = 1 - 1 / (count + 1)
                score = 0.55 + 0.4 * share * confidence
                why = ("chosen_before", key, str(count), str(total))
                detail = f"{key}: chosen {count} of {total} times"
                out.append(_evidence(store_id, score, SuggestionReason.CHOSEN_BEFORE, detail, 0, 0, score, FULL, why))
        return out

    def _from_alternatives(self, text: str, prefix_end: int, dropped: list[Evidence]) -> list[Evidence]:
        if self.alt_automaton is None:
            return []
        out: list[Evidence] = []
        weights = self.alt_weights
        alternative = SuggestionReason.ALTERNATIVE
        for end, (length, offers) in self.alt_automaton.iter(text):
            start = end - length + 1
            form = text[start : end + 1]
            weight = weights.get(form, FULL)
            plain = weight is FULL and start >= prefix_end
            for store_id, score, detail, why in offers:
                e = _new_tuple(Evidence, (store_id, score, alternative, detail, start, end + 1, score, FULL, why))
                if not plain:
                    e = self._weigh(e, weight, prefix_end)
                (out if e.score > 0 else dropped).append(e)
        return out

    def _from_fuzzy(self, text: str, prefix_end: int, dropped: list[Evidence]) -> list[Evidence]:
        offset, part = self.fuzzy_index.region(text[:FUZZY_MAX_CHARS])
        out: list[Evidence] = []
        weights = self.fuzzy_weights
        fuzzy = SuggestionReason.FUZZY
        for i, distance, start, width in self.fuzzy_index.nearest(part):
            cand = self.fuzzy[i]
            score = cand.score(distance, width)
            seen = part[start : start + width]
            start += offset
            weight = weights.get(i, FULL)
            plain = weight is FULL and start >= prefix_end
            why = (_FUZZY_CODES[distance], seen, cand.keyword, cand.rule)
            detail = seen + cand.detail
            for store_id in cand.stores:
                e = _new_tuple(Evidence, (store_id, score, fuzzy, detail, start, start + width, score, FULL, why))
                if not plain:
                    e = self._weigh(e, weight, prefix_end)
                (out if e.score > 0 else dropped).append(e)
        return out

    def _from_pinyin(self, text: str) -> list[Evidence]:
        out = []
        for start, end, seen, kw, kind, stores, whole in self.pinyin.find(text):
            if kind == "initials":
                score = 0.5
            elif whole:
                score = 0.8 if kind == "pinyin_english" else 0.82
            else:
                score = 0.65
            if len(stores) > 1:
                score *= 0.8
            code = "initials" if kind == "initials" else "pinyin"
            why = (code, seen, kw, kind)
            for store_id in stores:
                out.append(_evidence(store_id, score, SuggestionReason.PINYIN, f"{seen} ≈ {kw} ({kind})",
                                    start, end, score, FULL, why))
        return out


# Whether the start of an address may be a province / city / district / street prefix (most
# addresses have none; 小区, 东区, 园区 ... are parts of names, see address._NOT_BEFORE_ADMIN).
_MAY_HAVE_PREFIX = re.compile(r"[省市县旗镇乡]|街道|(?<![小园社东西南北中新老菜超集夜门期厂校营岛a-z\d])区")
_LATIN = re.compile(r"[a-zà-ÿāēīōūǎěǐǒǔǖǘǚǜ]")


_FUZZY_CODES = {1: "fuzzy_1", 2: "fuzzy_2"}


def _evidence(*fields: object) -> Evidence:
    """``Evidence(...)`` without the named tuple's keyword handling (made for every piece found)."""
    return _new_tuple(Evidence, fields)


# The hot loops make their evidence with this directly (no call of the named tuple's __new__).
_new_tuple = tuple.__new__


def _alternative_offers(
    v: str, entries: list[tuple[str, str, str]]
) -> tuple[tuple[str, float, str, tuple[str, ...]], ...]:
    """(store, score, detail, why) for each entry of an alternative form found in an address."""
    stores = {s for s, _, _ in entries}
    offers: list[tuple[str, float, str, tuple[str, ...]]] = []
    for store_id, kw, rule in entries:
        if rule == "core":
            score = 0.5 + 0.05 * min(len(v) - 2, 3)
        elif rule == "store_name":
            score = 0.6
        else:
            score = 0.8 + 0.02 * min(len(v) - 3, 5)
        if len(stores) > 1:
            score *= 0.8
        offers.append((store_id, score, f"{v} ≈ {kw} ({rule})", ("alternative", v, kw, rule)))
    return tuple(offers)


class Evidence(NamedTuple):
    """One piece of evidence for a store: its score (``base`` times ``weight``), where it is in
    the address, and what a person reads (``why``, see ``Suggestion.why``)."""

    store_id: str
    score: float
    reason: SuggestionReason
    detail: str
    start: int
    end: int
    base: float = 0.0
    weight: Weight = FULL
    why: tuple[str, ...] = ()  # the code, then its parameters (see ``pairs``); kept flat: built for every piece

    def flat_why(self) -> tuple[str, ...]:
        """``why`` with the weight and the cut when the evidence counted less (``Suggestion.why``)."""
        if self.weight.value == 1.0:
            return self.why
        return (*self.why, f"{self.weight.value:.2f}", self.weight.code)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """What a person reads, as named parameters (see ``results.why_pairs``)."""
        return why_pairs(self.flat_why())


@dataclass(frozen=True, slots=True)
class Candidate:
    """A store considered for an address, with the evidence behind it (``ops-console match --explain``)."""

    evidence: Evidence
    kept: bool  # False: inside a longer reading for another store, or weighed to nothing


def _outermost(evidence: list[Evidence]) -> list[Evidence]:
    """Evidence not lying inside a longer, at least as strong piece for another store.

    The same idea as the rule's nested keywords: "锦绣·花园二期" read as 锦绣花园二期 also
    contains a reading as 锦绣花园; the longer reading wins.
    """
    if len(evidence) < 2:
        return evidence
    longest_first = sorted(evidence, key=lambda o: o.start - o.end)
    kept: list[Evidence] = []
    for e in evidence:
        length = e.end - e.start
        for o in longest_first:
            if o.end - o.start <= length:
                kept.append(e)  # no longer reading contains it
                break
            if o.start <= e.start and e.end <= o.end and o.store_id != e.store_id and o.score >= e.score:
                break  # inside a longer, at least as strong reading for another store
    return kept
