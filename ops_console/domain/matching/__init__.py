"""Address -> store matching: the automatic rule and the suggestions for the manual queue.

One module per job: ``rule`` (the matcher and the nested-keyword rule), ``results`` (what it
answers), ``context`` (the words around a keyword), ``suggestions`` (ranking stores for the
manual queue), ``evidence`` (how much a piece of text says about one store), ``pinyin`` (keywords
spelt in Latin letters), ``fuzzy`` (the automata that find near spellings fast).
"""

from ops_console.domain.matching.evidence import AddressStats
from ops_console.domain.matching.fuzzy import FUZZY_CACHE_SIZE
from ops_console.domain.matching.results import (
    KeywordHit,
    MatchReason,
    MatchResult,
    Suggestion,
    SuggestionReason,
)
from ops_console.domain.matching.rule import Matcher
from ops_console.domain.matching.suggestions import MAX_SUGGESTIONS, MIN_SUGGESTION_SCORE, Candidate, Evidence

__all__ = [
    "FUZZY_CACHE_SIZE",
    "MAX_SUGGESTIONS",
    "MIN_SUGGESTION_SCORE",
    "AddressStats",
    "Candidate",
    "Evidence",
    "KeywordHit",
    "MatchReason",
    "MatchResult",
    "Matcher",
    "Suggestion",
    "SuggestionReason",
]
