"""The pure proposal rule and the workday arithmetic, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ops_console.domain.dispatch import CourierLoad, escalation_steps, propose
from ops_console.domain.lifecycle import RuleError
from ops_console.domain.service_requests import (
    Policy,
    RequestAction,
    RequestStatus,
    RequestType,
    add_workdays,
    next_status,
)
from ops_console.domain.types import Role, Tier

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
WAIT = timedelta(minutes=10)


def c(cid: str, tier: str, store: str | None = None, cap: int = 1, carrying: int = 0, on: bool = True,
      idle: datetime | None = None) -> CourierLoad:
    return CourierLoad(cid, cid, tier, store, cap, on, carrying, idle)


def test_company_courier_of_another_store_is_never_proposed() -> None:
    p = propose(store_id="S01", tier=None, waiting_since=NOW, now=NOW, wait=WAIT,
                couriers=[c("C9", "company", "S02"), c("C3", "third_party")])
    assert (p.tier, p.courier_id, p.reason) == (Tier.THIRD_PARTY, "C3", "no_free_courier")


def test_fewest_open_deliveries_then_longest_idle() -> None:
    couriers = [c("A", "company", "S01", cap=3, carrying=1), c("B", "company", "S01", cap=3, idle=NOW),
                c("C", "company", "S01", cap=3, idle=NOW - timedelta(hours=1))]
    assert propose(store_id="S01", tier=None, waiting_since=NOW, now=NOW, wait=WAIT, couriers=couriers).courier_id == "C"


def test_full_tiers_are_skipped_up_to_the_emergency_team() -> None:
    couriers = [c("A", "company", "S01", carrying=1), c("T", "third_party", carrying=1), c("E", "emergency")]
    p = propose(store_id="S01", tier=None, waiting_since=NOW - WAIT, now=NOW, wait=WAIT, couriers=couriers)
    assert (p.tier, p.courier_id, p.reason) == (Tier.EMERGENCY, "E", "waited_too_long")
    assert escalation_steps(None, Tier.EMERGENCY) == [Tier.THIRD_PARTY, Tier.STORE_STAFF, Tier.EMERGENCY]


def test_workdays_skip_weekends_and_holidays_and_count_extra_workdays() -> None:
    pol = Policy(7, 24, 24, 3, frozenset({date(2026, 10, 1)}), frozenset({date(2026, 10, 3)}))
    assert add_workdays(date(2026, 9, 30), 3, pol) == date(2026, 10, 5)  # Fri 2, Sat 3 (worked), Mon 5
    assert add_workdays(date(2026, 11, 27), 1, pol) == date(2026, 11, 30)  # Friday → Monday


def test_only_customer_service_or_a_supervisor_confirms() -> None:
    with pytest.raises(RuleError) as refused:
        next_status(RequestAction.CONFIRM, RequestType.RETURN, RequestStatus.REQUESTED, Role.DISPATCHER)
    assert refused.value.code == "service.role_refused"
    for role in (Role.CUSTOMER_SERVICE, Role.SUPERVISOR):
        assert next_status(RequestAction.CONFIRM, RequestType.RETURN, RequestStatus.REQUESTED, role) == "confirmed"
    with pytest.raises(RuleError):  # a return is refunded after the pick-up only
        next_status(RequestAction.REFUND, RequestType.RETURN, RequestStatus.CONTACTED, Role.CUSTOMER_SERVICE)
