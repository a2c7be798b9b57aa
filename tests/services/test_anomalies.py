"""Alert lifecycle, replenishment holds, payments and the checks — over a real database and a ManualClock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.domain.anomaly import Finding, RuleId
from ops_console.services import anomalies, anomaly_checks, payments, replenishment, replenishment_intake
from ops_console.services.context import AppContext
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import perform
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Anomaly, Event, Order
from tests.conftest import DISPATCHER, SUPERVISOR, T0
from tests.factories import new_order

# T0 is 10:00 in Shanghai; the reorder window is 13:00-15:00.
IN_WINDOW = T0 + timedelta(hours=3, minutes=30)


def _finding(subject: str = "order:1", rule: RuleId = RuleId.PAYMENT_FAILED, amount: int = 0) -> Finding:
    return Finding(rule, subject, {"order": "X", "ref": "R", "amount": "1.00"}, amount)


def _raise(ctx: AppContext, finding: Finding, **kw: object) -> anomalies.Raised:
    with write_session(ctx.engine) as s:
        return anomalies.raise_finding(s, ctx, finding, **kw)  # type: ignore[arg-type]


def _events(ctx: AppContext, alert_id: int) -> list[str]:
    _, events, _ = anomalies.get_alert(ctx, alert_id)
    return [e.action for e in events]


def test_dedup_counts_repeats_and_a_new_alert_after_resolve(city: AppContext, clock: ManualClock) -> None:
    first = _raise(city, _finding())
    clock.advance(minutes=1)
    again = _raise(city, _finding())
    assert (first.change, again.change, again.alert_id) == ("raised", "repeated", first.alert_id)
    alert = anomalies.list_alerts(city)[0]
    assert alert.count == 2 and alert.first_seen == T0 and alert.last_seen == T0 + timedelta(minutes=1)
    anomalies.resolve(city, first.alert_id or 0, DISPATCHER, "客户已重新支付")
    after = _raise(city, _finding())
    assert after.change == "raised" and after.alert_id != first.alert_id
    assert [a.id for a in anomalies.list_alerts(city)] == [after.alert_id]
    assert len(anomalies.list_alerts(city, include_all=True)) == 2
    assert _events(city, first.alert_id or 0) == ["raised", "repeated", "resolved"]


def test_a_check_does_not_reopen_a_resolved_episode(city: AppContext) -> None:
    f = _finding(rule=RuleId.DELIVERY_OVERDUE)
    done = _raise(city, f, episode="e1", reopen=False, repeat_counts=False)
    assert _raise(city, f, episode="e1", reopen=False, repeat_counts=False).change == "quiet"
    anomalies.resolve(city, done.alert_id or 0, DISPATCHER, "已联系配送员")
    assert _raise(city, f, episode="e1", reopen=False, repeat_counts=False).change == "quiet"
    assert _raise(city, f, episode="e2", reopen=False, repeat_counts=False).change == "raised"


def test_acknowledgement_holds_while_the_condition_repeats(city: AppContext) -> None:
    alert_id = _raise(city, _finding()).alert_id or 0
    anomalies.acknowledge(city, alert_id, DISPATCHER)
    _raise(city, _finding())
    view = anomalies.list_alerts(city)[0]
    assert (view.status, view.count, view.acknowledged_by) == ("acknowledged", 2, "U01")
    with pytest.raises(Refused):
        anomalies.acknowledge(city, alert_id, DISPATCHER)


def test_acknowledged_critical_alert_escalates_after_the_timeout(city: AppContext, clock: ManualClock) -> None:
    alert_id = _raise(city, _finding(rule=RuleId.PAYMENT_MISMATCH)).alert_id or 0  # critical by rule
    warning_id = _raise(city, _finding(subject="order:2")).alert_id or 0
    anomalies.acknowledge(city, alert_id, DISPATCHER)
    anomalies.acknowledge(city, warning_id, DISPATCHER)
    timeout = city.settings.anomaly.ack_timeout_minutes
    clock.advance(minutes=timeout - 1)
    assert anomaly_checks.run_anomaly_checks(city).escalated == 0
    clock.advance(minutes=1)
    assert anomaly_checks.run_anomaly_checks(city).escalated == 1
    view, events, _ = anomalies.get_alert(city, alert_id)
    assert (view.status, view.escalated_to) == ("open", "supervisor")
    assert events[-1].action == "escalated" and events[-1].actor == "system"
    assert anomalies.get_alert(city, warning_id)[0].status == "acknowledged"  # a warning does not escalate
    assert anomaly_checks.run_anomaly_checks(city).escalated == 0  # once
    with pytest.raises(Refused) as info:
        anomalies.acknowledge(city, alert_id, DISPATCHER)  # it is the supervisor's now
    assert "主管" in info.value.message
    assert anomalies.acknowledge(city, alert_id, SUPERVISOR).status == "acknowledged"


def test_changes_feed_reports_alerts_raised_and_acted_on(city: AppContext) -> None:
    cursor = 0
    alert_id = _raise(city, _finding()).alert_id or 0
    anomalies.acknowledge(city, alert_id, DISPATCHER)
    changes, cursor = anomalies.changes_since(city, cursor)
    assert [(c.action, c.alert.id, c.actor) for c in changes] == [("raised", alert_id, "system"),
                                                                 ("acknowledged", alert_id, "U01")]
    assert anomalies.changes_since(city, cursor)[0] == []


def test_silence_expires_by_itself_and_the_feed_says_so(city: AppContext, clock: ManualClock) -> None:
    alert_id = _raise(city, _finding()).alert_id or 0
    with pytest.raises(Refused):
        anomalies.silence(city, alert_id, DISPATCHER, T0 + timedelta(hours=1), "  ")
    anomalies.silence(city, alert_id, DISPATCHER, T0 + timedelta(hours=1), "等平台回复")
    _raise(city, _finding())  # a repeat while silenced counts, stays quiet
    assert anomalies.get_alert(city, alert_id)[0].status == "silenced"
    clock.advance(minutes=59)
    assert anomaly_checks.run_anomaly_checks(city).unsilenced == 0
    clock.advance(minutes=1)
    assert anomaly_checks.run_anomaly_checks(city).unsilenced == 1
    view, events, _ = anomalies.get_alert(city, alert_id)
    assert view.status == "open" and view.count == 2
    assert events[-1].action == "silence_expired" and events[-1].detail["reason"] == "等平台回复"


def test_resolve_needs_text_and_informed_for_a_customer_order(city: AppContext) -> None:
    order = new_order(city, "MT1")
    alert = anomalies.report(city, "MT1", "客户说少了一袋青菜", DISPATCHER, "complaint")
    assert alert.order_no == "MT1" and alert.rule == "staff_report"
    with pytest.raises(Refused):
        anomalies.resolve(city, alert.id, DISPATCHER, "")
    with pytest.raises(Refused) as info:
        anomalies.resolve(city, alert.id, DISPATCHER, "补送一袋")
    assert "告知客户" in info.value.message
    done = anomalies.resolve(city, alert.id, DISPATCHER, "补送一袋", informed=True)
    assert (done.status, done.customer_informed, done.resolved_by) == ("resolved", True, "U01")
    assert order.order_id == done.order_id


def test_owner_and_deadline_raise_the_alert_deadline_reminder(city: AppContext, clock: ManualClock) -> None:
    from ops_console.services.reminders import list_reminders, run_checks

    alert_id = _raise(city, _finding()).alert_id or 0
    anomalies.take_ownership(city, alert_id, DISPATCHER, deadline=T0 + timedelta(minutes=30))
    run_checks(city)
    assert not [r for r in list_reminders(city) if r.kind == "alert_deadline"]
    clock.advance(minutes=31)
    run_checks(city)
    assert [r.kind for r in list_reminders(city) if r.kind == "alert_deadline"] == ["alert_deadline"]
    assert _events(city, alert_id) == ["raised", "owned"]


def test_picking_overdue_alert_resolved_by_the_system_when_picking_finishes(city: AppContext,
                                                                            clock: ManualClock) -> None:
    new_order(city, "MT2", match_address=True)  # produce: 5 min SLA → anomaly after 10
    with read_session(city.engine) as s:
        assert s.exec(select(Order.status).where(Order.order_no == "MT2")).one() == "assigned"
    clock.advance(minutes=9)
    assert anomaly_checks.run_anomaly_checks(city).raised == 0
    clock.advance(minutes=1)
    assert anomaly_checks.run_anomaly_checks(city).raised == 1
    assert anomaly_checks.run_anomaly_checks(city).raised == 0  # the same episode: no second alert, no count
    [alert] = anomalies.list_alerts(city, rule="picking_overdue")
    assert alert.count == 1 and alert.order_no == "MT2"
    perform(city, "MT2", "start_picking", DISPATCHER)
    anomaly_checks.run_anomaly_checks(city)
    assert anomalies.list_alerts(city, rule="picking_overdue")  # still picking
    perform(city, "MT2", "finish_picking", DISPATCHER)
    assert anomaly_checks.run_anomaly_checks(city).cleared == 1
    view, events, _ = anomalies.get_alert(city, alert.id)
    assert view.status == "resolved" and view.resolved_by == "system" and events[-1].detail["system"] is True


def test_an_owned_overdue_alert_stays_when_the_stage_completes(city: AppContext, clock: ManualClock) -> None:
    new_order(city, "MT3", match_address=True)
    clock.advance(minutes=10)
    anomaly_checks.run_anomaly_checks(city)
    [alert] = anomalies.list_alerts(city, rule="picking_overdue")
    anomalies.take_ownership(city, alert.id, DISPATCHER)
    perform(city, "MT3", "start_picking", DISPATCHER)
    perform(city, "MT3", "finish_picking", DISPATCHER)
    anomaly_checks.run_anomaly_checks(city)
    view, events, _ = anomalies.get_alert(city, alert.id)
    assert view.status == "open" and events[-1].action == "condition_cleared"


# ------------------------------------------------------------------------------ replenishment


def _history(ctx: AppContext, clock: ManualClock, qty: int = 24, days: int = 8) -> None:
    for d in range(days, 0, -1):
        clock.set(IN_WINDOW - timedelta(days=d))
        replenishment_intake.place(ctx, "S01", {"G001": qty}, DISPATCHER)
    clock.set(IN_WINDOW)


def test_tenfold_replenishment_is_held_verified_then_accepted(city: AppContext, clock: ManualClock) -> None:
    _history(city, clock)
    normal = replenishment_intake.place(city, "S01", {"G001": 24}, DISPATCHER)
    assert (normal.status, normal.anomalies) == ("accepted", ())
    held = replenishment_intake.place(city, "S01", {"G001": 240}, DISPATCHER)
    assert held.status == "on_hold" and "quantity_surge" in held.anomalies
    with pytest.raises(Refused):
        replenishment.mark_sorted(city, held.order_no)
    done = replenishment.verify(city, held.order_no, DISPATCHER, "门店确认要办活动")
    assert done.status == "accepted"
    with read_session(city.engine) as s:
        steps = [(e.action, e.to_status, e.actor) for e in
                 s.exec(select(Event).where(Event.order_id == done.id, Event.subject_type == "order")
                        .order_by(Event.id))]
        alerts = list(s.exec(select(Anomaly).where(Anomaly.order_id == done.id)))
    assert steps == [("place", "placed", "U01"), ("hold", "on_hold", "system"), ("verify", "accepted", "U01")]
    assert alerts and all(a.status == "resolved" and a.resolved_by == "U01" for a in alerts)
    assert replenishment.mark_sorted(city, done.order_no).status == "sorted"
    assert replenishment.mark_delivered(city, done.order_no).status == "delivered"


def test_step_mismatch_holds_and_cancel(city: AppContext, clock: ManualClock) -> None:
    clock.set(IN_WINDOW)
    held = replenishment_intake.place(city, "S01", {"G001": 13}, DISPATCHER)  # step 12
    assert held.status == "on_hold" and held.anomalies == ("step_mismatch",)
    assert replenishment.cancel(city, held.order_no, DISPATCHER, "录入错误").status == "cancelled"
    assert [r.to_json()["amount"] for r in replenishment.list_replenishment(city)] == ["26.00"]


def test_outside_the_window_is_an_alert_but_no_hold(city: AppContext, clock: ManualClock) -> None:
    clock.set(T0)  # 10:00
    order = replenishment_intake.place(city, "S01", {"G001": 24}, DISPATCHER)
    assert (order.status, order.anomalies) == ("accepted", ("outside_reorder_window",))


def test_amount_cap_holds_a_replenishment_order(city: AppContext, clock: ManualClock) -> None:
    clock.set(IN_WINDOW)
    cap_qty = city.settings.fen(city.settings.anomaly.amount_cap_replenishment) // 350
    order = replenishment_intake.place(city, "S01", {"P001": cap_qty + 1}, DISPATCHER)
    assert order.status == "on_hold" and "amount_cap" in order.anomalies
    [alert] = anomalies.list_alerts(city, rule="amount_cap")
    assert alert.severity == "critical"


# ---------------------------------------------------------------------------- payments, intake


def test_payment_for_an_order_not_yet_received_waits_then_applies(city: AppContext, clock: ManualClock) -> None:
    rec = payments.PaymentRecord("meituan", "MT9", "PAY1", 700, "failed", T0)
    assert [a.outcome for a in payments.record_payments(city, [rec])] == ["waiting"]
    clock.advance(minutes=61)
    assert [o["order_no"] for o in payments.orphaned(city)] == ["MT9"]
    outcome = new_order(city, "MT9")
    with write_session(city.engine) as s:
        anomaly_checks.evaluate_new_order(s, city, outcome.order_id)
    assert payments.orphaned(city) == []
    assert [a.rule for a in anomalies.list_alerts(city)] == ["payment_failed"]


def test_payment_duplicate_and_mismatch(city: AppContext) -> None:
    new_order(city, "MT10")  # 7.00 yuan paid online
    res = payments.record_payments(city, [payments.PaymentRecord("meituan", "MT10", "A", 700, "paid", T0),
                                          payments.PaymentRecord("meituan", "MT10", "A", 700, "paid", T0),
                                          payments.PaymentRecord("meituan", "MT10", "B", 700, "paid", T0)])
    assert [r.outcome for r in res] == ["applied", "same", "applied"]
    assert set(res[2].findings) == {"payment_duplicate", "payment_mismatch"}
    clash = payments.record_payments(city, [payments.PaymentRecord("meituan", "MT10", "A", 900, "paid", T0)])
    assert clash[0].outcome == "clash" and "payment_duplicate" in clash[0].findings
    dup = anomalies.list_alerts(city, rule="payment_duplicate")[0]
    assert dup.count == 2 and dup.severity == "critical"


def test_intake_seam_duplicate_customer_order(city: AppContext, clock: ManualClock) -> None:
    first = new_order(city, "MT20")
    with write_session(city.engine) as s:
        assert anomaly_checks.evaluate_new_order(s, city, first.order_id) == []
    clock.advance(minutes=5)
    second = new_order(city, "MT21")
    with write_session(city.engine) as s:
        found = anomaly_checks.evaluate_new_order(s, city, second.order_id)
    assert [f.rule for f in found] == [RuleId.DUPLICATE_ORDER]
    assert anomalies.list_alerts(city)[0].to_json()["order_no"] == "MT21"


def test_intake_seam_zero_stock(city: AppContext) -> None:
    with write_session(city.engine) as s:
        from ops_console.storage.models import Sku

        sku = s.get(Sku, "F001")
        assert sku is not None
        sku.stock = 0
        s.add(sku)
    outcome = new_order(city, "MT30", sku="F001", qty=1, price=1590)
    with write_session(city.engine) as s:
        assert [f.rule for f in anomaly_checks.evaluate_new_order(s, city, outcome.order_id)] == [RuleId.ZERO_STOCK]


def test_people_only_and_unknown_ids(city: AppContext) -> None:
    from ops_console.services.context import SYSTEM
    from ops_console.services.errors import NotFound

    with pytest.raises(Refused):
        anomalies.acknowledge(city, 1, SYSTEM)
    with pytest.raises(NotFound):
        anomalies.acknowledge(city, 999, SUPERVISOR)


# ------------------------------------------------------------------- timers through the scheduler


def _third_party_out(ctx: AppContext, order_no: str) -> None:
    new_order(ctx, order_no, match_address=True)
    perform(ctx, order_no, "start_picking", DISPATCHER)
    perform(ctx, order_no, "finish_picking", DISPATCHER)
    perform(ctx, order_no, "escalate", DISPATCHER, reason="no_free_courier")
    perform(ctx, order_no, "dispatch", DISPATCHER, courier_id="C03")


def test_tracking_stale_raised_by_the_scheduler_and_cleared_by_an_update(city: AppContext,
                                                                         clock: ManualClock) -> None:
    from ops_console.services.scheduler import ReminderRunner

    _third_party_out(city, "MT40")
    runner = ReminderRunner(city)
    clock.advance(minutes=city.settings.anomaly.tracking_stale_minutes - 1)
    runner.tick()
    assert anomalies.list_alerts(city, rule="tracking_stale") == []
    clock.advance(minutes=1)
    runner.tick()
    [alert] = anomalies.list_alerts(city, rule="tracking_stale")
    payments.record_tracking(city, [payments.TrackingRecord("meituan", "MT40", "in_transit", clock.now(), "过桥")])
    runner.tick()
    assert anomalies.get_alert(city, alert.id)[0].status == "resolved"
    clock.advance(minutes=city.settings.anomaly.tracking_stale_minutes)
    runner.tick()  # silent again: a new episode, a new alert
    assert [a.id != alert.id for a in anomalies.list_alerts(city, rule="tracking_stale")] == [True]


def test_delivery_overdue_at_factor_times_sla(city: AppContext, clock: ManualClock) -> None:
    _third_party_out(city, "MT41")
    perform(city, "MT41", "call", DISPATCHER, outcome="now")
    limit = city.settings.delivery.sla_minutes * city.settings.anomaly.overdue_factor
    clock.advance(minutes=limit - 1)
    anomaly_checks.run_anomaly_checks(city)
    assert anomalies.list_alerts(city, rule="delivery_overdue") == []
    clock.advance(minutes=1)
    anomaly_checks.run_anomaly_checks(city)
    [alert] = anomalies.list_alerts(city, rule="delivery_overdue")
    perform(city, "MT41", "deliver", DISPATCHER)
    anomaly_checks.run_anomaly_checks(city)
    assert anomalies.get_alert(city, alert.id)[0].status == "resolved"


def test_weight_at_hand_over_and_cash_difference_for_closeout(city: AppContext) -> None:
    from ops_console.storage.models import OrderLine

    outcome = new_order(city, "MT50", qty=2)
    with write_session(city.engine) as s:
        line = s.exec(select(OrderLine).where(OrderLine.order_id == outcome.order_id)).one()
        line.weight_g = 500  # per unit: 1000 g ordered
        s.add(line)
    assert anomalies.record_weight(city, "MT50", "P001", 1050, DISPATCHER) is None  # 5%: inside
    alert_id = anomalies.record_weight(city, "MT50", "P001", 1060, DISPATCHER)
    assert alert_id is not None and anomalies.get_alert(city, alert_id)[0].rule == "weight_deviation"
    with write_session(city.engine) as s:
        assert anomalies.raise_cash_difference(s, city, "C01", "2026-11-24", 12000, 12000) is None
        cash_id = anomalies.raise_cash_difference(s, city, "C01", "2026-11-24", 12000, 11950)
    view = anomalies.get_alert(city, cash_id or 0)[0]
    assert (view.rule, view.severity, view.subject) == ("cash_difference", "critical", "courier:C01:2026-11-24")
    anomalies.resolve(city, view.id, SUPERVISOR, "配送员补交 0.50 元")  # no order: no "informed" needed


def test_customer_order_actions_refuse_a_replenishment_order(city: AppContext, clock: ManualClock) -> None:
    clock.set(IN_WINDOW)
    order = replenishment_intake.place(city, "S01", {"G001": 24}, DISPATCHER)
    with pytest.raises(Refused) as info:
        perform(city, order.order_no, "cancel", DISPATCHER, reason="entry_error")
    assert "replenish" in info.value.message


def test_staff_report_on_a_store_and_repeats_count(city: AppContext) -> None:
    first = anomalies.report(city, "S01", "门店冷柜温度异常", DISPATCHER)
    again = anomalies.report(city, "S01", "冷柜仍未修好", SUPERVISOR)
    assert (first.id, again.count, again.store_id, again.subject, again.order_no) == \
        (again.id, 2, "S01", "store:S01", None)
    _, events, names = anomalies.get_alert(city, first.id)
    assert [(e.action, e.actor, e.detail.get("note")) for e in events] == \
        [("raised", "U01", "门店冷柜温度异常"), ("repeated", "U03", "冷柜仍未修好")]
    assert names == {"U01": "王丽", "U03": "张强"}
    with pytest.raises(Refused):
        anomalies.report(city, "S01", "   ", DISPATCHER)


# ------------------------------------------------------------- the seam's alerts written together


def _alert_tables(ctx: AppContext) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with ctx.engine.connect() as conn:
        alerts = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM anomaly ORDER BY id")]
        events = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM event WHERE subject_type = 'anomaly' ORDER BY id")]
    return alerts, events


def test_new_findings_written_together_are_the_rows_raise_finding_writes(tmp_path: object, clock: ManualClock) -> None:
    from pathlib import Path

    from ops_console.config import Settings
    from tests.factories import seed_city

    folder = Path(str(tmp_path))
    contexts = []
    for name in ("one_by_one", "together"):
        ctx = AppContext.open(Settings(), clock, url=f"sqlite:///{folder / name}.db")
        seed_city(ctx)
        contexts.append(ctx)
    found = []
    for i in range(3):  # the same orders (same ids) in both databases
        ids = [new_order(ctx, f"MT5{i}", payment="cod", qty=2 + i).order_id for ctx in contexts]
        assert ids[0] == ids[1]
        ref = anomalies._OrderRef(ids[0], f"MT5{i}", "replenishment" if i == 2 else "customer", "S01", "meituan")
        found.append((Finding(RuleId.AMOUNT_CAP, f"order:{ids[0]}", {"order": f"MT5{i}", "amount": "1.00"},
                              150_000 * (i + 1), ("P001",)), ref))
        found.append((Finding(RuleId.ZERO_STOCK, f"order:{ids[0]}", {"order": f"MT5{i}", "sku": "P001"}), ref))
    # A key raised before (an order id used again) counts as a repeat on both paths.
    earlier = found[2]
    for ctx in contexts:
        _raise(ctx, earlier[0], order=earlier[1])
    clock.advance(minutes=1)
    found.append(found[0])  # and a key twice in one call
    one_by_one, together = contexts
    with write_session(one_by_one.engine) as s:
        for finding, ref in found:
            anomalies.raise_finding(s, one_by_one, finding, order=ref)
    with write_session(together.engine) as s:
        anomaly_checks.raise_new_findings(s, together, found)
    alerts, events = _alert_tables(together)
    assert (alerts, events) == _alert_tables(one_by_one)
    counts = {(a.order_no, a.rule): a.count for a in anomalies.list_alerts(together)}
    assert len(alerts) == 6 and counts[("MT50", "amount_cap")] == counts[("MT51", "amount_cap")] == 2
    assert sum(counts.values()) == 8
    assert {a.severity for a in anomalies.list_alerts(together)} >= {"critical", "warning"}
    for ctx in contexts:
        ctx.close()


def test_the_seam_history_takes_in_orders_written_since_by_another_path(city: AppContext, clock: ManualClock) -> None:
    first = new_order(city, "MT60")
    with write_session(city.engine) as s:
        assert anomaly_checks.evaluate_new_orders(s, city, [first.order_id]) == {first.order_id: []}
    clock.advance(minutes=15)
    new_order(city, "MT61")  # not through the seam: the history must read it back
    clock.advance(minutes=5)
    third = new_order(city, "MT62")  # 20 minutes after the first, 5 after the second
    with write_session(city.engine) as s:
        found = anomaly_checks.evaluate_new_orders(s, city, [third.order_id])[third.order_id]
    assert [(f.rule, f.params["other"]) for f in found] == [(RuleId.DUPLICATE_ORDER, "MT61")]
