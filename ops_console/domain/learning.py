"""Which keyword to propose after a dispatcher assigned an order by hand — or why none.

Pure: the service (services/matching.py) gathers the facts. A proposed keyword must be specific
to the chosen store, because Enter on it makes every later address containing it go to that store
automatically:
- the order's address must lie in the service area (an address naming another province, city or
  district teaches nothing about our stores: 杭州市西湖区阳光花园 says nothing of our 阳光花园);
- the keyword must not be a place name itself (柳汀区, 清源街道: every address of a street);
- it must not occur in the addresses of other open orders that went to other stores (a common
  estate name such as 阳光花园 found at two stores' orders would send them all to one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ops_console.domain.address import admin_places, normalize, propose_keyword

# The levels whose names must be in the service area; streets are inside a district anyway.
AREA_LEVELS = frozenset({"province", "city", "district"})
MAX_NAMED_STORES = 3  # stores named in the reason


class Withheld(StrEnum):
    NO_NAME = "no_name"  # nothing in the address looks like a compound or road name
    OUTSIDE_AREA = "outside_area"  # the address names a place outside the service area
    PLACE_NAME = "place_name"  # the candidate is a district / city / street name
    NOT_SPECIFIC = "not_specific"  # other stores' open orders have it in their addresses


@dataclass(frozen=True)
class KeywordCheck:
    candidate: str | None  # what the address offers (normalized), even when withheld
    withheld: Withheld | None = None  # None: propose `candidate`
    params: Mapping[str, str | int] = field(default_factory=dict)

    @property
    def keyword(self) -> str | None:
        return None if self.withheld else self.candidate


def outside_area(address: str, service_area: Sequence[str]) -> str | None:
    """The first province / city / district the address names that is not in the service area."""
    if not service_area:
        return None
    area = {normalize(name) for name in service_area}
    places, _ = admin_places(normalize(address))
    for level, name in places:
        if level in AREA_LEVELS and name not in area:
            return name
    return None


def check_proposal(address: str, store_id: str, service_area: Sequence[str],
                   other_orders: Iterable[tuple[str, str]],
                   store_names: Mapping[str, str] | None = None) -> KeywordCheck:
    """The keyword to propose for `store_id` from `address`, or why none.

    `other_orders` are (store id, address) of open orders of any store; only other stores' count.
    """
    names = store_names or {}
    candidate = propose_keyword(address or "")
    if candidate is None:
        return KeywordCheck(None, Withheld.NO_NAME)
    place = outside_area(address, service_area)
    if place is not None:
        return KeywordCheck(candidate, Withheld.OUTSIDE_AREA, {"keyword": candidate, "place": place})
    places, rest = admin_places(candidate)
    area = {normalize(name) for name in service_area}
    if (places and not rest) or candidate in area:
        return KeywordCheck(candidate, Withheld.PLACE_NAME, {"keyword": candidate})
    counts: dict[str, int] = {}
    for other_store, other_address in other_orders:
        if other_store and other_store != store_id and candidate in normalize(other_address or ""):
            counts[other_store] = counts.get(other_store, 0) + 1
    if counts:
        stores = sorted(counts, key=lambda s: (-counts[s], s))
        return KeywordCheck(candidate, Withheld.NOT_SPECIFIC,
                            {"keyword": candidate, "count": sum(counts.values()),
                             "stores": ", ".join(f"{s} {names[s]}" if names.get(s) else s
                                                 for s in stores[:MAX_NAMED_STORES])})
    return KeywordCheck(candidate)
