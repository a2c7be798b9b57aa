"""Live refresh of the main screen: poll the event log, reload what moved, back off on trouble.

A timer asks a thread worker whether the event log moved (`max(Event.id)`); only then does the
worker's `LiveView` read the new events and the rows they touched (services/panes.py) and post a
frozen snapshot. The next poll is armed only when that one finished, and skipped while updates are
paused or a dialog is open (skipped, not lost: the mark stays). A failed poll shows in the header
and the next one waits longer (doubling up to MAX_BACKOFF_SECONDS). Ages tick every second from the
timestamps on screen, without a query.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen
from textual.timer import Timer

from ops_console.services import panes as pane_service
from ops_console.tui.messages import DatabaseTrouble, SnapshotLoaded, first_line

if TYPE_CHECKING:
    from ops_console.services.context import AppContext
    from ops_console.tui.header import ConsoleHeader
    from ops_console.tui.panes import LiveTable

POLL_SECONDS = 1.0
FULL_RELOAD_SECONDS = 30.0  # a safety net: everything reloads now and then even without events
MAX_BACKOFF_SECONDS = 10.0


def backoff_seconds(poll_seconds: float, failures: int) -> float:
    """The wait before the next poll after `failures` failed ones in a row."""
    if failures <= 0:
        return poll_seconds
    return min(MAX_BACKOFF_SECONDS, poll_seconds * 2 ** min(failures, 4))


class LiveRefresh(Screen[None]):
    """The main screen's first layer: the poll loop and the snapshot it applies."""

    ctx: AppContext

    @property
    def header(self) -> ConsoleHeader:
        raise NotImplementedError

    @property
    def panes(self) -> dict[str, LiveTable]:
        raise NotImplementedError

    def init_live(self, window: int, poll_seconds: float) -> None:
        self.window = window
        self.poll_seconds = poll_seconds
        self.mark = -1
        self.live = pane_service.LiveView(window)  # the panes as the refresh worker knows them
        self.paused = False
        self.loads = 0  # finished refreshes (tests wait on it)
        self.last_load_ms = 0.0
        self._loading = False
        self._again = False
        self._force = False
        self._timer: Timer | None = None
        self._next_full = 0.0
        self._failures = 0

    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(delay, 0.001), self._poll)

    def _poll(self) -> None:
        self._timer = None
        if self._loading:
            return
        if self.paused or self.app.screen is not self:
            self._arm(self.poll_seconds)
            return
        force = self._force or self.mark < 0 or time.monotonic() >= self._next_full
        self._force = False
        self._loading = True
        self._refresh(force)

    def refresh_now(self, force: bool = False) -> None:
        """Poll at once (after an action); if a poll is running, poll again right after it."""
        self._force = self._force or force
        if self._loading:
            self._again = True
        elif not self.paused:
            self._arm(0)

    @work(thread=True, exclusive=True, group="refresh")
    def _refresh(self, force: bool) -> None:
        """The worker: the only user of `self.live` (one run at a time)."""
        started = time.perf_counter()
        try:
            snapshot = self.live.load(self.ctx) if force else self.live.refresh(self.ctx)
            self.post_message(SnapshotLoaded(snapshot, self.live.mark, (time.perf_counter() - started) * 1000))
        except Exception as exc:  # noqa: BLE001 — the console never dies on the database: show it and retry
            self.post_message(DatabaseTrouble(first_line(exc)))

    def on_snapshot_loaded(self, message: SnapshotLoaded) -> None:
        self._loading = False
        self._failures = 0
        if message.snapshot is not None:
            if self.paused:
                self._force = True  # not shown: the next poll after the pause loads everything
            else:
                self.apply_snapshot(message.snapshot)
                self.mark = message.mark
                if message.snapshot.whole:
                    self._next_full = time.monotonic() + FULL_RELOAD_SECONDS
        self.header.error = None
        self.last_load_ms = message.took_ms
        self.loads += 1
        self._arm(0 if self._again else self.poll_seconds)
        self._again = False

    def apply_snapshot(self, snapshot: pane_service.Snapshot) -> None:
        now = self.ctx.clock.now()
        panes = self.panes
        with self.app.batch_update():
            for pane_id, data in snapshot.panes.items():
                panes[pane_id].set_data(data, now)
            self.header.now = now
            self.header.set_snapshot(snapshot)
        self.after_snapshot()

    def after_snapshot(self) -> None:
        """What the screen does once a snapshot is shown (the key bar)."""

    def on_database_trouble(self, message: DatabaseTrouble) -> None:
        self._loading = False
        self._again = False
        self._failures += 1
        self.header.error = message.error
        self.loads += 1
        self._arm(backoff_seconds(self.poll_seconds, self._failures))

    def tick(self) -> None:
        now = self.ctx.clock.now()
        self.header.paused = self.paused
        self.header.now = now
        if self.paused or self.app.screen is not self:
            return
        with self.app.batch_update():
            for pane in self.panes.values():
                if pane.loaded:
                    pane.tick(now)

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.header.paused = self.paused
        if not self.paused:
            self.refresh_now()
