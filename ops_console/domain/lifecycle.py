"""The one lifecycle table of a customer order: which action moves which status where, and who may.

Pure: no I/O. The service layer (services/lifecycle.py) is the only caller that changes an
order's status, and it asks `resolve()` first; the console, CLI, intake and simulator all go
through it, so there is no second path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ops_console.domain.types import (
    Action,
    CallOutcome,
    CancelReason,
    EscalationReason,
    NotCompletedReason,
    RefusalReason,
    ReviewReason,
    Role,
    ShortageResolution,
    Status,
    Tier,
    next_tier,
)

S = Status
D, CS, SYS = Role.DISPATCHER, Role.CUSTOMER_SERVICE, Role.SYSTEM

# Everything before delivery can be cancelled, and so can a refused or failed delivery.
CANCELLABLE = frozenset(
    {
        S.RECEIVED,
        S.MANUAL_REVIEW,
        S.UNASSIGNED,
        S.ASSIGNED,
        S.PICKING,
        S.PICKED,
        S.DISPATCHED,
        S.HELD,
        S.OUT_FOR_DELIVERY,
        S.REFUSED,
        S.NOT_COMPLETED,
    }
)
OPEN = frozenset(s for s in Status if s not in {S.COMPLETED, S.REJECTED, S.CANCELLED})
ANY = frozenset(Status)


@dataclass(frozen=True)
class Rule:
    action: Action
    sources: frozenset[Status]
    targets: tuple[Status, ...]  # every status the action can lead to; the first is the usual one
    roles: frozenset[Role]  # supervisors may take every action a person may take
    on_behalf_of: str | None = None  # store / courier / customer: a field act entered at the console
    reason: type[StrEnum] | None = None  # a reason code from this set is required
    note: str = ""


def _r(
    action: Action,
    sources: frozenset[Status] | set[Status],
    targets: tuple[Status, ...],
    roles: set[Role],
    on_behalf_of: str | None = None,
    reason: type[StrEnum] | None = None,
) -> Rule:
    return Rule(action, frozenset(sources), targets, frozenset(roles), on_behalf_of, reason)


LIFECYCLE: dict[Action, Rule] = {
    r.action: r
    for r in (
        _r(Action.RECEIVE, set(), (S.RECEIVED,), {SYS, D}),
        _r(Action.REVIEW_PASS, {S.RECEIVED}, (S.UNASSIGNED,), {SYS}),
        _r(Action.REVIEW_FAIL, {S.RECEIVED}, (S.MANUAL_REVIEW,), {SYS}, reason=ReviewReason),
        _r(Action.APPROVE, {S.MANUAL_REVIEW}, (S.UNASSIGNED,), {D}),
        _r(Action.REJECT, {S.MANUAL_REVIEW}, (S.REJECTED,), {D}),
        _r(Action.ASSIGN, {S.UNASSIGNED}, (S.ASSIGNED,), {D, SYS}),
        _r(Action.REASSIGN, {S.ASSIGNED}, (S.ASSIGNED, S.UNASSIGNED), {D}),
        _r(Action.CLAIM, OPEN, (), {D, CS}),
        _r(Action.RELEASE, OPEN, (), {D, CS}),
        _r(Action.START_PICKING, {S.ASSIGNED}, (S.PICKING,), {D, SYS}, "store"),
        _r(Action.REPORT_SHORTAGE, {S.PICKING}, (S.PICKING,), {D, SYS}, "store"),
        _r(Action.FINISH_PICKING, {S.PICKING}, (S.PICKED,), {D, SYS}, "store"),
        _r(Action.ESCALATE, {S.PICKED, S.ASSIGNED, S.PICKING}, (S.PICKED,), {D, SYS}, reason=EscalationReason),
        _r(Action.DISPATCH, {S.PICKED}, (S.DISPATCHED,), {D, SYS}),
        _r(Action.UNDISPATCH, {S.DISPATCHED}, (S.PICKED,), {D, SYS}),
        _r(Action.HAND_OVER, {S.DISPATCHED}, (S.DISPATCHED,), {D, SYS}, "courier"),
        _r(
            Action.CALL,
            {S.DISPATCHED},
            (S.OUT_FOR_DELIVERY, S.HELD, S.DISPATCHED, S.UNASSIGNED),
            {D, SYS},
            "courier",
        ),
        _r(Action.RELEASE_HOLD, {S.HELD}, (S.DISPATCHED,), {D, SYS}),
        _r(Action.DELIVER, {S.OUT_FOR_DELIVERY}, (S.DELIVERED,), {D, SYS}, "courier"),
        _r(Action.REFUSE, {S.OUT_FOR_DELIVERY}, (S.REFUSED,), {D, SYS}, "courier", RefusalReason),
        _r(Action.FAIL, {S.OUT_FOR_DELIVERY}, (S.NOT_COMPLETED,), {D, SYS}, "courier", NotCompletedReason),
        _r(Action.REDISPATCH, {S.REFUSED, S.NOT_COMPLETED}, (S.PICKED,), {D}),
        _r(Action.CONFIRM, {S.DELIVERED}, (S.COMPLETED,), {D, CS, SYS}),
        _r(Action.CANCEL, CANCELLABLE, (S.CANCELLED,), {D, CS}, reason=CancelReason),
        _r(Action.REVEAL_PHONE, ANY, (), {D, CS}),
    )
}

# Actions that leave the status where it is (targets == ()).
MARKER_ACTIONS = frozenset(a for a, r in LIFECYCLE.items() if not r.targets)


class RuleError(Exception):
    """A refused action: `code` is a message-catalog key, `params` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def role_allowed(rule: Rule, role: Role) -> bool:
    if role in rule.roles:
        return True
    # A supervisor may do everything a person may do; system-only steps stay automatic.
    return role == Role.SUPERVISOR and bool(rule.roles - {Role.SYSTEM})


def allowed_actions(status: Status, role: Role) -> list[Action]:
    """What this role may do to an order in this status (for menus and help)."""
    return [a for a, r in LIFECYCLE.items() if status in r.sources and role_allowed(r, role)]


@dataclass(frozen=True)
class OrderView:
    """What the rules need to know of an order."""

    status: Status
    store_id: str | None = None
    tier: Tier | None = None
    claimed_by: str | None = None


def resolve(action: Action, order: OrderView | None, role: Role, params: dict[str, Any]) -> Status | None:
    """The status the action leads to, or RuleError. `None` means "no status" (marker actions on none)."""
    rule = LIFECYCLE.get(action)
    if rule is None:
        raise RuleError("lifecycle.unknown_action", action=str(action))
    if not role_allowed(rule, role):
        raise RuleError("lifecycle.role_refused", action=str(action), role=str(role))
    if action == Action.RECEIVE:
        if order is not None:
            raise RuleError("lifecycle.already_exists")
        return S.RECEIVED
    if order is None:
        raise RuleError("lifecycle.no_order")
    if order.status not in rule.sources:
        raise RuleError("lifecycle.wrong_status", action=str(action), status=str(order.status))
    _check_reason(rule, params)
    current = order.status
    match action:
        case Action.REASSIGN:
            return S.ASSIGNED if params.get("store_id") else S.UNASSIGNED
        case Action.ASSIGN:
            if not params.get("store_id"):
                raise RuleError("lifecycle.store_required")
            return S.ASSIGNED
        case Action.REJECT:
            if not str(params.get("reason_text") or params.get("reason") or "").strip():
                raise RuleError("lifecycle.reason_required", action=str(action))
            return S.REJECTED
        case Action.ESCALATE:
            reason = EscalationReason(params["reason"])
            if current in (S.ASSIGNED, S.PICKING):
                if reason != EscalationReason.STORE_CANNOT_SUPPLY:
                    raise RuleError("lifecycle.escalate_before_picked")
                return S.PICKED
            if order.tier == Tier.EMERGENCY:
                raise RuleError("lifecycle.no_higher_tier")
            return S.PICKED
        case Action.DISPATCH:
            if not params.get("courier_id"):
                raise RuleError("lifecycle.courier_required")
            return S.DISPATCHED
        case Action.UNDISPATCH:
            if not str(params.get("reason_text") or params.get("reason") or "").strip():
                raise RuleError("lifecycle.reason_required", action=str(action))
            return S.PICKED
        case Action.CALL:
            outcome = _enum(CallOutcome, params.get("outcome"), "outcome")
            if outcome == CallOutcome.NOW:
                return S.OUT_FOR_DELIVERY
            if outcome == CallOutcome.APPOINTMENT:
                if params.get("appointment_at") is None:
                    raise RuleError("lifecycle.appointment_required")
                return S.HELD
            if outcome == CallOutcome.ADDRESS_CORRECTED:
                if not str(params.get("address") or "").strip():
                    raise RuleError("lifecycle.address_required")
                same = params.get("store_id") is not None and params.get("store_id") == order.store_id
                return S.DISPATCHED if same else S.UNASSIGNED
            return S.DISPATCHED
        case Action.REPORT_SHORTAGE:
            _enum(ShortageResolution, params.get("resolution"), "resolution")
            return S.PICKING
        case Action.CLAIM:
            holder = order.claimed_by
            if holder and holder != params.get("actor_id"):
                raise RuleError("lifecycle.claimed_by_other", holder=holder)
            return current
        case Action.RELEASE:
            holder = order.claimed_by
            if not holder:
                raise RuleError("lifecycle.not_claimed")
            if holder != params.get("actor_id") and role != Role.SUPERVISOR:
                raise RuleError("lifecycle.claimed_by_other", holder=holder)
            return current
    return rule.targets[0] if rule.targets else current


def escalation_tier(current: Tier | None, reason: EscalationReason | str) -> Tier:
    """The tier an escalation leads to: one up, or straight to the emergency team."""
    if EscalationReason(reason) == EscalationReason.STORE_CANNOT_SUPPLY:
        return Tier.EMERGENCY
    nxt = next_tier(current or Tier.COMPANY)
    if nxt is None:
        raise RuleError("lifecycle.no_higher_tier")
    return nxt


def _check_reason(rule: Rule, params: dict[str, Any]) -> None:
    if rule.reason is None:
        return
    _enum(rule.reason, params.get("reason"), "reason")
    if params.get("reason") == "other" and not str(params.get("reason_text") or "").strip():
        raise RuleError("lifecycle.other_needs_text")


def _enum(kind: type[StrEnum], value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise RuleError(
            "lifecycle.bad_code", field=name, value=str(value), allowed=", ".join(m.value for m in kind)
        ) from None


def reasons_for(action: Action) -> list[str]:
    rule = LIFECYCLE[action]
    return [m.value for m in rule.reason] if rule.reason else []
