"""Reminders over a real database with a fake clock moved step by step: raised once per episode,
repeated while nobody acknowledges, quiet after acknowledgement, closed when the condition ends —
across several processes and restarts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from ops_console.clock import ManualClock
from ops_console.config import Settings
from ops_console.domain.types import Action
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.errors import NotFound, Refused
from ops_console.services.lifecycle import perform
from ops_console.services.reminders import (
    ReminderChange,
    acknowledge,
    changes_since,
    feed_cursor,
    is_stale,
    last_run,
    list_reminders,
    open_reminders,
    run_checks,
)
from ops_console.services.scheduler import run_blocking, start_scheduler
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Anomaly, Event, Order, Reminder
from tests.conftest import DISPATCHER, SUPERVISOR, T0
from tests.factories import new_order, seed_city

# The checks run every minute in these tests (as a scheduler would); the clock moves a minute a step.
SETTINGS = Settings().replace(reminders={"check_seconds": 60})
NOWHERE = "无名路1号"  # an address no store keyword matches: the order waits unassigned


@pytest.fixture
def rctx(db_url: str, clock: ManualClock) -> Iterator[AppContext]:
    context = AppContext.open(SETTINGS, clock, url=db_url)
    seed_city(context)
    yield context
    context.close()


def at(hhmm: str) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(2026, 11, 24, h, m, tzinfo=UTC) - timedelta(hours=8)


def run_until(ctx: AppContext, clock: ManualClock, until: datetime, every: float = 1) -> list[ReminderChange]:
    """Move the clock `every` minutes at a time up to `until`, running the checks at each step."""
    changes: list[ReminderChange] = []
    while clock.now() < until:
        clock.set(min(until, clock.now() + timedelta(minutes=every)))
        changes += run_checks(ctx)
    return changes


def rows(ctx: AppContext, kind: str | None = None) -> list[Reminder]:
    with read_session(ctx.engine) as s:
        q = select(Reminder).order_by(Reminder.id)  # type: ignore[arg-type]
        if kind:
            q = q.where(Reminder.kind == kind)
        return list(s.exec(q))


def events(ctx: AppContext, reminder_id: int) -> list[str]:
    with read_session(ctx.engine) as s:
        return [e.action for e in s.exec(
            select(Event).where(Event.subject_type == "reminder", Event.subject_id == str(reminder_id))
            .order_by(Event.id)  # type: ignore[arg-type]
        )]


def summary(changes: list[ReminderChange]) -> list[tuple[str, str]]:
    return [(c.change, c.reminder.kind) for c in changes]


# ------------------------------------------------------------------------------------ backlog


def test_a_growing_backlog_raises_one_warning_and_one_critical_and_clearing_it_closes_both(
        rctx: AppContext, clock: ManualClock) -> None:
    order = new_order(rctx, "MT001", address=NOWHERE)
    assert order.to_status == "unassigned"
    assert run_until(rctx, clock, T0 + timedelta(minutes=9)) == []
    at_ten = run_until(rctx, clock, T0 + timedelta(minutes=10))
    assert summary(at_ten) == [("raised", "backlog_warn")]
    assert "MT001" in at_ten[0].reminder.message("en") and "10 min" in at_ten[0].reminder.message("en")
    later = run_until(rctx, clock, T0 + timedelta(minutes=30))
    assert ("raised", "backlog_critical") in summary(later)
    assert [c for c in summary(later) if c[0] == "raised"] == [("raised", "backlog_critical")]
    warn, crit = rows(rctx, "backlog_warn"), rows(rctx, "backlog_critical")
    assert len(warn) == 1 and len(crit) == 1
    assert crit[0].severity == "critical" and crit[0].status == "open"
    assert crit[0].raised_at == T0 + timedelta(minutes=30)

    clock.advance(minutes=1)
    perform(rctx, order.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    closed = run_checks(rctx)
    assert sorted(summary(closed)) == [("closed", "backlog_critical"), ("closed", "backlog_warn")]
    for row in rows(rctx):
        assert row.status == "closed" and row.closed_at == clock.now()
        assert events(rctx, row.id or 0)[-1] == "closed"
    assert open_reminders(rctx) == []


def test_an_unacknowledged_critical_is_raised_again_every_ten_minutes_as_the_same_row(
        rctx: AppContext, clock: ManualClock) -> None:
    new_order(rctx, "MT001", address=NOWHERE)
    run_until(rctx, clock, T0 + timedelta(minutes=30))
    (crit,) = rows(rctx, "backlog_critical")
    assert crit.raise_count == 1
    run_until(rctx, clock, T0 + timedelta(minutes=39))
    assert rows(rctx, "backlog_critical")[0].raise_count == 1
    again = run_until(rctx, clock, T0 + timedelta(minutes=40))
    assert ("re_raised", "backlog_critical") in summary(again)
    (row,) = rows(rctx, "backlog_critical")
    assert row.id == crit.id and row.raise_count == 2 and row.last_raised_at == T0 + timedelta(minutes=40)
    assert "40 min" in next(c for c in again if c.reminder.kind == "backlog_critical").reminder.message("en")
    assert events(rctx, row.id or 0) == ["raised", "re_raised"]


def test_nothing_is_raised_again_after_acknowledgement(rctx: AppContext, clock: ManualClock) -> None:
    new_order(rctx, "MT001", address=NOWHERE)
    run_until(rctx, clock, T0 + timedelta(minutes=31))
    (crit,) = rows(rctx, "backlog_critical")
    view = acknowledge(rctx, crit.id or 0, DISPATCHER)
    assert view.status == "acknowledged" and view.acknowledged_by == "U01"
    assert view.acknowledged_at == T0 + timedelta(minutes=31)
    later = run_until(rctx, clock, T0 + timedelta(minutes=90))
    assert "backlog_critical" not in {c.reminder.kind for c in later}
    (row,) = rows(rctx, "backlog_critical")
    assert (row.status, row.raise_count, row.acknowledged_by) == ("acknowledged", 1, "U01")
    assert events(rctx, row.id or 0) == ["raised", "acknowledged"]
    # The warning nobody acknowledged keeps nagging.
    assert rows(rctx, "backlog_warn")[0].raise_count > 1
    with pytest.raises(Refused) as again:
        acknowledge(rctx, row.id or 0, SUPERVISOR)
    assert "王丽" in again.value.message and "10:31" in again.value.message
    with pytest.raises(Refused):
        acknowledge(rctx, row.id or 0, SYSTEM)
    with pytest.raises(NotFound):
        acknowledge(rctx, 999, DISPATCHER)


def test_a_second_episode_later_is_a_new_row(rctx: AppContext, clock: ManualClock) -> None:
    first = new_order(rctx, "MT001", address=NOWHERE)
    run_until(rctx, clock, T0 + timedelta(minutes=12))
    perform(rctx, first.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    run_until(rctx, clock, T0 + timedelta(minutes=13))
    (old,) = rows(rctx, "backlog_warn")
    assert old.status == "closed"
    run_until(rctx, clock, T0 + timedelta(minutes=20))
    new_order(rctx, "MT002", address=NOWHERE)
    changes = [c for c in run_until(rctx, clock, T0 + timedelta(minutes=30)) if c.reminder.kind.startswith("backlog")]
    assert summary(changes) == [("raised", "backlog_warn")]
    old2, new = rows(rctx, "backlog_warn")
    assert old2.id == old.id and old2.status == "closed"
    assert new.id != old.id and new.status == "open" and new.dedup_key != old.dedup_key
    assert "MT002" in changes[0].reminder.message("en")


def test_the_backlog_episode_continues_while_the_queue_never_empties(rctx: AppContext, clock: ManualClock) -> None:
    a = new_order(rctx, "MT001", address=NOWHERE)
    clock.advance(minutes=2)
    new_order(rctx, "MT002", address=NOWHERE)
    run_until(rctx, clock, T0 + timedelta(minutes=11))
    perform(rctx, a.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")  # MT002 has waited 9 minutes
    run_until(rctx, clock, T0 + timedelta(minutes=12))  # 10 minutes now: still one stretch
    (warn,) = rows(rctx, "backlog_warn")
    assert warn.status == "open"
    assert events(rctx, warn.id or 0) == ["raised"]


def test_too_many_unassigned_orders(rctx: AppContext, clock: ManualClock) -> None:
    for i in range(21):
        new_order(rctx, f"MT{i:03d}", address=NOWHERE)
    (change,) = run_checks(rctx)
    assert change.reminder.kind == "backlog_count" and "21" in change.reminder.message("en")


# ---------------------------------------------------------------------------- order timers


def test_picking_overdue_from_assignment_with_the_strictest_category(rctx: AppContext, clock: ManualClock) -> None:
    o = new_order(rctx, "MT001", address=NOWHERE)  # one produce line: 5 minutes
    clock.advance(minutes=20)
    perform(rctx, o.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    run_checks(rctx)  # the backlog that was there closes
    assert run_until(rctx, clock, T0 + timedelta(minutes=24)) == []
    (c,) = run_until(rctx, clock, T0 + timedelta(minutes=25))
    assert c.reminder.kind == "picking_overdue" and c.reminder.subject == f"order:{o.order_id}"
    assert "5 min" in c.reminder.message("en") and "阳光店" in c.reminder.message("en")
    perform(rctx, o.order_id, Action.START_PICKING, DISPATCHER)
    assert run_checks(rctx) == []  # still the same timer
    clock.advance(minutes=1)
    perform(rctx, o.order_id, Action.FINISH_PICKING, DISPATCHER)
    assert summary(run_checks(rctx)) == [("closed", "picking_overdue")]


def test_courier_wait_suggests_escalation_and_a_new_tier_starts_a_new_wait(rctx: AppContext,
                                                                            clock: ManualClock) -> None:
    o = new_order(rctx, "MT001", address=NOWHERE)
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}),
                       (Action.FINISH_PICKING, {})):
        perform(rctx, o.order_id, action, DISPATCHER, **kw)
    (c,) = run_until(rctx, clock, T0 + timedelta(minutes=10))
    assert c.reminder.kind == "courier_wait"
    assert "third party" in c.reminder.message("en") and c.reminder.detail["suggested_tier"] == "third_party"
    perform(rctx, o.order_id, Action.ESCALATE, DISPATCHER, reason="waited_too_long")
    assert summary(run_checks(rctx)) == [("closed", "courier_wait")]
    (c2,) = run_until(rctx, clock, T0 + timedelta(minutes=20))
    assert c2.reminder.kind == "courier_wait" and c2.reminder.id != c.reminder.id
    assert "store staff" in c2.reminder.message("en")


def test_delivery_overdue_unconfirmed_delivery_and_manual_review(rctx: AppContext, clock: ManualClock) -> None:
    o = new_order(rctx, "MT001", address=NOWHERE)
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}),
                       (Action.FINISH_PICKING, {}), (Action.DISPATCH, {"courier_id": "C01"}),
                       (Action.HAND_OVER, {"till_receipt": "R1"}), (Action.CALL, {"outcome": "now"})):
        perform(rctx, o.order_id, action, DISPATCHER, **kw)
    assert run_until(rctx, clock, T0 + timedelta(minutes=44)) == []
    assert summary(run_until(rctx, clock, T0 + timedelta(minutes=45))) == [("raised", "delivery_overdue")]
    perform(rctx, o.order_id, Action.DELIVER, DISPATCHER)
    assert summary(run_checks(rctx)) == [("closed", "delivery_overdue")]
    delivered = clock.now()
    clock.set(delivered + timedelta(hours=24) - timedelta(minutes=1))
    run_checks(rctx)
    assert rows(rctx, "unconfirmed_delivery") == []
    # A claimed order is left to the person phoning the customer (no auto-confirm): it gets the reminder.
    perform(rctx, o.order_id, Action.CLAIM, DISPATCHER)
    changes = run_until(rctx, clock, delivered + timedelta(hours=24))
    assert ("raised", "unconfirmed_delivery") in summary(changes)
    perform(rctx, o.order_id, Action.CONFIRM, DISPATCHER)
    clock.advance(seconds=30)
    assert ("closed", "unconfirmed_delivery") in summary(run_checks(rctx))

    with write_session(rctx.engine) as s:  # an order that failed the automatic review two hours ago
        s.add(Order(channel="phone", order_no="P1", status="manual_review", status_entered_at=clock.now(),
                    received_at=clock.now()))
    start = clock.now()
    run_until(rctx, clock, start + timedelta(hours=2), every=0.5)
    (review,) = rows(rctx, "manual_review_overdue")
    assert review.raised_at == start + timedelta(hours=2)


def test_an_anomaly_past_its_owners_deadline(rctx: AppContext, clock: ManualClock) -> None:
    with write_session(rctx.engine) as s:
        s.add(Anomaly(rule="qty_surge", fingerprint="f1", status="acknowledged", owner="U01",
                      deadline=T0 + timedelta(minutes=5)))
        s.add(Anomaly(rule="qty_surge", fingerprint="f2", status="resolved", deadline=T0))
    assert run_until(rctx, clock, T0 + timedelta(minutes=4)) == []
    (c,) = run_until(rctx, clock, T0 + timedelta(minutes=5))
    assert c.reminder.kind == "alert_deadline" and "王丽" in c.reminder.message("en")
    with write_session(rctx.engine) as s:
        a = s.exec(select(Anomaly).where(Anomaly.fingerprint == "f1")).one()
        a.status = "resolved"
        s.add(a)
    clock.advance(minutes=1)
    assert summary(run_checks(rctx)) == [("closed", "alert_deadline")]


# ------------------------------------------------------------------------- replenishment day


def replenishment(ctx: AppContext, store: str, no: str, when: datetime) -> None:
    with write_session(ctx.engine) as s:
        s.add(Order(channel="other", order_no=no, kind="replenishment", status="placed", store_id=store,
                    placed_at=when, received_at=when, status_entered_at=when))


def test_the_replenishment_window_on_a_simulated_day(rctx: AppContext, clock: ManualClock) -> None:
    clock.set(at("12:00"))
    replenishment(rctx, "S01", "R-yesterday", at("13:30") - timedelta(days=1))  # yesterday's: does not count
    seen: list[tuple[str, str, str]] = []

    def step(until: str) -> None:
        for c in run_until(rctx, clock, at(until), every=0.5):
            seen.append((c.at.astimezone(SETTINGS.tz).strftime("%H:%M"), c.change, c.reminder.kind))

    step("12:59")
    assert seen == []
    step("13:00")
    assert seen == [("13:00", "raised", "reorder_window_open")]
    step("13:20")
    replenishment(rctx, "S01", "R1", clock.now())
    step("14:44")
    assert len(seen) == 1  # an announcement is not repeated
    step("14:45")
    assert seen[-1] == ("14:45", "raised", "reorder_missing")
    missing = rows(rctx, "reorder_missing")[0]
    assert missing.payload["detail"]["stores"] == ["S02"]
    step("14:59")
    assert seen[-1][0] == "14:55" and seen[-1][1] == "re_raised"  # a warning repeats until acknowledged
    step("15:00")
    assert sorted(seen[-3:]) == [("15:00", "closed", "reorder_missing"), ("15:00", "closed", "reorder_window_open"),
                                 ("15:00", "raised", "reorder_window_closed")]
    closed_view = next(v for v in list_reminders(rctx) if v.kind == "reorder_window_closed")
    assert "河畔店" in closed_view.message("en") and "1 of 2" in closed_view.message("en")
    step("23:59")
    assert seen[-1][0] == "15:00"
    clock.set(at("23:59") + timedelta(minutes=1))
    assert summary(run_checks(rctx)) == [("closed", "reorder_window_closed")]


def test_every_store_reordered_so_nobody_is_missing(rctx: AppContext, clock: ManualClock) -> None:
    clock.set(at("13:10"))
    replenishment(rctx, "S01", "R1", clock.now())
    replenishment(rctx, "S02", "R2", clock.now())
    run_checks(rctx)
    run_until(rctx, clock, at("15:00"), every=0.5)
    assert rows(rctx, "reorder_missing") == []


# ------------------------------------------------------------------- exactly once, restarts


def test_two_processes_on_one_database_raise_each_reminder_once(db_url: str, clock: ManualClock) -> None:
    first = AppContext.open(SETTINGS, clock, url=db_url)
    seed_city(first)
    second = AppContext.open(SETTINGS, clock, url=db_url, migrate=False)  # its own engine and pool
    new_order(first, "MT001", address=NOWHERE)
    o2 = new_order(first, "MT002", address=NOWHERE)
    perform(first, o2.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    raised: list[ReminderChange] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)
    steps = [T0 + timedelta(seconds=20 * i) for i in range(1, 100)]

    def worker(ctx: AppContext, moves_clock: bool) -> None:
        # Both run each step at (nearly) the same instant, as two consoles' schedulers would.
        try:
            for when in steps:
                if moves_clock:
                    clock.set(when)
                barrier.wait(timeout=30)
                raised.extend(c for c in run_checks(ctx) if c.change == "raised")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(first, False)), threading.Thread(target=worker, args=(second, True))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors
    all_rows = rows(first)
    assert sorted(r.kind for r in all_rows) == ["backlog_critical", "backlog_warn", "picking_overdue"]
    assert len(raised) == len(all_rows)  # each raised by exactly one of the two
    assert len({r.dedup_key for r in all_rows}) == len(all_rows)
    for r in all_rows:
        assert events(first, r.id or 0).count("raised") == 1
    first.close()
    second.close()


def test_restart_mid_day_raises_what_fell_due_once_and_acknowledged_ones_stay_quiet(
        db_url: str, clock: ManualClock) -> None:
    morning = AppContext.open(SETTINGS, clock, url=db_url)
    seed_city(morning)
    new_order(morning, "MT001", address=NOWHERE)
    run_until(morning, clock, T0 + timedelta(minutes=12))
    (warn,) = rows(morning, "backlog_warn")
    acknowledge(morning, warn.id or 0, DISPATCHER)
    morning.close()  # the console is closed; nobody runs the checks

    clock.set(T0 + timedelta(minutes=45))
    again = AppContext.open(SETTINGS, clock, url=db_url)  # a new process: all state is in the database
    changes = run_checks(again)
    assert sorted(summary(changes)) == [("raised", "backlog_critical"), ("raised", "scheduler_stale")]
    stale = next(c for c in changes if c.reminder.kind == "scheduler_stale")
    assert "10:12" in stale.reminder.message("en") and "33 min" in stale.reminder.message("en")
    clock.advance(minutes=1)
    assert summary(run_checks(again)) == [("closed", "scheduler_stale")]
    run_until(again, clock, T0 + timedelta(minutes=80))
    (warn_after,) = rows(again, "backlog_warn")
    assert (warn_after.status, warn_after.raise_count) == ("acknowledged", 1)
    (crit,) = rows(again, "backlog_critical")
    assert crit.raise_count > 1  # nobody acknowledged this one
    again.close()


def test_last_run_is_recorded_and_staleness_visible(rctx: AppContext, clock: ManualClock) -> None:
    assert last_run(rctx) is None and is_stale(rctx)
    run_checks(rctx)
    assert last_run(rctx) == T0 and not is_stale(rctx)
    clock.advance(minutes=3, seconds=1)
    assert is_stale(rctx)


# ------------------------------------------------------------------------------- the feed


def test_the_feed_reports_changes_made_by_another_process(db_url: str, clock: ManualClock) -> None:
    console = AppContext.open(SETTINGS, clock, url=db_url)
    seed_city(console)
    watcher = AppContext.open(SETTINGS, clock, url=db_url, migrate=False)
    cursor = feed_cursor(console)
    new_order(console, "MT001", address=NOWHERE)
    clock.advance(minutes=10)
    run_checks(watcher)  # another process raised it
    assert run_checks(console) == []  # nothing new for this one to raise
    feed, cursor = changes_since(console, cursor)
    assert summary(feed) == [("raised", "backlog_warn")]
    acknowledge(console, feed[0].reminder.id, DISPATCHER)
    feed, cursor = changes_since(watcher, cursor)
    assert summary(feed) == [("acknowledged", "backlog_warn")]
    assert feed[0].reminder.acknowledged_by_name == "王丽"
    assert changes_since(console, cursor) == ([], cursor)
    console.close()
    watcher.close()


# --------------------------------------------------------------------------- the scheduler


async def test_the_console_scheduler_runs_checks_off_the_loop_and_calls_back_on_it(
        rctx: AppContext, clock: ManualClock) -> None:
    new_order(rctx, "MT001", address=NOWHERE)
    clock.advance(minutes=10)
    got: list[ReminderChange] = []
    called = asyncio.Event()
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def on_change(changes: list[ReminderChange]) -> None:
        threads.append(threading.get_ident())
        got.extend(changes)
        called.set()

    scheduler = start_scheduler(rctx, on_change)
    try:
        await asyncio.wait_for(called.wait(), 15)
    finally:
        scheduler.shutdown(wait=False)
    assert summary(got) == [("raised", "backlog_warn")]
    assert threads == [loop_thread]
    assert last_run(rctx) == clock.now()


def test_the_headless_runner_reports_and_stops(rctx: AppContext, clock: ManualClock) -> None:
    new_order(rctx, "MT001", address=NOWHERE)
    clock.advance(minutes=30)
    stop = threading.Event()
    got: list[ReminderChange] = []

    def on_change(changes: list[ReminderChange]) -> None:
        got.extend(changes)
        stop.set()

    runner = threading.Thread(target=run_blocking, args=(rctx, on_change), kwargs={"stop": stop})
    runner.start()
    runner.join(20)
    assert not runner.is_alive()
    assert sorted(summary(got)) == [("raised", "backlog_critical"), ("raised", "backlog_warn")]


# ------------------------------------------------------------------------------- edge cases


def test_a_lost_insert_race_reads_the_winners_row(rctx: AppContext, clock: ManualClock,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes that both saw no row insert the same key: the unique constraint stops the
    second, which re-reads the winner's row and raises nothing."""
    from ops_console.domain.reminders import evaluate
    from ops_console.services.reminders import _insert, gather_facts, reminder_limits
    from ops_console.storage import reminder_queries

    new_order(rctx, "MT001", address=NOWHERE)
    clock.advance(minutes=10)
    (winner,) = run_checks(rctx)
    real = reminder_queries.reminder_by_key
    calls: list[str] = []

    def blind_once(session: object, key: str) -> Reminder | None:
        calls.append(key)
        return None if len(calls) == 1 else real(session, key)  # type: ignore[arg-type]

    monkeypatch.setattr(reminder_queries, "reminder_by_key", blind_once)
    with write_session(rctx.engine) as s:
        (cond,) = [c for c in evaluate(gather_facts(s, rctx, clock.now(), None), clock.now(),
                                         reminder_limits(SETTINGS))
                   if c.kind == "backlog_warn"]
        assert _insert(s, cond, clock.now()) is None
    assert calls == [cond.dedup_key, cond.dedup_key]  # blind, then the re-read after the IntegrityError
    (row,) = rows(rctx, "backlog_warn")
    assert row.id == winner.reminder.id and events(rctx, row.id or 0) == ["raised"]


def test_an_episode_that_ended_is_not_reopened_when_its_key_comes_back(db_url: str, clock: ManualClock) -> None:
    ctx = AppContext.open(SETTINGS, clock, url=db_url)
    seed_city(ctx)
    new_order(ctx, "MT001", address=NOWHERE)
    run_until(ctx, clock, T0 + timedelta(minutes=11))
    ctx.close()
    # Someone raises the warning threshold: the condition ends, and holds again later for the same order.
    slower = AppContext.open(SETTINGS.replace(reminders={"backlog_warn_minutes": 20}), clock, url=db_url)
    run_until(slower, clock, T0 + timedelta(minutes=20))
    first, second = rows(slower, "backlog_warn")
    assert first.status == "closed" and second.status == "open"
    assert second.dedup_key == first.dedup_key + "#2"
    slower.close()


# --------------------------------------------------------------------------------- PostgreSQL


def _pg_worker(url: str, steps: list[datetime], barrier: Any, queue: Any) -> None:
    clock = ManualClock(steps[0])
    ctx = AppContext.open(SETTINGS, clock, url=url, migrate=False)
    raised = []
    for when in steps:
        clock.set(when)
        barrier.wait(timeout=60)
        raised += [c.reminder.id for c in run_checks(ctx) if c.change == "raised"]
    ctx.close()
    queue.put(raised)


@pytest.mark.postgres
def test_two_processes_on_postgres_raise_each_reminder_once() -> None:
    import multiprocessing as mp

    from tests.pg import postgres_url

    url = postgres_url()
    ctx = AppContext.open(SETTINGS, ManualClock(T0), url=url)
    seed_city(ctx)
    new_order(ctx, "MT001", address=NOWHERE)
    o2 = new_order(ctx, "MT002", address=NOWHERE)
    perform(ctx, o2.order_id, Action.ASSIGN, DISPATCHER, store_id="S01")
    steps = [T0 + timedelta(seconds=20 * i) for i in range(1, 100)]
    mpc = mp.get_context("spawn")
    barrier = mpc.Barrier(2)
    queue = mpc.Queue()
    procs = [mpc.Process(target=_pg_worker, args=(url, steps, barrier, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    raised = [rid for r in results for rid in r]
    all_rows = rows(ctx)
    assert sorted(r.kind for r in all_rows) == ["backlog_critical", "backlog_warn", "picking_overdue"]
    assert sorted(raised) == sorted(r.id for r in all_rows)
    for r in all_rows:
        assert events(ctx, r.id or 0).count("raised") == 1
    ctx.close()


# ----------------------------------------------------------------------------- decision waiting


def _out_for_delivery(ctx: AppContext, order_no: str) -> int:
    o = new_order(ctx, order_no, address=NOWHERE)
    for action, kw in ((Action.ASSIGN, {"store_id": "S01"}), (Action.START_PICKING, {}),
                       (Action.FINISH_PICKING, {}), (Action.DISPATCH, {"courier_id": "C01"}),
                       (Action.HAND_OVER, {"till_receipt": "R1"}), (Action.CALL, {"outcome": "now"})):
        perform(ctx, o.order_id, action, DISPATCHER, **kw)
    return o.order_id


def test_a_refused_order_left_without_a_decision_raises_until_someone_decides(rctx: AppContext,
                                                                              clock: ManualClock) -> None:
    from ops_console.storage.models import ServiceRequest

    refused = _out_for_delivery(rctx, "MT001")
    failed = _out_for_delivery(rctx, "MT002")
    kept = _out_for_delivery(rctx, "MT003")
    perform(rctx, refused, Action.REFUSE, DISPATCHER, reason="quality")
    perform(rctx, failed, Action.FAIL, DISPATCHER, reason="customer_absent")
    perform(rctx, kept, Action.REFUSE, DISPATCHER, reason="late")
    start = clock.now()
    assert run_until(rctx, clock, start + timedelta(minutes=14)) == []
    changes = run_until(rctx, clock, start + timedelta(minutes=15))
    assert summary(changes) == [("raised", "decision_waiting")] * 3
    assert {c.reminder.subject for c in changes} == {f"order:{refused}", f"order:{failed}", f"order:{kept}"}
    first = next(c.reminder for c in changes if c.reminder.subject == f"order:{failed}")
    assert "配送未完成" in first.message() and "15 分钟" in first.message()

    # A redispatch, a return opened by customer service, a cancel: each is a decision.
    perform(rctx, refused, Action.REDISPATCH, DISPATCHER)
    with write_session(rctx.engine) as s:
        s.add(ServiceRequest(order_id=failed, kind="return", reason="客户不要了", created_at=clock.now()))
    clock.advance(seconds=30)
    closed = run_checks(rctx)
    assert {c.reminder.subject for c in closed if c.change == "closed"} == {f"order:{failed}", f"order:{refused}"}
    perform(rctx, kept, Action.CANCEL, DISPATCHER, reason="customer_cancelled")
    clock.advance(seconds=30)
    assert summary(run_checks(rctx)) == [("closed", "decision_waiting")]

    # Refused again after the redispatch: a new episode, a new row after another 15 minutes.
    for action, kw in ((Action.DISPATCH, {"courier_id": "C01"}), (Action.HAND_OVER, {"till_receipt": "R2"}),
                       (Action.CALL, {"outcome": "now"}), (Action.REFUSE, {"reason": "quality"})):
        perform(rctx, refused, action, DISPATCHER, **kw)
    again = clock.now()
    run_until(rctx, clock, again + timedelta(minutes=15))
    live = [r for r in rows(rctx, "decision_waiting") if r.status == "open"]
    assert [(r.subject, r.raised_at) for r in live] == [(f"order:{refused}", again + timedelta(minutes=15))]
