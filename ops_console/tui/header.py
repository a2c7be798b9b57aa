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
# A piece of the header: (priority, text) or (priority, text, the separator before it).
Part = tuple[int, Text] | tuple[int, Text, str]


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
    alert_counts: reactive[tuple[int, int] | None] = reactive(None, init=False)  # (open, critical) of pane 4
    lines: reactive[int] = reactive(2, init=False)  # 1 on a small terminal

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

    def watch_alert_counts(self) -> None:
        self._show()

    def watch_lines(self, lines: int) -> None:
        self.styles.height = lines
        self._show()

    def on_resize(self) -> None:
        self._show()

    def relabel(self) -> None:
        """After a language switch: the same state in the new language."""
        self._show()

    def backlog_minutes(self, now: datetime) -> float | None:
        return self.facts.backlog_minutes(now) if self.facts else None

    def parts(self, now: datetime) -> list[Part]:
        """The header's pieces in reading order, each with its priority (1 = never folded away)."""
        local = now.astimezone(self.settings.tz)
        weekday = t(f"console.weekday.{local.weekday()}")
        out: list[Part] = [
            (6, Text(t("console.app_title"), "bold")),
            (4, Text(f"{local:%Y-%m-%d} {weekday}", "bold")),
            (1, Text(f"{local:%H:%M:%S}", "bold cyan"), " "),
        ]
        f = self.facts
        if f is None:
            out.append((1, Text(t("console.loading"), "dim")))
            out.append((5, Text(self._who())))
            return out
        minutes = f.backlog_minutes(now)
        age = minutes_text(minutes * 60) if minutes is not None else "—"
        out.append((1, Text(f" {t('console.hdr.backlog', age=age)} ", backlog_style(minutes, self.settings))))
        out.append((2, Text(t("console.hdr.queue", unassigned=f.unassigned, review=f.manual_review)), "  "))
        picking_late = _count_before(self.picking_deadlines, now)
        delivery_late = f.delivery_overdue(now, self.settings.delivery.sla_minutes)
        out.append((2, Text(t("console.hdr.picking_late", n=picking_late), "bold red" if picking_late else "")))
        out.append((2, Text(t("console.hdr.delivery_late", n=delivery_late), "bold red" if delivery_late else ""),
                    " · "))
        due = f.appointments_due(now)
        out.append((3, Text(t("console.hdr.appointments", n=due), "bold blue" if due else "")))
        open_alerts, critical = self.alert_counts if self.alert_counts is not None else (
            f.open_reminders, f.critical_alerts)
        out.append((2, Text(t("console.hdr.reminders", n=open_alerts), "bold yellow" if open_alerts else "")))
        out.append((1, Text(t("console.hdr.critical", n=critical), "bold white on red" if critical else ""), " · "))
        couriers = Text(t("console.hdr.couriers") + " ")
        counts = {c.tier: c for c in f.couriers}
        first = True
        for tier in TIER_ORDER:
            c = counts.get(tier.value)
            if c is None:
                continue
            if not first:
                couriers.append(" · ")
            first = False
            couriers.append(f"{t(f'console.tier_short.{tier.value}')} {c.free}/{c.on_duty}",
                            "bold red" if c.on_duty and not c.free else "")
        out.append((2, couriers))
        out.append((4, self._scheduler_text(now)))
        out.append((5, Text(self._who())))
        if self.paused:
            out.append((1, Text(f" {t('console.paused')} ", "bold black on yellow")))
        if self.error:
            out.append((1, Text(f" {t('console.db_error', error=self.error)} ", "bold white on red")))
        return out

    def render_text(self, now: datetime) -> Text:
        width = (self.size.width or 200) if self.is_mounted else 200
        return Text("\n").join(fold(self.parts(now), width, self.lines))

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


def fold(parts: list[Part], width: int, lines: int) -> list[Text]:
    """The parts on at most `lines` lines of `width` cells, in reading order, never cut in the middle:
    while they do not fit, the part with the highest priority number goes (the last of equals first)."""
    keep = list(parts)
    while True:
        out: list[Text] = [Text(no_wrap=True)]
        for part in keep:
            text, joiner = part[1], (part[2] if len(part) > 2 else SEP)
            line = out[-1]
            need = text.cell_len + (len(joiner) if line.plain else 0)
            if line.plain and line.cell_len + need > width:
                line = Text(no_wrap=True)
                out.append(line)
            if line.plain:
                line.append(joiner)
            line.append_text(text)
        droppable = [i for i, part in enumerate(keep) if part[0] > 1]
        if (len(out) <= lines and all(x.cell_len <= width for x in out)) or not droppable:
            return out[:lines]
        del keep[max(droppable, key=lambda i: (keep[i][0], i))]


def _count_before(sorted_times: tuple[datetime, ...], now: datetime) -> int:
    import bisect

    return bisect.bisect_left(sorted_times, now)
