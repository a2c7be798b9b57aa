"""The pure reminder checks: which conditions hold at a given moment, and what happens to open rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops_console.config import Settings
from ops_console.domain.reminders import (
    AnomalyDeadline,
    Condition,
    Facts,
    LiveReminder,
    OrderClock,
    ReminderKind,
    Severity,
    evaluate,
    reconcile,
)
from ops_console.i18n import t
from ops_console.services.reminders import reminder_limits

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
S = reminder_limits(Settings())  # the default settings' numbers
K = ReminderKind


def at(hhmm: str, day: int = 24) -> datetime:
    """A Shanghai wall-clock time on 2026-11-<day>, as UTC."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(2026, 11, day, h, m, tzinfo=UTC) - timedelta(hours=8)


def kinds(conds: list[Condition]) -> list[str]:
    return sorted(c.kind.value for c in conds)


def by_kind(conds: list[Condition], kind: ReminderKind) -> Condition:
    (found,) = [c for c in conds if c.kind == kind]
    return found


def queue(since: datetime, count: int = 1, newest: datetime | None = None) -> Facts:
    return Facts(unassigned_count=count, oldest_unassigned=OrderClock(1, "MT001", since),
                 newest_unassigned_at=newest or since)


# ------------------------------------------------------------------------------------ backlog


def test_backlog_warns_at_ten_minutes_and_is_critical_at_thirty() -> None:
    facts = queue(T0)
    assert evaluate(facts, T0 + timedelta(minutes=9, seconds=59), S) == []
    ten = evaluate(facts, T0 + timedelta(minutes=10), S)
    assert kinds(ten) == ["backlog_warn"]
    assert ten[0].severity == Severity.WARNING
    thirty = evaluate(facts, T0 + timedelta(minutes=30), S)
    assert kinds(thirty) == ["backlog_critical", "backlog_warn"]
    crit = by_kind(thirty, K.BACKLOG_CRITICAL)
    assert crit.severity == Severity.CRITICAL
    assert crit.episode == T0  # the oldest order's entry into the queue
    text = t(crit.message, "en", **crit.params)
    assert "MT001" in text and "30 min" in text and "10:00" in text


def test_backlog_count_above_the_maximum() -> None:
    now = T0 + timedelta(minutes=2)
    assert evaluate(queue(T0, count=20), now, S) == []
    conds = evaluate(queue(T0, count=21, newest=T0 + timedelta(minutes=1)), now, S)
    assert kinds(conds) == ["backlog_count"]
    assert conds[0].episode == T0 + timedelta(minutes=1)
    assert "21" in t(conds[0].message, "en", **conds[0].params)


def test_thresholds_follow_the_settings() -> None:
    s = reminder_limits(Settings().replace(
        reminders={"backlog_warn_minutes": 5, "backlog_critical_minutes": 15, "backlog_max_orders": 3}))
    assert kinds(evaluate(queue(T0, count=4), T0 + timedelta(minutes=15), s)) == [
        "backlog_count", "backlog_critical", "backlog_warn"]


# --------------------------------------------------------------------------------- order timers


def test_picking_sla_is_the_strictest_line_category_from_assignment() -> None:
    produce_and_water = OrderClock(7, "MT007", T0, "阳光店", ("default", "蔬果"))
    water = OrderClock(8, "MT008", T0, "阳光店", ("default",))
    facts = Facts(picking=(produce_and_water, water))
    assert evaluate(facts, T0 + timedelta(minutes=4, seconds=59), S) == []
    five = evaluate(facts, T0 + timedelta(minutes=5), S)
    assert [(c.kind, c.subject) for c in five] == [(K.PICKING_OVERDUE, "order:7")]
    assert five[0].params["sla"] == 5
    fifteen = evaluate(facts, T0 + timedelta(minutes=15), S)
    assert [c.subject for c in fifteen] == ["order:7", "order:8"]
    assert by_kind([c for c in fifteen if c.subject == "order:8"], K.PICKING_OVERDUE).params["sla"] == 15


def test_courier_wait_suggests_the_next_tier() -> None:
    facts = Facts(picked_waiting=(OrderClock(3, "MT003", T0, "河畔店", tier="company"),
                                  OrderClock(4, "MT004", T0, "河畔店", tier="emergency")))
    assert evaluate(facts, T0 + timedelta(minutes=9), S) == []
    conds = evaluate(facts, T0 + timedelta(minutes=10), S)
    assert [c.kind for c in conds] == [K.COURIER_WAIT, K.COURIER_WAIT]
    company, emergency = conds
    assert company.detail["suggested_tier"] == "third_party"
    from ops_console.i18n import Ref

    text = t(company.message, "en", **{k: Ref(v) if k in company.refs else v for k, v in company.params.items()})
    assert "escalate to third party" in text
    assert "suggested_tier" not in emergency.detail
    assert emergency.message.endswith("courier_wait_last")


def test_delivery_confirmation_and_review_timers() -> None:
    facts = Facts(
        out_for_delivery=(OrderClock(1, "A", T0),),
        delivered=(OrderClock(2, "B", T0),),
        manual_review=(OrderClock(3, "C", T0),),
    )
    assert kinds(evaluate(facts, T0 + timedelta(minutes=44), S)) == []
    assert kinds(evaluate(facts, T0 + timedelta(minutes=45), S)) == ["delivery_overdue"]
    assert kinds(evaluate(facts, T0 + timedelta(hours=2), S)) == ["delivery_overdue", "manual_review_overdue"]
    assert kinds(evaluate(facts, T0 + timedelta(hours=24), S)) == [
        "delivery_overdue", "manual_review_overdue", "unconfirmed_delivery"]
    # Each order's episode is the moment it entered the stage: a new stage entry is a new episode.
    assert {c.episode for c in evaluate(facts, T0 + timedelta(hours=24), S)} == {T0}


def test_alert_deadline_only_once_the_deadline_passed() -> None:
    facts = Facts(anomaly_deadlines=(AnomalyDeadline(9, "qty_surge", T0, "王丽", "MT009"),))
    assert evaluate(facts, T0 - timedelta(seconds=1), S) == []
    (cond,) = evaluate(facts, T0, S)
    assert (cond.kind, cond.subject, cond.episode) == (K.ALERT_DEADLINE, "anomaly:9", T0)
    assert "王丽" in t(cond.message, "en", **cond.params)


def test_scheduler_stale_after_three_intervals() -> None:
    facts = Facts(last_run=T0)
    assert evaluate(facts, T0 + timedelta(seconds=45), S) == []
    (cond,) = evaluate(facts, T0 + timedelta(seconds=46), S)
    assert cond.kind == K.SCHEDULER_STALE and cond.episode == T0
    assert evaluate(Facts(), T0, S) == []  # never ran: nothing to compare with


# --------------------------------------------------------------------------- replenishment day


def test_replenishment_window_through_a_day() -> None:
    stores = (("S01", "阳光店"), ("S02", "河畔店"))
    nobody = Facts(stores=stores)
    s01 = Facts(stores=stores, stores_reordered_today=frozenset({"S01"}))
    everyone = Facts(stores=stores, stores_reordered_today=frozenset({"S01", "S02"}))
    assert kinds(evaluate(nobody, at("12:59"), S)) == []
    opened = evaluate(nobody, at("13:00"), S)
    assert kinds(opened) == ["reorder_window_open"]
    assert opened[0].severity == Severity.INFO and opened[0].episode == at("13:00")
    assert kinds(evaluate(nobody, at("14:44"), S)) == ["reorder_window_open"]
    missing = by_kind(evaluate(s01, at("14:45"), S), K.REORDER_MISSING)
    assert missing.params["count"] == 1 and "河畔店" in str(missing.params["stores"])
    assert "阳光店" not in str(missing.params["stores"])
    assert kinds(evaluate(everyone, at("14:50"), S)) == ["reorder_window_open"]
    closed = evaluate(s01, at("15:00"), S)
    assert kinds(closed) == ["reorder_window_closed"]
    assert "河畔店" in t(closed[0].message, "en", **closed[0].params)
    assert kinds(evaluate(nobody, at("23:59"), S)) == ["reorder_window_closed"]
    assert kinds(evaluate(nobody, at("00:00", day=25), S)) == []
    # Keyed by the business day: tomorrow's window is another episode.
    tomorrow = evaluate(nobody, at("13:00", day=25), S)
    assert tomorrow[0].dedup_key != opened[0].dedup_key


def test_window_follows_its_setting() -> None:
    s = reminder_limits(Settings().replace(replenishment={"window": "09:30-10:00"}))
    assert kinds(evaluate(Facts(stores=(("S01", "x"),)), at("09:45"), s)) == ["reorder_missing", "reorder_window_open"]


# ----------------------------------------------------------------------------------- reconcile


def live(id_: int, cond: Condition, *, status: str = "open", raised: datetime = T0, key: str | None = None
         ) -> LiveReminder:
    return LiveReminder(id_, cond.kind.value, cond.subject, key or cond.dedup_key, status, cond.severity.value, raised)


REPEAT = timedelta(minutes=10)


def test_a_new_condition_is_raised_and_a_held_one_is_kept_until_the_repeat() -> None:
    (cond,) = evaluate(queue(T0), T0 + timedelta(minutes=10), S)
    plan = reconcile([cond], [], T0, REPEAT)
    assert plan.raise_new == (cond,) and not plan.close
    row = live(1, cond, raised=T0 + timedelta(minutes=10))
    assert reconcile([cond], [row], T0 + timedelta(minutes=19), REPEAT).keep[0][0] == row
    again = reconcile([cond], [row], T0 + timedelta(minutes=20), REPEAT)
    assert again.raise_again == ((row, cond),) and not again.raise_new


def test_acknowledged_and_informational_reminders_are_not_repeated() -> None:
    (cond,) = evaluate(queue(T0), T0 + timedelta(minutes=10), S)
    acked = live(1, cond, status="acknowledged")
    assert reconcile([cond], [acked], T0 + timedelta(hours=3), REPEAT).empty
    (info,) = evaluate(Facts(), at("13:00"), S)
    assert reconcile([info], [live(2, info, raised=at("13:00"))], at("14:00"), REPEAT).empty


def test_a_reminder_whose_condition_ended_is_closed() -> None:
    (cond,) = evaluate(queue(T0), T0 + timedelta(minutes=10), S)
    row = live(1, cond)
    assert reconcile([], [row], T0, REPEAT).close == (row,)


def test_backlog_episode_continues_while_the_oldest_order_changes() -> None:
    first = by_kind(evaluate(queue(T0), T0 + timedelta(minutes=12), S), K.BACKLOG_WARN)
    row = live(1, first, raised=T0 + timedelta(minutes=12))
    # The oldest order was assigned but the next one has waited 10 minutes too: one unbroken stretch.
    later = by_kind(evaluate(queue(T0 + timedelta(minutes=5)), T0 + timedelta(minutes=16), S), K.BACKLOG_WARN)
    assert later.dedup_key != first.dedup_key
    plan = reconcile([later], [row], T0 + timedelta(minutes=16), REPEAT)
    assert plan.keep == ((row, later),) and plan.empty


def test_an_order_timer_reentered_is_a_new_episode() -> None:
    first = evaluate(Facts(out_for_delivery=(OrderClock(1, "A", T0),)), T0 + timedelta(minutes=50), S)[0]
    row = live(1, first)
    second = evaluate(Facts(out_for_delivery=(OrderClock(1, "A", T0 + timedelta(hours=1)),)),
                      T0 + timedelta(hours=2), S)[0]
    plan = reconcile([second], [row], T0 + timedelta(hours=2), REPEAT)
    assert plan.close == (row,) and plan.raise_new == (second,)


def test_two_processes_compute_the_same_key() -> None:
    a = evaluate(queue(T0), T0 + timedelta(minutes=10), S)
    b = evaluate(queue(T0), T0 + timedelta(minutes=10, seconds=7), S)
    assert [c.dedup_key for c in a] == [c.dedup_key for c in b]
    assert a[0].dedup_key.startswith("backlog_warn|queue|2026-11-24T02:00:00")


# ----------------------------------------------------------------------------- decision waiting


def test_a_refused_order_without_a_decision_is_a_reminder_after_the_limit() -> None:
    refused = OrderClock(7, "MT007", T0, "阳光店", status="refused")
    failed = OrderClock(8, "MT008", T0 + timedelta(minutes=5), "河畔店", status="not_completed")
    facts = Facts(awaiting_decision=(refused, failed))
    assert evaluate(facts, T0 + timedelta(minutes=14, seconds=59), S) == []
    (cond,) = evaluate(facts, T0 + timedelta(minutes=15), S)  # dispatch.decision_minutes = 15
    assert (cond.kind, cond.subject, cond.episode, cond.severity) == (
        K.DECISION_WAITING, "order:7", T0, Severity.WARNING)
    assert cond.detail["order_id"] == 7
    assert t(cond.message, "en", **{**cond.params, "status": t("status.refused", "en")}) == (
        "order MT007 (阳光店) is refused since 10:00, 15 min without a decision (limit 15 min): "
        "redispatch it, open a return or exchange, or cancel it")
    later = evaluate(facts, T0 + timedelta(minutes=20), S)
    assert [c.subject for c in later] == ["order:7", "order:8"]
    assert by_subject(later, "order:8").params["status"] == "status.not_completed"


def test_a_service_request_is_a_decision() -> None:
    refused = OrderClock(7, "MT007", T0, "阳光店", status="refused")
    facts = Facts(awaiting_decision=(refused,), decided=frozenset({7}))
    assert evaluate(facts, T0 + timedelta(hours=2), S) == []


def test_the_decision_limit_is_a_setting() -> None:
    from dataclasses import replace

    refused = OrderClock(7, "MT007", T0, status="refused")
    strict = replace(S, decision_minutes=5)
    assert kinds(evaluate(Facts(awaiting_decision=(refused,)), T0 + timedelta(minutes=5), strict)) == [
        "decision_waiting"]


def by_subject(conds: list[Condition], subject: str) -> Condition:
    (found,) = [c for c in conds if c.subject == subject]
    return found
