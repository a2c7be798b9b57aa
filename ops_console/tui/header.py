"""The header: the state of the shift at a glance. Its state is reactive (facts, error, paused, the
clock's now, the scheduler's last run): the screen sets attributes, the header re-renders itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ops_console.config import Settings
from ops_console.domain.types import TIER_ORDER
from ops_console.i18n import t
from ops_console.services.context import Actor
from ops_console.services.panes import HeaderFacts, Snapshot
from ops_console.tui.panes.cells import minutes_text

SEP = "  │  "


def backlog_style(minutes: float | None, settings: Settings) -> str:
    if minutes is None:
        return "green"
    if minutes >= settings.reminders.backlog_critical_minutes:
        return "bold white on red"
    if minutes >= settings.reminders.backlog_warn_minutes:
        return "bold black on yellow"
    return "bold green"


class ConsoleHeader(Static):
    DEFAULT_CSS = """
    ConsoleHeader { height: 2; background: $panel; padding: 0 1; }
    """

    facts: reactive[HeaderFacts | None] = reactive(None, init=False, layout=False)
    error: reactive[str | None] = reactive(None, init=False)
    paused: reactive[bool] = reactive(False, init=False)
    now: reactive[datetime | None] = reactive(None, init=False)
    scheduler_ran: reactive[datetime | None] = reactive(None, init=False)  # from this console's checks

    def __init__(self, settings: Settings, actor: Actor, database: str) -> None:
        super().__init__(id="header")
        self.settings = settings
        self.actor = actor
        self.database = database
        self.picking_deadlines: tuple[datetime, ...] = ()
        self.snapshot: Snapshot | None = None

    def set_snapshot(self, snapshot: Snapshot) -> None:
        if snapshot.picking_deadlines is not None:
            self.picking_deadlines = snapshot.picking_deadlines
        self.snapshot = snapshot
        self.error = None
        self.facts = snapshot.header

    def _show(self) -> None:
        if self.now is not None:
            self.update(self.render_text(self.now))

    def watch_facts(self) -> None:
        self._show()

    def watch_error(self) -> None:
        self._show()

    def watch_paused(self) -> None:
        self._show()

    def watch_now(self) -> None:
        self._show()

    def watch_scheduler_ran(self) -> None:
        self._show()

    def relabel(self) -> None:
        """After a language switch: the same state in the new language."""
        self._show()

    def backlog_minutes(self, now: datetime) -> float | None:
        return self.facts.backlog_minutes(now) if self.facts else None

    def render_text(self, now: datetime) -> Text:
        tz = self.settings.tz
        local = now.astimezone(tz)
        weekday = t(f"console.weekday.{local.weekday()}")
        line1 = Text(no_wrap=True, overflow="ellipsis")
        line1.append(t("console.app_title"), "bold")
        line1.append(SEP)
        line1.append(f"{local:%Y-%m-%d} {weekday} ", "bold")
        line1.append(f"{local:%H:%M:%S}", "bold cyan")
        f = self.facts
        if f is None:
            line1.append(SEP + t("console.loading"), "dim")
            line2 = Text(self._who(), no_wrap=True)
            return Text("\n").join([line1, line2])
        minutes = f.backlog_minutes(now)
        line1.append(SEP)
        age = minutes_text(minutes * 60) if minutes is not None else "—"
        line1.append(f" {t('console.hdr.backlog', age=age)} ", backlog_style(minutes, self.settings))
        line1.append("  ")
        line1.append(t("console.hdr.queue", unassigned=f.unassigned, review=f.manual_review))
        line1.append(SEP)
        picking_late = _count_before(self.picking_deadlines, now)
        delivery_late = f.delivery_overdue(now, self.settings.delivery.sla_minutes)
        line1.append(t("console.hdr.picking_late", n=picking_late), "bold red" if picking_late else "")
        line1.append(" · ")
        line1.append(t("console.hdr.delivery_late", n=delivery_late), "bold red" if delivery_late else "")
        line1.append(SEP)
        due = f.appointments_due(now)
        line1.append(t("console.hdr.appointments", n=due), "bold blue" if due else "")
        line1.append(SEP)
        line1.append(t("console.hdr.reminders", n=f.open_reminders), "bold yellow" if f.open_reminders else "")
        line1.append(" · ")
        line1.append(t("console.hdr.critical", n=f.critical_alerts), "bold white on red" if f.critical_alerts else "")

        line2 = Text(no_wrap=True, overflow="ellipsis")
        line2.append(t("console.hdr.couriers") + " ")
        counts = {c.tier: c for c in f.couriers}
        parts = []
        for tier in TIER_ORDER:
            c = counts.get(tier.value)
            if c is None:
                continue
            parts.append((f"{t(f'console.tier_short.{tier.value}')} {c.free}/{c.on_duty}",
                          "bold red" if c.on_duty and not c.free else ""))
        for i, (text, style) in enumerate(parts):
            if i:
                line2.append(" · ")
            line2.append(text, style)
        line2.append(SEP)
        line2.append(self._scheduler_text(now))
        line2.append(SEP)
        line2.append(self._who())
        if self.paused:
            line2.append("  ")
            line2.append(f" {t('console.paused')} ", "bold black on yellow")
        if self.error:
            line2.append("  ")
            line2.append(f" {t('console.db_error', error=self.error)} ", "bold white on red")
        return Text("\n").join([line1, line2])

    def _who(self) -> str:
        return f"{self.actor.name} ({t(f'role.{self.actor.role}')})  {self.database}"

    def _scheduler_text(self, now: datetime) -> Any:
        raw = self.facts.scheduler_last_run if self.facts else None
        mine = self.scheduler_ran
        if not raw and mine is None:
            return Text(t("console.hdr.scheduler_none"), "dim")
        try:
            when = datetime.fromisoformat(raw) if raw else mine
        except ValueError:
            return Text(t("console.hdr.scheduler", at=raw))
        assert when is not None
        if mine is not None and when.tzinfo and mine > when:
            when = mine  # this console's own run is newer than the last reload's
        stale = (now - when) > timedelta(seconds=3 * self.settings.reminders.check_seconds) if when.tzinfo else False
        at = when.astimezone(self.settings.tz).strftime("%H:%M:%S") if when.tzinfo else raw
        return Text(t("console.hdr.scheduler", at=at), "bold red" if stale else "")


def _count_before(sorted_times: tuple[datetime, ...], now: datetime) -> int:
    import bisect

    return bisect.bisect_left(sorted_times, now)
