"""What the matcher answers: the rule's decision for one address and the suggestions for the queue."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


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
    PINYIN = "pinyin"  # the address spells a keyword in Latin letters


# The parameters after the code in a reason, per code (the catalog's ``match.why.<code>``).
WHY_KEYS = {"context": ("keyword", "notes"), "chosen_before": ("seen", "count", "total"), "keyword": ("keyword",)}
WHY_DEFAULT = ("seen", "keyword", "rule")


def why_pairs(why: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """A flat reason as named parameters, with ``weight`` and ``cut`` when it has them."""
    if not why:
        return ()
    code, *values = why
    keys = WHY_KEYS.get(code, WHY_DEFAULT)
    names = (*keys, "weight", "cut") if len(values) > len(keys) else keys
    return (("code", code), *zip(names, values, strict=False))


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
    # What a person reads (through the catalog, ``match.why.<code>``), flat because it is made for
    # every suggestion: the code, its parameters (``WHY_KEYS``) and, when the evidence counted
    # less, its weight and the cut: ("fuzzy_1", "晨光小区", "辰光小区", "keyword"). See ``reasons``.
    why: tuple[str, ...] = ()

    def reasons(self) -> tuple[tuple[str, str], ...]:
        """``why`` as named parameters: (("code", "fuzzy_1"), ("seen", "晨光小区"), ...)."""
        return why_pairs(self.why)

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
    s_store_id, s_score, s_reason, s_detail, s_why = (
        getattr(Suggestion, f.name).__set__ for f in dataclasses.fields(Suggestion)
    )
    new = object.__new__

    def make(
        store_id: str, score: float, reason: SuggestionReason, detail: str, why: tuple[str, ...] = ()
    ) -> Suggestion:
        suggestion = new(Suggestion)
        s_store_id(suggestion, store_id)
        s_score(suggestion, score)
        s_reason(suggestion, reason)
        s_detail(suggestion, detail)
        s_why(suggestion, why)
        return suggestion

    return make


new_result = _result_maker()
new_suggestion = _suggestion_maker()
