"""Pinyin forms of keywords, looked for in the Latin part of an address (suggestions only).

An address typed in pinyin ("wutongyuan 21栋", "Wutong Yuan, 15栋", "shazhou road 8") has no
keyword the rule could find. Every keyword gets its pinyin forms (pypinyin): without tones, with
tone marks and with tone numbers, the generic part also in English (路 road / rd, 花园 garden, 公寓
apartments ...), and the initials (``ljhy``) for names of three characters or more. Normalization
removes whitespace and lower-cases Latin letters, so a joined form also stands for the
space-separated and capitalised ones. A form counts only from the start of a run of Latin letters:
to the run's end (a whole word), or, for full forms, followed by more letters (a lesser hint).
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from typing import NamedTuple

import ahocorasick

# pypinyin's phrase dictionary holds about 190,000 lists and tuples that the garbage collector walks
# in every full collection of a process that builds suggestions (≈10% off the matcher's
# throughput). Keywords are short names; the readings of each character (heteronyms) cover what
# the phrases would have told apart. Only when nothing else asked for the phrases first.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")

from pypinyin import Style, pinyin  # after the setting above
from pypinyin.contrib.tone_convert import to_normal, to_tone

# Generic parts of names and how they are written in English addresses.
ENGLISH: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("小区", ("community", "estate", "residence")),
    ("花园", ("garden", "gardens")),
    ("新村", ("newvillage", "village")),
    ("家园", ("home", "homes")),
    ("公寓", ("apartment", "apartments", "apt")),
    ("广场", ("plaza", "square")),
    ("大厦", ("building", "tower", "mansion")),
    ("公园", ("park",)),
    ("医院", ("hospital",)),
    ("小学", ("primaryschool",)),
    ("中学", ("middleschool", "highschool")),
    ("大道", ("avenue", "ave", "boulevard")),
    ("路", ("road", "rd")),
    ("街", ("street", "st")),
)
_LATIN_RUN = re.compile(r"[a-zà-ÿāēīōūǎěǐǒǔǖǘǚǜńňḿ]+(?:['’·\-][a-zà-ÿāēīōūǎěǐǒǔǖǘǚǜńňḿ]+)*")
_JOINERS = re.compile(r"['’·\-]")
_CJK = re.compile(r"^[\u4e00-\u9fff\u3400-\u4dbf]+$")
MIN_FULL_LETTERS = 5
MIN_INITIALS = 3
# Readings of a keyword spelt out: the first reading of every character first, then the others.
MAX_READINGS = 4


class PinyinForm(NamedTuple):
    text: str
    kind: str  # pinyin, pinyin_tones, pinyin_english, initials


def pinyin_forms(keyword: str) -> list[PinyinForm]:
    """The Latin spellings of a (normalized, all-Chinese) keyword; none for other keywords."""
    if len(keyword) < 2 or not _CJK.match(keyword):
        return []
    # The spellings are derived from the tone-numbered syllables (kept per character), for up to
    # MAX_READINGS readings.
    readings = [_readings(ch) for ch in keyword]
    forms: dict[str, str] = {}
    first = [r[0] for r in readings]
    # Every character's first reading, then one character read otherwise, earlier characters
    # first (the proper name comes before the generic word).
    swaps = ([*first[:i], r[1], *first[i + 1 :]] for i, r in enumerate(readings) if len(r) > 1)
    for numbered in itertools.islice(itertools.chain([first], swaps), MAX_READINGS):
        syllables = [_plain(s) for s in numbered]
        forms.setdefault("".join(syllables), "pinyin")
        forms.setdefault("".join(_toned(s) for s in numbered), "pinyin_tones")
        forms.setdefault("".join(numbered), "pinyin_tones")
        for suffix, words in ENGLISH:
            if keyword.endswith(suffix) and len(keyword) - len(suffix) >= 2:
                stem = "".join(syllables[: -len(suffix)])
                for word in words:
                    forms.setdefault(stem + word, "pinyin_english")
                break
        if len(keyword) >= MIN_INITIALS:
            forms.setdefault("".join(s[0] for s in syllables), "initials")
    return [PinyinForm(text, kind) for text, kind in forms.items()
            if len(text) >= (MIN_INITIALS if kind == "initials" else MIN_FULL_LETTERS)]


# Per character and per syllable, kept: a few thousand characters and about 1,500 syllables make up
# every keyword, and pypinyin's conversions are slow enough to matter for 5,000 keywords.
@functools.cache
def _readings(ch: str) -> tuple[str, ...]:
    """The tone-numbered readings of one Chinese character, the usual one first."""
    return tuple(pinyin(ch, style=Style.TONE3, heteronym=True)[0])


_plain = functools.cache(to_normal)
_toned = functools.cache(to_tone)


def latin_runs(text: str) -> list[tuple[int, str]]:
    """``(start, run)`` for each run of Latin letters of a normalized address, joiners removed."""
    return [(m.start(), _JOINERS.sub("", m.group())) for m in _LATIN_RUN.finditer(text)]


# English words of a building number that run into the name once spaces are gone ("...building 20").
_NUMBER_WORDS = re.compile(r"(?:building|bldg|block|blk|room|rm|unit|floor|flat|no)+$")


def latin_phrase(address: str) -> str | None:
    """The first Latin name of a normalized address, without the English words of a building
    number after it (what a dispatcher may keep as a learned alias): "wutongyuan"."""
    for _, run in latin_runs(address):
        name = _NUMBER_WORDS.sub("", run)
        if len(name) >= MIN_FULL_LETTERS:
            return name
    return None


class PinyinIndex:
    """Every keyword's pinyin forms in one automaton; ``find`` reads the Latin runs of an address."""

    def __init__(self, keywords: dict[str, tuple[str, ...]]) -> None:
        table: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
        for kw, stores in keywords.items():
            for form in pinyin_forms(kw):
                table.setdefault(form.text, []).append((kw, form.kind, stores))
        self._automaton: ahocorasick.Automaton | None = None
        if table:
            self._automaton = ahocorasick.Automaton()
            for text, entries in table.items():
                self._automaton.add_word(text, (len(text), tuple(entries)))
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, str, str, str, tuple[str, ...], bool]]:
        """``(start, end, seen, keyword, kind, stores, whole)`` for the longest form at the start of
        each Latin run (``whole``: it is the whole run); initials only as a whole run."""
        if self._automaton is None:
            return []
        found = []
        for start, run in latin_runs(text):
            best: tuple[int, tuple[tuple[str, str, tuple[str, ...]], ...]] | None = None
            for end, (length, entries) in self._automaton.iter(run):
                if end - length + 1 != 0:
                    continue  # not at the start of the run
                if best is None or length > best[0]:
                    best = (length, entries)
            if best is None:
                continue
            length, entries = best
            whole = length == len(run)
            for kw, kind, stores in entries:
                if kind == "initials" and not whole:
                    continue
                found.append((start, start + length, run[:length], kw, kind, stores, whole))
        return found
