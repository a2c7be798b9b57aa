"""Returns, exchanges, refunds and complaints: their statuses, who moves them, and the policy. Pure.

`requested` → `confirmed` (customer service only) → `contacted` → `picked_up` → `refunded` /
`exchanged` / `declined` → `closed` (CONTRACTS.md "Service requests"). Not every type takes
every step: a complaint is closed after the contact, a refund request is refunded after it, an
exchange may be swapped at the door (contacted → exchanged); a return is refunded only once the
goods are picked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from ops_console.domain.lifecycle import RuleError
from ops_console.domain.types import Category, RefusalReason, Role


class RequestType(StrEnum):
    RETURN = "return"
    EXCHANGE = "exchange"
    REFUND = "refund"
    COMPLAINT = "complaint"


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    CONTACTED = "contacted"
    PICKED_UP = "picked_up"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    DECLINED = "declined"
    CLOSED = "closed"


class RequestAction(StrEnum):
    OPEN = "open"
    CONFIRM = "confirm"
    CONTACT = "contact"
    PICKUP = "pickup"
    REFUND = "refund"
    EXCHANGE = "exchange"
    DECLINE = "decline"
    CLOSE = "close"


class RefundMethod(StrEnum):
    CASH = "cash"
    ONLINE = "online"


RS, RT = RequestStatus, RequestType
D, CS = Role.DISPATCHER, Role.CUSTOMER_SERVICE
ALL_TYPES = frozenset(RequestType)


@dataclass(frozen=True)
class Step:
    action: RequestAction
    sources: frozenset[RequestStatus]
    target: RequestStatus
    roles: frozenset[Role]  # supervisors may do everything
    types: frozenset[RequestType] = ALL_TYPES


STEPS: dict[RequestAction, Step] = {
    s.action: s
    for s in (
        Step(RequestAction.CONFIRM, frozenset({RS.REQUESTED}), RS.CONFIRMED, frozenset({CS})),
        Step(RequestAction.CONTACT, frozenset({RS.CONFIRMED}), RS.CONTACTED, frozenset({CS, D})),
        Step(RequestAction.PICKUP, frozenset({RS.CONTACTED}), RS.PICKED_UP, frozenset({CS, D}),
             frozenset({RT.RETURN, RT.EXCHANGE})),
        Step(RequestAction.REFUND, frozenset({RS.CONTACTED, RS.PICKED_UP}), RS.REFUNDED, frozenset({CS, D}),
             frozenset({RT.RETURN, RT.REFUND})),
        Step(RequestAction.EXCHANGE, frozenset({RS.CONTACTED, RS.PICKED_UP}), RS.EXCHANGED, frozenset({CS, D}),
             frozenset({RT.EXCHANGE})),
        Step(RequestAction.DECLINE, frozenset({RS.REQUESTED, RS.CONFIRMED, RS.CONTACTED, RS.PICKED_UP}),
             RS.DECLINED, frozenset({CS})),
        Step(RequestAction.CLOSE, frozenset({RS.REFUNDED, RS.EXCHANGED, RS.DECLINED, RS.CONTACTED}), RS.CLOSED,
             frozenset({CS, D})),
    )
}
OPEN_ROLES = frozenset({CS, D})
LIVE = frozenset({RS.REQUESTED, RS.CONFIRMED, RS.CONTACTED, RS.PICKED_UP})  # a deadline may still run


def next_status(action: RequestAction, kind: RequestType, status: RequestStatus, role: Role) -> RequestStatus:
    """The status the step leads to, or RuleError (catalog key + params)."""
    step = STEPS[action]
    if role not in step.roles and role != Role.SUPERVISOR:  # a supervisor may take every step
        raise RuleError("service.role_refused", action=f"service.action.{action}", role=f"role.{role}")
    if kind not in step.types:
        raise RuleError("service.wrong_type", action=f"service.action.{action}", type=f"service.type.{kind}")
    if status not in step.sources:
        raise RuleError("service.wrong_status", action=f"service.action.{action}", status=f"service.status.{status}")
    if action == RequestAction.CLOSE and status == RS.CONTACTED and kind != RT.COMPLAINT:
        # only a complaint is settled by the contact itself
        raise RuleError("service.wrong_status", action=f"service.action.{action}", status=f"service.status.{status}")
    if action == RequestAction.REFUND and kind == RT.RETURN and status != RS.PICKED_UP:
        raise RuleError("service.return_not_picked_up")
    return step.target


def possible_steps(kind: RequestType, status: RequestStatus, role: Role) -> list[RequestAction]:
    """The steps `role` may take now on a request of `kind` in `status`, in lifecycle order."""
    out: list[RequestAction] = []
    for action in STEPS:
        try:
            next_status(action, kind, status, role)
        except RuleError:
            continue
        out.append(action)
    return out


@dataclass(frozen=True)
class Policy:
    window_days: int
    produce_window_hours: int
    contact_hours: int
    refund_workdays: int
    holidays: frozenset[date]
    extra_workdays: frozenset[date]


def check_window(policy: Policy, kind: RequestType, reason: RefusalReason, delivered_at: datetime | None,
                 produce_only: bool, now: datetime) -> None:
    """Returns, exchanges and refunds of delivered goods within the return window; produce only for
    quality, within the produce window. Complaints are always heard."""
    if kind == RT.COMPLAINT or delivered_at is None:
        return
    age = now - delivered_at
    if kind in (RT.RETURN, RT.EXCHANGE) and produce_only:
        if reason != RefusalReason.QUALITY:
            raise RuleError("service.produce_quality_only")
        if age > timedelta(hours=policy.produce_window_hours):
            raise RuleError("service.produce_window_passed", hours=policy.produce_window_hours)
    if age > timedelta(days=policy.window_days):
        raise RuleError("service.window_passed", days=policy.window_days)


def produce_only(categories: list[str]) -> bool:
    """The produce rule applies to an order of produce only (a mixed basket follows the general window)."""
    return bool(categories) and all(c == Category.PRODUCE for c in categories)


def is_workday(day: date, policy: Policy) -> bool:
    if day in policy.extra_workdays:
        return True
    if day in policy.holidays:
        return False
    return day.weekday() < 5


def add_workdays(start: date, n: int, policy: Policy) -> date:
    """The n-th workday after `start` (holidays skipped, extra workdays counted)."""
    day = start
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_workday(day, policy):
            counted += 1
    return day


def deadlines(policy: Policy, kind: RequestType, opened: datetime, tz: ZoneInfo) -> tuple[datetime, datetime | None]:
    """First contact within `contact_hours`; a refund (return or refund request) by the end of the
    `refund_workdays`-th workday after the day it was opened (local business days)."""
    contact = opened + timedelta(hours=policy.contact_hours)
    if kind not in (RT.RETURN, RT.REFUND):
        return contact, None
    last = add_workdays(opened.astimezone(tz).date(), policy.refund_workdays, policy)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return contact, end.astimezone(opened.tzinfo)


def pending_deadline(status: RequestStatus, contact_due: datetime | None, refund_due: datetime | None
                     ) -> tuple[str, datetime] | None:
    """The limit that runs now: first contact until contacted, then the refund until refunded."""
    if status in (RS.REQUESTED, RS.CONFIRMED) and contact_due is not None:
        return "contact", contact_due
    if status in (RS.CONTACTED, RS.PICKED_UP) and refund_due is not None:
        return "refund", refund_due
    return None
