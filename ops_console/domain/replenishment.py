"""The short lifecycle of a store's replenishment order (seed 004), as one table.

`placed → accepted → sorted → delivered`, or `on_hold` (an amount / quantity / step anomaly holds it,
seed 004 §2.2) until `verify` (→ accepted) or `cancel`. Kept beside the customer order's table
(domain/lifecycle.py) rather than in it: the actions `deliver` and `cancel` exist there with other
sources and roles, and one action must mean one rule in each table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ops_console.domain.types import Role


class ReplStatus(StrEnum):
    PLACED = "placed"
    ON_HOLD = "on_hold"
    ACCEPTED = "accepted"
    SORTED = "sorted"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class ReplAction(StrEnum):
    PLACE = "place"
    HOLD = "hold"
    VERIFY = "verify"
    ACCEPT = "accept"
    SORT = "sort"
    DELIVER = "deliver"
    CANCEL = "cancel"


FINAL = frozenset({ReplStatus.DELIVERED, ReplStatus.CANCELLED})

D, CS, SV, SYS = Role.DISPATCHER, Role.CUSTOMER_SERVICE, Role.SUPERVISOR, Role.SYSTEM


@dataclass(frozen=True)
class ReplRule:
    sources: frozenset[ReplStatus]
    target: ReplStatus
    roles: frozenset[Role]


TABLE: dict[ReplAction, ReplRule] = {
    ReplAction.PLACE: ReplRule(frozenset(), ReplStatus.PLACED, frozenset({SYS, D, SV})),
    ReplAction.HOLD: ReplRule(frozenset({ReplStatus.PLACED}), ReplStatus.ON_HOLD, frozenset({SYS})),
    ReplAction.VERIFY: ReplRule(frozenset({ReplStatus.ON_HOLD}), ReplStatus.ACCEPTED, frozenset({D, SV})),
    ReplAction.ACCEPT: ReplRule(frozenset({ReplStatus.PLACED}), ReplStatus.ACCEPTED, frozenset({SYS, D, SV})),
    ReplAction.SORT: ReplRule(frozenset({ReplStatus.ACCEPTED}), ReplStatus.SORTED, frozenset({SYS, D, SV})),
    ReplAction.DELIVER: ReplRule(frozenset({ReplStatus.SORTED}), ReplStatus.DELIVERED, frozenset({SYS, D, SV})),
    ReplAction.CANCEL: ReplRule(frozenset({ReplStatus.PLACED, ReplStatus.ON_HOLD, ReplStatus.ACCEPTED}),
                                ReplStatus.CANCELLED, frozenset({D, CS, SV})),
}


class ReplRuleError(Exception):
    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def resolve_repl(action: ReplAction, status: str | None, role: Role) -> ReplStatus:
    """The status `action` leads to from `status` for `role`, or ReplRuleError."""
    rule = TABLE[action]
    if role not in rule.roles:
        raise ReplRuleError("replenish.role_refused", action=action.value, role=role.value)
    if action == ReplAction.PLACE:
        if status is not None:
            raise ReplRuleError("replenish.already_exists")
        return rule.target
    if status is None or status not in {s.value for s in rule.sources}:
        raise ReplRuleError("replenish.wrong_status", action=action.value, status=str(status))
    return rule.target
