"""The rule: the keywords found in an address decide its store, or send it to the manual queue.

Exactly, so that results can be checked against labelled sets:

1. normalize the address (``ops_console.domain.address.normalize``), keywords the same way;
2. find every keyword in it (one Aho-Corasick automaton, pyahocorasick);
3. a found keyword whose span lies inside a longer found keyword's span does not count (the same
   keyword found again elsewhere counts there);
4. the counted keywords all belong to one store -> automatic assignment; two or more stores ->
   ``ambiguous``; none -> ``no_keyword``. Both go to the manual queue, with suggestions
   (``suggestions.py``) that are never applied automatically.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

import ahocorasick

from ops_console.domain.address import normalize, normalize_keyword
from ops_console.domain.matching.evidence import AddressStats
from ops_console.domain.matching.results import KeywordHit, MatchReason, MatchResult, Suggestion, new_result
from ops_console.domain.matching.suggestions import Candidate, LearnedIndex, Suggester


class Matcher:
    """An immutable matcher over ``(keyword, store_id)`` pairs; build a new one when keywords change.

    ``learned`` maps a normalized compound name to the stores dispatchers chose for it, with counts.
    ``place_names`` are names of the service area known beforehand; ``stats`` the addresses seen lately (place names, IDF) that weigh the suggestions' evidence;
    the matching service feeds them, the matcher only reads them (never for the decision itself).
    A keyword that normalizes to the same text for two stores counts for both (so an address that
    contains it is ambiguous): precision first.
    """

    def __init__(
        self,
        keywords: Iterable[tuple[str, str]],
        *,
        store_names: Mapping[str, str] | None = None,
        learned: Mapping[str, Mapping[str, int]] | None = None,
        stats: AddressStats | None = None,
        place_names: Iterable[str] = (),
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
        for kw, owners in self._stores_of.items():
            self._automaton.add_word(kw, (kw, owners, len(kw)))
        self._empty = not self._stores_of
        if not self._empty:
            self._automaton.make_automaton()
        self._learned = LearnedIndex(learned or {})
        self.stats = stats
        # Names of the service area known beforehand (e.g. from the stores' own addresses): never
        # evidence for a store. More are learnt from the keywords and from ``stats``.
        self.place_names = tuple(place_names)
        # The suggestion indexes, built on the first manual row and shared with with_learned() copies.
        self._suggester_box: list[Suggester] = []

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
                return new_result(first, True, MatchReason.AUTO, (first,), hits, (), text)
            stores = tuple(sorted({h.store_id for h in hits}))
            reason = MatchReason.AMBIGUOUS
        else:
            stores = ()
            reason = MatchReason.NO_KEYWORD
        suggestions = self.suggest(text, hits) if suggest else ()
        return new_result(None, False, reason, stores, hits, suggestions, text)

    # -- suggestions --------------------------------------------------------------------------
    def _suggester(self) -> Suggester:
        if not self._suggester_box:
            self._suggester_box.append(Suggester(self._stores_of, self.store_names, self.place_names))
        return self._suggester_box[0]

    def suggest(self, normalized: str, hits: tuple[KeywordHit, ...] | None = None) -> tuple[Suggestion, ...]:
        """Up to three stores for a manual row of an already normalized address, best first."""
        suggester = self._suggester()
        if hits is None:
            hits = self.find(normalized)
        try:
            return suggester.suggest(normalized, hits, self._learned, self.stats)
        except Exception:  # noqa: BLE001  # pragma: no cover - a suggestion must never break intake
            return ()

    def explain(self, address: str) -> tuple[MatchResult, list[Candidate]]:
        """The result for an address and every candidate store with the evidence and weight that
        produced its score (``ops-console match --explain``); none for an automatic row."""
        result = self.match(address)
        if result.auto:
            return result, []
        return result, self._suggester().candidates(result.normalized, result.keywords, self._learned, self.stats)

    def with_learned(self, learned: Mapping[str, Mapping[str, int]]) -> Matcher:
        """A matcher with the same keywords and these learned compound choices (cheap: the
        automaton and the suggestion indexes are shared)."""
        twin = copy.copy(self)
        twin._learned = LearnedIndex(learned)
        return twin

    def with_stats(self, stats: AddressStats | None) -> Matcher:
        """A matcher with the same keywords weighing its suggestions by these recent addresses."""
        twin = copy.copy(self)
        twin.stats = stats
        return twin

