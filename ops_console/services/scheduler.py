"""The scheduler that runs the reminder checks: in the console on its own event loop, or headless
for `ops-console watch`.

Jobs are plain in-memory functions (two processes must never share an APScheduler job store); what
they do is made idempotent by the database (services/reminders.py), so any number of consoles and
`watch` processes may run them at once. After each run a process reports every reminder change
since its previous run — made by itself or by another process — so each console shows each new
reminder, while the database holds it once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ops_console.services.anomaly_checks import run_anomaly_checks
from ops_console.services.appointments import release_due_holds
from ops_console.services.context import AppContext
from ops_console.services.events import EventFeed
from ops_console.services.reminders import (
    ReminderChange,
    changes_in_feed,
    last_run,
    reminder_feed,
    run_checks,
)

JOB_ID = "reminders.checks"
FEED_SECONDS = 1.0

OnChange = Callable[[list[ReminderChange]], None]
OnError = Callable[[Exception], None]
OnRun = Callable[[datetime | None], None]

log = logging.getLogger(__name__)


def run_all_checks(ctx: AppContext) -> list[ReminderChange]:
    """One run of everything the scheduler checks, in order: held orders due released, the
    reminder checks, then the anomaly checks (timers far past SLA, ack timeouts, expired silences).
    The console's job and `watch` (with or without --once) all run this; returns the reminder
    changes of the run."""
    release_due_holds(ctx)
    changes = run_checks(ctx)
    run_anomaly_checks(ctx)
    return changes


class ReminderRunner:
    """One process's checks and its place in the feed of reminder changes."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.cursor: EventFeed | None = None  # exact on PostgreSQL: late commits are not skipped
        self.ran_at: datetime | None = None  # the checks' last run as recorded in the database
        self._lock = threading.Lock()
        self._feed_lock = threading.Lock()

    def tick(self) -> list[ReminderChange]:
        """Run the checks once; return the reminder changes since the previous tick (all processes).
        Blocking (database work): call it from a thread, never from the UI loop. A tick that finds
        another one still running returns nothing rather than queueing up."""
        if not self._lock.acquire(blocking=False):
            return []
        try:
            with self._feed_lock:
                if self.cursor is None:
                    self.cursor = reminder_feed(self.ctx)
            run_all_checks(self.ctx)
            changes = self.feed()
            self.ran_at = last_run(self.ctx)
            return changes
        finally:
            self._lock.release()

    def feed(self) -> list[ReminderChange]:
        """Only the reminder changes since the last look (raised, acknowledged… by any process): a
        cheap read, for noticing others' changes between two runs of the checks."""
        with self._feed_lock:
            if self.cursor is None:
                self.cursor = reminder_feed(self.ctx)
                return []
            return changes_in_feed(self.ctx, self.cursor)


def _add_jobs(scheduler: BaseScheduler, job: Callable[[], object], seconds: int) -> None:
    # One interval job (missed runs coalesced into one), and one run right away.
    scheduler.add_job(job, IntervalTrigger(seconds=seconds), id=JOB_ID, coalesce=True, max_instances=1,
                      misfire_grace_time=None, replace_existing=True)
    scheduler.add_job(job, id=f"{JOB_ID}.now", coalesce=True, max_instances=1, misfire_grace_time=None,
                      replace_existing=True)


def run_soon(scheduler: BaseScheduler) -> None:
    """Run the checks now, outside the interval (e.g. after an operator acted)."""
    job = scheduler.get_job(JOB_ID)
    if job is not None:
        scheduler.add_job(job.func, id=f"{JOB_ID}.now", coalesce=True, max_instances=1, misfire_grace_time=None,
                          replace_existing=True)


def start_scheduler(ctx: AppContext, on_change: OnChange | None = None, on_error: OnError | None = None,
                    on_run: OnRun | None = None, feed_seconds: float = FEED_SECONDS) -> AsyncIOScheduler:
    """Start the checks on the running event loop (call it from the console's `on_mount`).

    Every `reminders.check_seconds` the checks run in a worker thread (`asyncio.to_thread`), so the
    UI loop never waits on the database; `on_change(changes)` (when something changed, here or in
    another process), `on_run(last_run)` (after every run: for the header) and `on_error(exc)` are
    then called back on the loop. Between runs, every `feed_seconds` a cheap read of the event log
    reports changes made elsewhere (an acknowledgement in another console, a reminder raised by
    `watch`) without waiting for the next run. Stop it with `scheduler.shutdown(wait=False)`.
    """
    asyncio.get_running_loop()  # fail here, clearly, when called outside a running loop
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # no chatter on the console's screen
    runner = ReminderRunner(ctx)
    busy = False

    async def job() -> None:
        nonlocal busy
        if busy:
            return
        busy = True
        try:
            changes = await asyncio.to_thread(runner.tick)
        except Exception as exc:  # reported to the console; the next tick tries again
            if on_error is not None:
                on_error(exc)
            else:
                log.exception("reminder checks failed")
            return
        finally:
            busy = False
        if on_run is not None:
            on_run(runner.ran_at)
        if changes and on_change is not None:
            on_change(changes)

    feeding = False

    async def feed_job() -> None:
        nonlocal feeding
        if feeding or busy:
            return
        feeding = True
        try:
            changes = await asyncio.to_thread(runner.feed)
        except Exception:  # noqa: BLE001 - the next run of the checks reports database trouble
            return
        finally:
            feeding = False
        if changes and on_change is not None:
            on_change(changes)

    scheduler = AsyncIOScheduler()
    _add_jobs(scheduler, job, ctx.settings.reminders.check_seconds)
    if feed_seconds:
        scheduler.add_job(feed_job, IntervalTrigger(seconds=feed_seconds), id=f"{JOB_ID}.feed", coalesce=True,
                          max_instances=1, misfire_grace_time=None, replace_existing=True)
    scheduler.start()
    return scheduler


def run_blocking(ctx: AppContext, on_change: OnChange, on_error: OnError | None = None,
                 stop: threading.Event | None = None) -> None:
    """Run the checks every `reminders.check_seconds` until Ctrl-C (or `stop` is set): `watch`.
    `on_change` is called from the scheduler's worker thread."""

    def job() -> None:
        try:
            changes = runner.tick()
        except Exception as exc:  # reported; the next tick tries again
            if on_error is None:
                raise
            on_error(exc)
            return
        if changes:
            on_change(changes)

    runner = ReminderRunner(ctx)
    scheduler = BlockingScheduler()
    _add_jobs(scheduler, job, ctx.settings.reminders.check_seconds)
    if stop is not None:
        def watcher() -> None:
            stop.wait()
            if scheduler.running:
                scheduler.shutdown(wait=False)

        threading.Thread(target=watcher, daemon=True).start()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
