"""The reminder checks inside the console: the scheduler on the app's loop, a notification for every
reminder raised (by this console or any other process on the database), the bell for critical
ones (which then stay in the banner above the panes, with their live age, until acknowledged: a
toast would cover the panes), and the checks' last run in the header."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from rich.markup import escape
from textual.notifications import Notification, Notify

from ops_console.i18n import t
from ops_console.services.reminders import ACKNOWLEDGED, CLOSED, RAISED, RE_RAISED, ReminderChange
from ops_console.services.scheduler import start_scheduler
from ops_console.tui._textual_hacks import withdraw_notification
from ops_console.tui.messages import RemindersChanged, SchedulerRan, SchedulerTrouble, first_line

NOTE_SECONDS = 10.0
BATCH = 3  # more non-critical reminders than this in one look: one summary note instead


class ReminderAlerts:
    """Glue between the scheduler and one console app (`OpsConsoleApp`)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.scheduler: AsyncIOScheduler | None = None
        self.sticky: dict[int, Notification] = {}  # reminder id → its critical notification
        self.bells = 0
        self.runs = 0
        self.last_run: datetime | None = None

    def start(self) -> None:
        self.scheduler = start_scheduler(self.app.ctx, self.on_change, self.on_error, self.on_run)

    def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    # -- callbacks on the app's loop ---------------------------------------------------------------
    def on_change(self, changes: list[ReminderChange]) -> None:
        raised = [c for c in changes if c.change in (RAISED, RE_RAISED)]
        quiet = [c for c in raised if not c.reminder.critical]
        if len(quiet) > BATCH:  # many at once (a restart, a busy hour): one note, the pane has them all
            self.app.notify(escape(t("reminders.batch", n=len(quiet))), severity="warning", timeout=NOTE_SECONDS)
        for change in changes:
            r = change.reminder
            if change.change in (RAISED, RE_RAISED):
                if len(quiet) > BATCH and not r.critical:
                    continue
                self._unstick(r.id)
                title = r.title()
                if change.change == RE_RAISED:
                    title += " " + t("reminders.times_raised", count=r.raise_count)
                note = Notification(escape(r.message()), title,
                                    "error" if r.critical else ("warning" if r.severity == "warning" else "information"),
                                    NOTE_SECONDS, markup=True)
                self.app.post_message(Notify(note))
                if r.critical:
                    self.sticky[r.id] = note
                    self.bells += 1
                    self.app.bell()
            elif change.change in (ACKNOWLEDGED, CLOSED):
                self._unstick(r.id)
        self.app.post_message(RemindersChanged())

    def on_run(self, ran_at: datetime | None) -> None:
        self.runs += 1
        self.last_run = ran_at
        if ran_at is not None:
            self.app.post_message(SchedulerRan(ran_at))

    def on_error(self, exc: Exception) -> None:
        self.app.post_message(SchedulerTrouble(t("reminders.run_failed", error=first_line(exc))))

    def _unstick(self, reminder_id: int) -> None:
        note = self.sticky.pop(reminder_id, None)
        if note is None:
            return
        withdraw_notification(self.app, note)
