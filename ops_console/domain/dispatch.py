"""Who should take a picked order: the courier proposal and the capacity rule. Pure: no I/O.

The escalation chain (DOMAIN.md step 7): a company courier of the order's store first; when none
is free the next tier — third party, store staff, emergency team — with the reason the earlier
tier could not take it. The emergency team is last: when nobody is free there either, the proposal
still names the emergency tier, with no courier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ops_console.domain.types import TIER_ORDER, EscalationReason, Tier

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CourierLoad:
    """One active courier and what it carries now."""

    id: str
    name: str
    tier: str
    store_id: str | None
    capacity: int
    on_duty: bool
    carrying: int  # open deliveries: dispatched, held or out for delivery
    idle_since: datetime | None = None  # when its last delivery ended; None = none today / ever

    @property
    def limit(self) -> int:
        return max(1, self.capacity)  # a capacity of 0 in a file means "one at a time", as the roster reads it

    @property
    def free(self) -> bool:
        return self.on_duty and self.carrying < self.limit


@dataclass(frozen=True)
class Proposal:
    """`{tier, courier_id, reason}`: courier_id None when nobody of that tier is free."""

    tier: Tier
    courier_id: str | None
    reason: EscalationReason | None  # why not the order's current tier (or why it got there)

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier.value,
            "courier_id": self.courier_id,
            "reason": self.reason.value if self.reason else None,
        }


def over_capacity(courier: CourierLoad) -> bool:
    """True when one more delivery would carry the courier past its capacity."""
    return courier.carrying >= courier.limit


def candidates(tier: Tier, store_id: str | None, couriers: Iterable[CourierLoad]) -> list[CourierLoad]:
    """Couriers of `tier` that may take an order of `store_id`, best first.

    Company couriers bound to another store may not (dispatch refuses them); store staff of the
    order's own store come before neighbours'. Then fewest open deliveries, then longest idle
    (never used counts as idle longest), then id for a stable answer.
    """
    out = [c for c in couriers if c.tier == tier.value]
    if tier == Tier.COMPANY:
        out = [c for c in out if c.store_id is None or c.store_id == store_id]
    out.sort(key=lambda c: (c.store_id != store_id, c.carrying, c.idle_since or _NEVER, c.id))
    return out


def propose(
    *,
    store_id: str | None,
    tier: Tier | None,
    waiting_since: datetime | None,
    couriers: Sequence[CourierLoad],
    now: datetime,
    wait: timedelta,
    escalated_reason: EscalationReason | None = None,
) -> Proposal:
    """The one proposal for a picked order.

    A free courier of the order's current tier wins (reason: what brought the order to this tier,
    None at the company tier). When nobody of that tier is free, the proposal is the first higher
    tier that has a free courier, with the reason: `waited_too_long` when the order has waited
    `wait` already, else `courier_at_capacity` when the tier's couriers on duty are all full, else
    `no_free_courier`. No free courier anywhere: the emergency team, with no courier.
    """
    current = tier or Tier.COMPANY
    own = candidates(current, store_id, couriers)
    best = next((c for c in own if c.free), None)
    if best is not None:
        return Proposal(current, best.id, escalated_reason if current != Tier.COMPANY else None)
    if waiting_since is not None and now - waiting_since >= wait:
        reason = EscalationReason.WAITED_TOO_LONG
    elif any(c.on_duty for c in own):
        reason = EscalationReason.COURIER_AT_CAPACITY
    else:
        reason = EscalationReason.NO_FREE_COURIER
    for higher in TIER_ORDER[TIER_ORDER.index(current) + 1 :]:
        best = next((c for c in candidates(higher, store_id, couriers) if c.free), None)
        if best is not None:
            return Proposal(higher, best.id, reason)
    return Proposal(Tier.EMERGENCY, None, reason)


def escalation_steps(current: Tier | None, target: Tier) -> list[Tier]:
    """The tiers an order passes through, one escalation each, to reach `target` from `current`."""
    start = TIER_ORDER.index(current or Tier.COMPANY)
    end = TIER_ORDER.index(target)
    return list(TIER_ORDER[start + 1 : end + 1])
