"""Fuzzy automata: the windows of an address within one or two edits of a keyword, found fast.

A near spelling of a keyword or of one of its alternative forms (one character typed wrong,
missing or extra; two from 8 characters on) by Levenshtein distance. The near windows are found
through automata of every keyword with one character dropped or replaced by a placeholder
(``FuzzyIndex``), not by comparing the address with every keyword, and the answers for recent
addresses are kept: suggestions cost little more than the rule itself (``bench/match.py``).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import NamedTuple

import ahocorasick
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

# Fuzzy answers a matcher keeps, one per address shape (emptied when full; see FuzzyIndex.nearest).
FUZZY_CACHE_SIZE = 4096


class FuzzyCandidate(NamedTuple):
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
    def of(cls, text: str, stores: tuple[str, ...], keyword: str, rule: str) -> FuzzyCandidate:
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


class FuzzyIndex:
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

    def __init__(self, candidates: list[FuzzyCandidate]) -> None:
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
        self._as_written = automaton(
            {p: (len(p), *entries) for p, entries in as_written.items()}, first=first, never=never
        )
        self._one_changed = automaton(
            {p: (len(p), *entries) for p, entries in one_changed.items()}, first=first + wild, never=never
        )
        self._pieces = automaton({p: tuple(ids) for p, ids in pieces.items()}, first=first, never=never)
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



def automaton(
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
    built = ahocorasick.Automaton()
    for ch in first:
        built.add_word(ch + never, None)
    by_start: dict[str, list[str]] = defaultdict(list)
    for word in words:
        by_start[word[0]].append(word)
    for group in sorted(by_start.values(), key=len, reverse=True):
        for word in group:
            built.add_word(word, words[word])
    built.make_automaton()
    return built


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

