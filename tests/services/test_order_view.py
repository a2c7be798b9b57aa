"""The order snapshot for the detail screen, the phone reveal (logged), and the dialogs' choices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ops_console.domain.types import Action
from ops_console.services.couriers import courier_choices
from ops_console.services.errors import NotFound, Refused
from ops_console.services.lifecycle import order_history, perform
from ops_console.services.order_view import (
    order_briefs,
    order_snapshot,
    reveal_phone,
    store_choices,
)
from ops_console.storage.db import write_session
from ops_console.storage.models import Anomaly, Courier, Reminder
from tests.conftest import DISPATCHER, SUPERVISOR
from tests.factories import new_order


def test_snapshot_has_lines_masked_phone_and_history_with_names_in_local_time(city) -> None:
    out = new_order(city, "MT1")
    city.clock.advance(minutes=5)
    perform(city, out.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    snap = order_snapshot(city, out.order_id)
    assert snap.order_no == "MT1" and snap.status == "assigned"
    assert snap.phone_masked == "138****1234"
    assert "13812341234" not in repr(snap)  # the full number never sits in a snapshot
    assert snap.store_name == "阳光店" and snap.assign_method == "manual"
    assert [(li.sku, li.qty, li.amount) for li in snap.lines] == [("P001", 2, 700)]
    assert [(e.action, e.actor_name) for e in snap.events] == [
        ("receive", "system"), ("review_pass", "system"), ("assign", "王丽"),
    ]
    assert snap.events[-1].at.strftime("%H:%M %Z") == "10:05 CST"  # Asia/Shanghai
    assert snap.events[-1].detail["store_name"] == "阳光店"


def test_snapshot_shows_the_orders_anomalies_and_reminders_only(city) -> None:
    a = new_order(city, "MT1")
    b = new_order(city, "MT2")
    now = city.clock.now()
    with write_session(city.engine) as s:
        s.add(Anomaly(rule="duplicate", severity="critical", order_id=a.order_id, fingerprint="dup:1",
                      first_seen=now, last_seen=now, count=2))
        s.add(Anomaly(rule="duplicate", order_id=b.order_id, fingerprint="dup:2", first_seen=now))
        s.add(Reminder(kind="picking_overdue", dedup_key=f"picking_overdue|order:{a.order_id}|1",
                       subject=f"order:{a.order_id}", raised_at=now, raise_count=3,
                       payload={"message": "reminders.msg.picking_overdue",
                                "params": {"order": "MT1", "store": "阳光店", "since": "10:00", "minutes": 7, "sla": 5}}))
        s.add(Reminder(kind="backlog_count", dedup_key="backlog_count|queue|1", subject="queue", raised_at=now))
    alerts = order_snapshot(city, a.order_id).alerts
    assert [(x.source, x.kind, x.count) for x in alerts] == [("anomaly", "duplicate", 2), ("reminder", "picking_overdue", 3)]
    assert "MT1" in alerts[1].message() and "7" in alerts[1].message()


def test_reveal_phone_returns_the_number_and_logs_who_looked(city) -> None:
    out = new_order(city, "MT1")
    city.clock.advance(minutes=1)
    assert reveal_phone(city, DISPATCHER, out.order_id) == "13812341234"
    _, events = order_history(city, out.order_id)
    assert (events[-1].action, events[-1].actor, events[-1].at) == ("reveal_phone", "U01", datetime(2026, 11, 24, 2, 1, tzinfo=UTC))


def test_reveal_phone_of_a_missing_order_is_not_found(city) -> None:
    with pytest.raises(NotFound):
        reveal_phone(city, DISPATCHER, 999)


def test_briefs_keep_the_asked_order_and_report_missing_ids(city) -> None:
    a = new_order(city, "MT1")
    b = new_order(city, "MT2")
    briefs, missing = order_briefs(city, [b.order_id, 77, a.order_id])
    assert [x.order_no for x in briefs] == ["MT2", "MT1"]
    assert [m.id for m in missing] == [77]
    assert "77" in missing[0].message


def test_store_choices_carry_keywords(city) -> None:
    stores = store_choices(city)
    assert [(s.id, s.name, s.keywords) for s in stores] == [("S01", "阳光店", ("阳光小区",)), ("S02", "河畔店", ("河畔花园",))]


def _picked(ctx, no: str, store: str = "S02") -> int:
    out = new_order(ctx, no)
    for action, kw in ((Action.ASSIGN, {"store_id": store}), (Action.START_PICKING, {}), (Action.FINISH_PICKING, {})):
        perform(ctx, out.order_id, action, DISPATCHER, **kw)
    return out.order_id


def test_couriers_own_store_first_then_fewest_active_deliveries(city) -> None:
    with write_session(city.engine) as s:
        s.add(Courier(id="C06", name="周六", tier="company", store_id=None, capacity=2))
        s.add(Courier(id="C07", name="吴七", tier="company", store_id="S02", capacity=2))
        s.add(Courier(id="C08", name="郑八", tier="company", store_id="S02", on_duty=False))
    first = _picked(city, "MT1")
    perform(city, first, Action.DISPATCH, DISPATCHER, courier_id="C02")
    second = _picked(city, "MT2")
    tier, couriers = courier_choices(city, second)
    assert tier == "company"
    # S02's own couriers first (C07 idle before C02 busy), then the store-less C06; C01 (S01) and
    # the off-duty C08 are not offered.
    assert [(c.id, c.busy) for c in couriers] == [("C07", 0), ("C02", 1), ("C06", 0)]


def test_couriers_follow_the_orders_tier(city) -> None:
    oid = _picked(city, "MT1")
    perform(city, oid, Action.ESCALATE, SUPERVISOR, reason="no_free_courier")
    tier, couriers = courier_choices(city, oid)
    assert tier == "third_party"
    assert [c.id for c in couriers] == ["C03"]
    with pytest.raises(Refused):
        perform(city, oid, Action.DISPATCH, DISPATCHER, courier_id="C02")
