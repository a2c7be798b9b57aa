"""Suggestions for a row of the manual queue: up to three stores, each with a score and its reason.

The matcher proposes them and never applies them itself:

- ``context``: the ambiguous stores ranked by the wording around their keywords (``context.py``);
- ``chosen_before``: stores dispatchers chose before for the same compound name;
- ``alternative``: a general alternative form of a keyword (numerals, abbreviations, a generic
  word dropped; see ``address.keyword_variants``);
- ``fuzzy``: a near spelling of a keyword or of such a form (``fuzzy.py``); a character typed
  wrong scores higher than one missing.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import NamedTuple

import ahocorasick

from ops_console.domain.address import keyword_variants, normalize_keyword, propose_keyword
from ops_console.domain.matching.context import context_score
from ops_console.domain.matching.fuzzy import FuzzyCandidate, FuzzyIndex, automaton
from ops_console.domain.matching.results import KeywordHit, Suggestion, SuggestionReason, new_suggestion

MAX_SUGGESTIONS = 3
# Fuzzy matching looks at the first characters only: real addresses are far shorter, and this
# bounds the work on hostile 2,000-character input (the rule itself always reads all of it).
FUZZY_MAX_CHARS = 160
MIN_SUGGESTION_SCORE = 0.3


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

    def __init__(self, keywords: Mapping[str, tuple[str, ...]], store_names: Mapping[str, str]) -> None:
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
        # Each alternative form with what it proposes: its length and (store, score, detail)s.
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

    # Each source proposes (store, score, reason, detail); the best per store is kept.
    def suggest(self, text: str, hits: tuple[KeywordHit, ...], learned: LearnedIndex) -> tuple[Suggestion, ...]:
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
            new_suggestion(store_id, *best[store_id])
            for _, store_id in ranked
            if best[store_id][1] is context or best[store_id][0] >= MIN_SUGGESTION_SCORE
        )
        return tuple(itertools.islice(shown, MAX_SUGGESTIONS))

    def _from_context(self, text: str, hits: tuple[KeywordHit, ...], offer: _Offer) -> None:
        per_store: dict[str, tuple[float, str, str, int]] = {}
        for h in hits:
            score, note = context_score(text, h.start, h.end)
            cur = per_store.get(h.store_id)
            if cur is None or score > cur[0] or (score == cur[0] and h.start > cur[3]):
                per_store[h.store_id] = (score, h.keyword, note, h.start)
        # Equal evidence: the keyword named last is usually where the parcel goes (a landmark or
        # a route comes first); a small tie-break only.
        order = sorted(per_store.items(), key=lambda kv: kv[1][3])
        for rank, (store_id, (score, kw, note, _)) in enumerate(order):
            detail = f"{kw}" + (f" ({note})" if note else "")
            offer(store_id, score + 0.01 * rank, SuggestionReason.CONTEXT, detail)

    def _from_learned(self, text: str, index: LearnedIndex, offer: _Offer) -> None:
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
