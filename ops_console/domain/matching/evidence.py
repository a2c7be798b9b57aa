"""How much a piece of suggestion evidence says about one store: its weight in 0..1.

A suggestion's score is the strength of its kind of match (a fuzzy match one character off, an
alternative form, a pinyin spelling) times the weight of the text that produced it:

- **place names** of the service area (province, city, district, street: from the prefixes the
  matcher strips off addresses, ``address.admin_prefix``, and from keywords named after the
  district, 栖凤区中医院) are no evidence at all, nor is a piece of text lying in the address's
  own administrative prefix;
- **specificity**: the characters of the form beyond a place name it starts with (栖凤创客园
  shortened to 栖凤 has none left; 栖凤大道 has two);
- **stores' keywords**: a form inside the keywords of three or more stores names none of them;
- **recent addresses** (an IDF): a form that a large share of the addresses seen lately contain
  is a word of the area, not of one store (``AddressStats``, fed by the matching service as
  orders come in). Applied to alternative forms only: a keyword's own popularity is no reason to
  doubt a near spelling of it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Collection, Iterable
from typing import NamedTuple

import ahocorasick

from ops_console.domain.address import admin_prefix, normalize, place_name_forms

# IDF: below this many recent addresses the shares say nothing yet.
MIN_ADDRESSES = 50
# A form in at most this share of recent addresses keeps its weight; from FULL_SHARE on it has none.
FREE_SHARE = 0.05
FULL_SHARE = 0.30
RECENT_ADDRESSES = 5000


class Weight(NamedTuple):
    """The weight of one piece of evidence and why: ``code`` names the strongest cut (``""`` when
    none), ``beyond`` the characters of it that are specific."""

    value: float
    code: str
    beyond: int


FULL = Weight(1.0, "", 0)


def specificity(chars: int) -> float:
    """Weight from the specific characters of a form: none says nothing, one very little."""
    if chars <= 0:
        return 0.0
    return (0.35, 0.9)[chars - 1] if chars < 3 else 1.0


def beyond_place_name(form: str, places: Collection[str]) -> int:
    """Characters of ``form`` after the longest place name it starts with (0: it is one)."""
    longest = max((len(p) for p in places if form.startswith(p)), default=0)
    return len(form) - longest


def keyword_share_weight(stores_containing: int) -> float:
    """A form inside the keywords of 1-2 stores is theirs; of more, it names none of them."""
    return 1.0 if stores_containing <= 2 else 2.0 / stores_containing


def share_weight(share: float) -> float:
    """IDF-like: a form most addresses contain carries no evidence."""
    if share <= FREE_SHARE:
        return 1.0
    if share >= FULL_SHARE:
        return 0.0
    return 1.0 - (share - FREE_SHARE) / (FULL_SHARE - FREE_SHARE)


def span_beyond_prefix(start: int, end: int, prefix_end: int) -> int:
    """Characters of the span ``start..end`` of an address after its administrative prefix."""
    return end - max(start, prefix_end)


class AddressStats:
    """The addresses seen lately (normalized), the place names in their prefixes, and how many of
    them contain a given text. A plain in-memory structure: the matching service feeds it."""

    def __init__(self, capacity: int = RECENT_ADDRESSES) -> None:
        self._recent: deque[tuple[str, tuple[str, ...]]] = deque()
        self._capacity = capacity
        self._places: Counter[str] = Counter()
        self.version = 0  # moves with every address observed

    def __len__(self) -> int:
        return len(self._recent)

    def observe(self, address: str) -> None:
        text = normalize(address) if isinstance(address, str) else ""
        if not text:
            return
        _, names = admin_prefix(text)
        forms = tuple(f for name in names for f in place_name_forms(name))
        if len(self._recent) >= self._capacity:
            _, old = self._recent.popleft()
            self._places.subtract(old)
        self._recent.append((text, forms))
        self._places.update(forms)
        self.version += 1

    def observe_many(self, addresses: Iterable[str]) -> None:
        for address in addresses:
            self.observe(address)

    def place_names(self) -> frozenset[str]:
        # list(): a copy taken in one step, as the service may observe from another thread.
        return frozenset(name for name, n in list(self._places.items()) if n > 0)

    def shares(self, forms: Iterable[str]) -> dict[str, float]:
        """Share of the recent addresses containing each form (only forms that occur at all);
        empty while there are fewer than ``MIN_ADDRESSES``."""
        if len(self._recent) < MIN_ADDRESSES:
            return {}
        automaton = ahocorasick.Automaton()
        for form in set(forms):
            if form:
                automaton.add_word(form, form)
        if len(automaton) == 0:
            return {}
        automaton.make_automaton()
        counts: Counter[str] = Counter()
        recent = list(self._recent)  # a copy taken in one step (see place_names)
        for text, _ in recent:
            counts.update({form for _, form in automaton.iter(text)})
        n = len(recent)
        return {form: c / n for form, c in counts.items()}
