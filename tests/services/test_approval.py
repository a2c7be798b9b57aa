"""Approval after manual review is a review pass done by a person: the matcher runs, the backlog
clock counts from receipt, and the history keeps how long the review took."""

from __future__ import annotations

from ops_console.domain.types import Action
from ops_console.services import summary
from ops_console.services.actions import perform
from ops_console.services.lifecycle import order_history
from ops_console.services.reminders import open_reminders, run_checks
from tests.conftest import DISPATCHER
from tests.factories import new_order


def in_review(ctx, order_no: str, address: str):
    """An order whose price does not match the catalogue: it waits in manual review."""
    out = new_order(ctx, order_no, price=999, address=address, match_address=True)
    assert out.to_status == "manual_review"
    return out


def test_approval_assigns_a_matchable_address_at_once(city) -> None:
    in_review(city, "R1", "阳光小区3栋2单元501")
    city.clock.advance(minutes=111)  # 1h51 in review
    out = perform(city, "R1", Action.APPROVE, DISPATCHER)
    assert (out.from_status, out.to_status) == ("manual_review", "assigned")
    order, events = order_history(city, "R1")
    assert (order.status, order.store_id, order.assign_method) == ("assigned", "S01", "auto")
    assert out.version == order.version  # the next action can go on from what the outcome says
    approve, assign = events[-2:]
    assert (approve.action, approve.actor) == ("approve", "U01")
    assert (assign.action, assign.actor, assign.detail["keyword"]) == ("assign", "system", "阳光小区")
    assert approve.at == assign.at  # one transaction
    # The history keeps the time in review, and why it was there.
    assert approve.detail["review_minutes"] == 111
    assert approve.detail["review_reason"] == "price"


def test_an_unmatched_approved_order_waits_with_suggestions_and_its_age_from_receipt(city) -> None:
    received = city.clock.now()
    in_review(city, "R2", "阳光小曲3栋")  # a typo: no keyword, a suggestion by similar spelling
    city.clock.advance(minutes=111)
    out = perform(city, "R2", Action.APPROVE, DISPATCHER)
    assert out.to_status == "unassigned"
    order, _ = order_history(city, "R2")
    assert order.match_reason == "no keyword"
    assert [(s["store_id"], s["reason"]) for s in order.suggestions][:1] == [("S01", "fuzzy")]
    # The queue's clock is the receipt, not the approval: not 0 minutes but 1h51.
    assert order.unassigned_at == received
    assert summary.summarize(city).backlog_minutes == 111
    # …and the backlog reminders see the same age at once.
    run_checks(city)
    kinds = {r.kind for r in open_reminders(city)}
    assert {"backlog_warn", "backlog_critical"} <= kinds


def test_the_engine_alone_records_the_review_time_too(city) -> None:
    """A caller of the bare engine (services/lifecycle.py) still gets the clock and the history."""
    from ops_console.services.lifecycle import perform as engine_perform

    in_review(city, "R3", "翠湖苑5栋")
    city.clock.advance(minutes=7)
    engine_perform(city, "R3", Action.APPROVE, DISPATCHER)
    order, events = order_history(city, "R3")
    assert events[-1].detail["review_minutes"] == 7
    assert order.unassigned_at == order.received_at


def test_the_order_history_shows_the_time_in_review(city) -> None:
    from ops_console.i18n import set_language
    from ops_console.services.order_view import order_snapshot
    from ops_console.tui.screens.detail import describe_event

    in_review(city, "R4", "阳光小区1栋")
    city.clock.advance(minutes=111)
    perform(city, "R4", Action.APPROVE, DISPATCHER)
    snap = order_snapshot(city, "R4")
    (approve,) = [e for e in snap.events if e.action == "approve"]
    assert describe_event(approve) == "人工审核用时 111 分钟 · 价格不符"
    set_language("en")
    assert describe_event(approve) == "111 min in manual review · price"
