"""The main screen: the header, the four live panes, the command line and the key bar; focus, the
view keys (filter, sort, tags, pause, language) and help. Its layers, bottom up: live refresh
(tui/live.py), the order and alert actions (tui/actions.py), the `:` commands (tui/commands.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from ops_console.domain.lifecycle import LIFECYCLE, role_allowed
from ops_console.domain.types import Role
from ops_console.i18n import get_language, set_language, t
from ops_console.services import panes as pane_service
from ops_console.services.context import Actor, AppContext
from ops_console.tui import dialogs, keys
from ops_console.tui.cmdline import CommandLine
from ops_console.tui.commands import CommandRouting
from ops_console.tui.header import ConsoleHeader
from ops_console.tui.help import HelpScreen
from ops_console.tui.live import POLL_SECONDS
from ops_console.tui.panes import PANE_CLASSES, AlertsPane, BoardPane, LiveTable, PickingPane, UnassignedPane
from ops_console.tui.panes.alerts import alert_counts, alert_line, critical_open

TABS_BELOW = 160  # narrower than this, the panes become tabs (1-4, h/l, Tab switch)
COMPACT_BELOW = 100  # narrower than this (or lower than 30 lines), the header takes one line
MAX_BANNER = 3  # critical alerts shown above the panes; the rest are counted


class MainScreen(CommandRouting):
    """Header, the four panes, the command line and the key bar."""

    BINDINGS = keys.bindings()

    def __init__(self, ctx: AppContext, actor: Actor, database: str, window: int = pane_service.DEFAULT_WINDOW,
                 poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(id="main")
        self.ctx = ctx
        self.actor = actor
        self.database = database
        self.init_live(window, poll_seconds)
        self._last_pane: LiveTable | None = None
        self._vocabulary: pane_service.Vocabulary | None = None
        self._store_filter: str | None = None
        self._keybar_text = ""
        self._greeted = False

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        tz = self.ctx.settings.tz
        yield ConsoleHeader(self.ctx.settings, self.actor, self.database)
        yield Static(id="tabs")
        yield Static(id="banner")
        with Vertical(id="panes"):
            yield UnassignedPane(tz)
            with Horizontal(id="lower"):
                yield PickingPane(tz)
                yield BoardPane(tz)
                alerts = AlertsPane(tz)
                # Customer service works the service requests; pane 4 lists them for them (and supervisors).
                alerts.show_service_requests = self.actor.role in (Role.CUSTOMER_SERVICE, Role.SUPERVISOR)
                yield alerts
        yield CommandLine(lambda: self._vocabulary)
        yield Static(id="keybar")

    @property
    def panes(self) -> dict[str, LiveTable]:
        return {cls.pane_id: self.query_one(f"#pane-{cls.pane_id}", cls) for cls in PANE_CLASSES}

    @property
    def header(self) -> ConsoleHeader:
        return self.query_one(ConsoleHeader)

    def on_mount(self) -> None:
        s = self.ctx.settings
        unassigned = self.query_one(UnassignedPane)
        unassigned.warn_minutes = s.reminders.backlog_warn_minutes
        unassigned.critical_minutes = s.reminders.backlog_critical_minutes
        unassigned.review_minutes = s.review.manual_hours * 60
        board = self.query_one(BoardPane)
        board.wait_minutes = s.dispatch.wait_minutes_before_escalation
        board.delivery_minutes = s.delivery.sla_minutes
        unassigned.focus()
        self._last_pane = unassigned
        self.header.now = self.ctx.clock.now()
        self.update_keybar()
        self.set_interval(1.0, self.tick)
        self._arm(0)
        self._load_vocabulary()

    def after_snapshot(self) -> None:
        alerts = self.query_one(AlertsPane)
        self.header.alert_counts = alert_counts(alerts.data_rows)
        self.update_banner()
        self.update_tabs()
        self.update_keybar()
        if not self._greeted and alerts.loaded:
            self._greeted = True
            open_alerts, critical = self.header.alert_counts
            self.notify(t("console.signed_in", name=self.actor.name, open=open_alerts, critical=critical))

    # -- layout that adapts: tabs below TABS_BELOW columns, one header line on a small terminal --------
    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size.width, event.size.height
        tabs = width < TABS_BELOW
        if tabs != self.has_class("tabs"):
            self.set_class(tabs, "tabs")
            for cls in PANE_CLASSES:
                self.remove_class(f"tab-{cls.pane_id}")
        self.header.lines = 1 if width < COMPACT_BELOW or height < 30 else 2
        self._show_tab(self.focused_pane().pane_id)

    def _show_tab(self, pane_id: str) -> None:
        """In tabs mode, show this pane. A class change restyles the whole screen: only when it changes."""
        if not self.has_class("tabs") or self.has_class(f"tab-{pane_id}"):
            return
        for cls in PANE_CLASSES:
            self.set_class(cls.pane_id == pane_id, f"tab-{cls.pane_id}")
        self.update_tabs()

    def update_tabs(self) -> None:
        if not self.has_class("tabs"):
            return
        current = self.focused_pane().pane_id
        bar = Text(no_wrap=True, overflow="ellipsis")
        for pane in self.panes.values():
            label = f" {pane.number} {t(pane.title_key)} {pane.total} "
            bar.append(label, "bold reverse" if pane.pane_id == current else "dim")
            bar.append(" ")
        self.query_one("#tabs", Static).update(bar)

    def update_banner(self, now: datetime | None = None) -> None:
        """Open critical alerts, one line each: above the panes, never over them; rebuilt with every reload."""
        rows = critical_open(self.query_one(AlertsPane).data_rows)
        banner = self.query_one("#banner", Static)
        banner.display = bool(rows)
        if not rows:
            return
        now = now or self.ctx.clock.now()
        shown = rows[:MAX_BANNER]
        lines = [alert_line(r, now, self.ctx.settings.tz) for r in shown]
        if len(rows) > len(shown):
            lines.append(Text(t("console.banner.more", n=len(rows) - len(shown))))
        banner.update(Text("\n").join(lines))

    @work(thread=True, exclusive=True, group="vocabulary")
    def _load_vocabulary(self) -> None:
        try:
            self._vocabulary = pane_service.vocabulary(self.ctx)
        except Exception:  # noqa: BLE001 — completion is a convenience; the poll reports database trouble
            self._vocabulary = None

    # -- focus and the key bar -----------------------------------------------------------------------
    def focused_pane(self) -> LiveTable:
        focused = self.focused
        if isinstance(focused, LiveTable):
            return focused
        return self._last_pane or self.query_one(UnassignedPane)

    def on_descendant_focus(self, event: Any) -> None:
        if isinstance(event.widget, LiveTable):
            self._last_pane = event.widget
            self._show_tab(event.widget.pane_id)
            self.update_keybar()

    def tick(self) -> None:
        super().tick()
        if self.query_one("#banner", Static).display:
            self.update_banner()

    def update_keybar(self) -> None:
        pane = self.focused_pane()
        groups = keys.PANE_GROUPS.get(pane.pane_id, ())
        parts = []
        for k in keys.KEYS:
            if k.group not in groups or k.key in ("space",):
                continue
            if k.lifecycle and not any(role_allowed(LIFECYCLE[a], self.actor.role) for a in k.lifecycle):
                continue
            if k.action == "service_step" and not getattr(pane, "show_service_requests", False):
                continue  # no service requests in this person's pane 4
            parts.append(f"[b]{k.shown}[/] {t(k.desc)}")
        parts.append(f"[b]?[/] {t('console.key.help')}")
        parts.append(f"[b]q[/] {t('console.key.quit')}")
        text = "  ".join(parts)
        if text != self._keybar_text:  # after every reload: repaint the bar only when it changed
            self._keybar_text = text
            self.query_one("#keybar", Static).update(text)

    def action_focus_pane(self, pane_id: str) -> None:
        pane = self.panes[pane_id]
        self._last_pane = pane
        hidden = not pane.display or not pane.region.width
        self._show_tab(pane_id)
        pane.focus()
        if hidden:  # in tabs mode the pane takes the focus once shown, unless a key moved it on meanwhile
            self.call_after_refresh(self._focus_if_still_wanted, pane)

    def _focus_if_still_wanted(self, pane: LiveTable) -> None:
        if self._last_pane is pane and (self.focused is None or isinstance(self.focused, LiveTable)):
            pane.focus()

    def action_next_pane(self, step: int = 1) -> None:
        order = [cls.pane_id for cls in PANE_CLASSES]
        current = self.focused_pane().pane_id
        self.action_focus_pane(order[(order.index(current) + step) % len(order)])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if isinstance(event.data_table, LiveTable):
            event.stop()
            self.action_open_detail()

    # -- view keys -----------------------------------------------------------------------------------
    def action_tag(self) -> None:
        self.focused_pane().toggle_tag()

    def action_sort(self, step: int) -> None:
        self.focused_pane().cycle_sort(step)

    def action_filter(self) -> None:
        pane = self.focused_pane()
        self._last_pane = pane
        self.query_one(CommandLine).open("filter", pane.filter_text)

    def action_command_line(self) -> None:
        self._last_pane = self.focused_pane()
        self._load_vocabulary()
        self.query_one(CommandLine).open("command")

    def action_clear(self) -> None:
        pane = self.focused_pane()
        if pane.filter_text:
            pane.set_filter("")
        elif pane.tagged:
            pane.clear_tags()
        elif self._store_filter:
            self.set_store_filter(None)

    def action_pause(self) -> None:
        self.toggle_pause()
        self.notify(t("console.paused_note" if self.paused else "console.resumed_note"))

    def action_help(self) -> None:
        allowed = {k.name for k in keys.KEYS
                   if not k.lifecycle or any(role_allowed(LIFECYCLE[a], self.actor.role) for a in k.lifecycle)}
        self.app.push_screen(HelpScreen(keys.KEYS, allowed))

    def action_command_palette(self) -> None:
        self.app.action_command_palette()

    def action_switch_language(self) -> None:
        set_language("en" if get_language() == "zh_CN" else "zh_CN")
        self.relabel()
        self.notify(t("console.language_switched"))

    def relabel(self) -> None:
        with self.app.batch_update():
            for pane in self.panes.values():
                pane.relabel()
            self.header.relabel()
            self.update_keybar()
        self.app.title = t("console.app_title")

    def action_quit_console(self) -> None:
        self.app.push_screen(dialogs.DIALOGS[dialogs.CONFIRM](t("console.quit_question")),
                             lambda yes: self.app.exit() if yes else None)

    @on(CommandLine.Submitted)
    def _submitted(self, message: CommandLine.Submitted) -> None:
        pane = self._last_pane or self.focused_pane()
        pane.focus()
        if message.mode == "filter":
            pane.set_filter(message.value)
        else:
            self.run_command(message.value)

    @on(CommandLine.Cancelled)
    def _cancelled(self, message: CommandLine.Cancelled) -> None:
        pane = self._last_pane or self.focused_pane()
        pane.focus()
        if message.mode == "filter":
            pane.set_filter("")
