"""The dispatcher's console: sign-in, then one screen with the header, four live panes and the keys.

Data flow (Harlequin / Dolphie / Memray style): a timer asks a thread worker once a second whether
the event log moved (`max(Event.id)`); only then does the worker's `LiveView` read the new events,
the rows of the orders they touched, and patch its pane windows (services/panes.py); the panes that
changed come back as frozen snapshots in a message, with the keys that changed, and the tables
update, add or remove just those rows. The next poll is armed only when that one finished, and
skipped while updates are paused or a dialog is open. Ages tick every second from the timestamps
on screen. Actions run in thread workers too, one service call per order with the version the
pane showed, and report every order's outcome.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Static

from ops_console.domain.lifecycle import LIFECYCLE, allowed_actions, role_allowed
from ops_console.domain.types import Action, Status
from ops_console.i18n import Ref, get_language, set_language, t
from ops_console.services import panes as pane_service
from ops_console.services.actions import perform
from ops_console.services.context import Actor, AppContext
from ops_console.services.database import database_label
from ops_console.services.errors import ServiceError
from ops_console.tui import keys
from ops_console.tui.cmdline import CommandLine, parse_command
from ops_console.tui.header import ConsoleHeader
from ops_console.tui.help import HelpScreen
from ops_console.tui.messages import (
    ActionReport,
    ActionsDone,
    DatabaseTrouble,
    OrderResult,
    SimulatorStepped,
    SnapshotLoaded,
)
from ops_console.tui.panes import PANE_CLASSES, AlertsPane, BoardPane, LiveTable, PickingPane, UnassignedPane
from ops_console.tui.signin import SignInScreen

POLL_SECONDS = 1.0
FULL_RELOAD_SECONDS = 30.0  # a safety net: everything reloads now and then even without events
SIMULATOR_SECONDS = 3.0
MAX_BACKOFF_SECONDS = 10.0


def dialog_class(name: str) -> Any | None:
    """A dialog of tui/screens (built by the modal-screens work), or None while it does not exist."""
    try:
        module = importlib.import_module("ops_console.tui.screens")
    except ImportError:
        return None
    found = getattr(module, name, None)
    if found is not None:
        return found
    for sub in ("assign", "reason", "courier", "phone", "call", "handover", "detail", "confirm", "report",
                "staff_report", "shortage", "anomaly"):
        try:
            found = getattr(importlib.import_module(f"ops_console.tui.screens.{sub}"), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


class MainScreen(Screen[None]):
    """Header, the four panes, the command line and the key bar."""

    BINDINGS = keys.bindings()

    def __init__(self, ctx: AppContext, actor: Actor, database: str, window: int = pane_service.DEFAULT_WINDOW,
                 poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(id="main")
        self.ctx = ctx
        self.actor = actor
        self.database = database
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
        self._last_pane: LiveTable | None = None
        self._vocabulary: pane_service.Vocabulary | None = None
        self._store_filter: str | None = None
        self._keybar_text = ""

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        tz = self.ctx.settings.tz
        yield ConsoleHeader(self.ctx.settings, self.actor, self.database)
        with Vertical(id="panes"):
            yield UnassignedPane(tz)
            with Horizontal(id="lower"):
                yield PickingPane(tz)
                yield BoardPane(tz)
                yield AlertsPane(tz)
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
        self.header.tick(self.ctx.clock.now())
        self.update_keybar()
        self.set_interval(1.0, self.tick)
        self._arm(0)
        self._load_vocabulary()

    # -- live data ----------------------------------------------------------------------------------
    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(delay, 0.001), self._poll)

    def _poll(self) -> None:
        self._timer = None
        if self._loading:
            return
        if self.paused or self.app.screen is not self:
            self._arm(self.poll_seconds)  # skipped, not lost: the mark stays, the next poll catches up
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
        except Exception as exc:  # the console never dies on the database: show it and retry
            self.post_message(DatabaseTrouble(_first_line(exc)))

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
            self.header.set_snapshot(snapshot)
            self.header.tick(now)
        self.update_keybar()

    def on_database_trouble(self, message: DatabaseTrouble) -> None:
        self._loading = False
        self._again = False
        self._failures += 1
        self.header.error = message.error
        self.header.tick(self.ctx.clock.now())
        self.loads += 1
        self._arm(min(MAX_BACKOFF_SECONDS, self.poll_seconds * 2 ** min(self._failures, 4)))

    def tick(self) -> None:
        now = self.ctx.clock.now()
        self.header.paused = self.paused
        self.header.tick(now)
        if self.paused or self.app.screen is not self:
            return
        with self.app.batch_update():
            for pane in self.panes.values():
                if pane.loaded:
                    pane.tick(now)

    @work(thread=True, exclusive=True, group="vocabulary")
    def _load_vocabulary(self) -> None:
        try:
            self._vocabulary = pane_service.vocabulary(self.ctx)
        except Exception:  # completion is a convenience; the poll reports database trouble
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
            self.update_keybar()

    def update_keybar(self) -> None:
        pane = self.focused_pane()
        groups = keys.PANE_GROUPS.get(pane.pane_id, ())
        parts = []
        for k in keys.KEYS:
            if k.group not in groups or k.key in ("space",):
                continue
            if k.lifecycle and not any(role_allowed(LIFECYCLE[a], self.actor.role) for a in k.lifecycle):
                continue
            parts.append(f"[b]{k.shown}[/] {t(k.desc)}")
        parts.append(f"[b]?[/] {t('console.key.help')}")
        parts.append(f"[b]q[/] {t('console.key.quit')}")
        text = "  ".join(parts)
        if text != self._keybar_text:  # after every reload: repaint the bar only when it changed
            self._keybar_text = text
            self.query_one("#keybar", Static).update(text)

    def action_focus_pane(self, pane_id: str) -> None:
        self.panes[pane_id].focus()

    def action_next_pane(self) -> None:
        order = [cls.pane_id for cls in PANE_CLASSES]
        current = self.focused_pane().pane_id
        self.panes[order[(order.index(current) + 1) % len(order)]].focus()

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
            self._set_store_filter(None)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.header.paused = self.paused
        self.header.tick(self.ctx.clock.now())
        self.notify(t("console.paused_note" if self.paused else "console.resumed_note"))
        if not self.paused:
            self.refresh_now()

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
            self.header.tick(self.ctx.clock.now())
            self.update_keybar()
        self.app.title = t("console.app_title")

    def action_quit_console(self) -> None:
        from ops_console.tui.screens.confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen(t("console.quit_question")),
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

    # -- the command line ----------------------------------------------------------------------------
    def run_command(self, text: str) -> None:
        command = parse_command(text)
        if command is None:
            if text.strip():
                self.notify(t("console.cmd.unknown", text=text.strip()), severity="warning")
            return
        args = command.args
        if command.name == "store":
            self._set_store_filter(args[0] if args else None)
        elif command.name == "order" and args:
            self._open_order(args[0])
        elif command.name == "assign" and len(args) >= 2:
            self._assign_by_command(args[0], args[1])
        elif command.name == "lang" and args and args[0] in ("zh_CN", "en"):
            set_language(args[0])
            self.relabel()
        elif command.name == "help":
            self.action_help()
        elif command.name == "quit":
            self.action_quit_console()
        else:
            self.notify(t("console.cmd.usage"), severity="warning")

    def _set_store_filter(self, store_id: str | None) -> None:
        self._store_filter = store_id
        for pane in self.panes.values():
            pane.set_store_filter(store_id)
        if store_id:
            self.notify(t("console.store_filter_on", store=store_id))

    def _open_order(self, ref: str) -> None:
        try:
            order = pane_service.find_order(self.ctx, ref)
        except ServiceError as exc:
            self.notify(exc.message, severity="warning")
            return
        except Exception as exc:
            self.notify(t("console.db_error", error=_first_line(exc)), severity="error")
            return
        for pane in self.panes.values():
            if pane.pane_id != "alerts" and pane.goto(f"o:{order.id}"):
                pane.focus()
                break
        self._push_dialog("OrderDetailScreen", order.id)

    @work(thread=True, group="actions")
    def _assign_by_command(self, ref: str, store_id: str) -> None:
        report = ActionReport(t("action.assign"))
        try:
            order = pane_service.find_order(self.ctx, ref)
            out = perform(self.ctx, order.id, Action.ASSIGN, self.actor, expected_version=order.version,
                          store_id=store_id, method="manual")
            report.results.append(OrderResult(out.order_no, True, t("console.result.done", order=out.order_no,
                                                                    status=Ref(f"status.{out.to_status}"))))
        except ServiceError as exc:
            report.results.append(OrderResult(ref, False, exc.message))
        except Exception as exc:
            report.results.append(OrderResult(ref, False, t("console.db_error", error=_first_line(exc))))
        self.post_message(ActionsDone(report))

    # -- order actions -------------------------------------------------------------------------------
    def _rows(self) -> list[Any]:
        pane = self.focused_pane()
        if pane.pane_id == "alerts":
            self.notify(t("console.not_an_order"), severity="warning")
            return []
        rows = pane.targets()
        if not rows:
            self.notify(t("console.nothing_selected"), severity="warning")
        return rows

    def _may(self, action: Action) -> bool:
        if role_allowed(LIFECYCLE[action], self.actor.role):
            return True
        self.notify(t("lifecycle.role_refused", action=Ref(f"action.{action}"), role=Ref(f"role.{self.actor.role}")),
                    severity="warning")
        return False

    def _split(self, rows: list[Any], action: Action) -> tuple[list[Any], list[OrderResult]]:
        """Rows the action can apply to (by the status on screen), and the others, explained."""
        ok, refused = [], []
        for row in rows:
            if action in allowed_actions(Status(row.status), self.actor.role):
                ok.append(row)
            else:
                refused.append(OrderResult(row.order_no, False, t(
                    "console.cannot", order=row.order_no, action=Ref(f"action.{action}"),
                    status=Ref(f"status.{row.status}"))))
        return ok, refused

    def direct(self, action: Action, rows: list[Any] | None = None, **params: Any) -> None:
        """An action that needs no dialog: performed in a worker, each order with the version shown."""
        if not self._may(action):
            return
        rows = self._rows() if rows is None else rows
        if not rows:
            return
        ok, refused = self._split(rows, action)
        jobs = [(r.id, r.version, r.order_no, action, params) for r in ok]
        self._perform(t(f"action.{action}"), jobs, refused)

    @work(thread=True, group="actions")
    def _perform(self, title: str, jobs: list[tuple[int, int, str, Action, dict[str, Any]]],
                 refused: list[OrderResult]) -> None:
        report = ActionReport(title, list(refused))
        for order_id, version, order_no, action, params in jobs:
            try:
                out = perform(self.ctx, order_id, action, self.actor, expected_version=version, **params)
                text = t("console.result.done", order=out.order_no, status=Ref(f"status.{out.to_status}")) \
                    if out.to_status != out.from_status else t("console.result.marked", order=out.order_no,
                                                                action=Ref(f"action.{action}"))
                report.results.append(OrderResult(order_no, True, text))
            except ServiceError as exc:
                report.results.append(OrderResult(order_no, False, exc.message))
            except Exception as exc:  # database trouble: this order failed, say why, go on
                report.results.append(OrderResult(order_no, False, t("console.db_error", error=_first_line(exc))))
        self.post_message(ActionsDone(report))

    def on_actions_done(self, message: ActionsDone) -> None:
        report = message.report
        self.show_report(report)
        if any(r.ok for r in report.results):
            self.focused_pane().clear_tags()
        self.refresh_now()

    def show_report(self, report: ActionReport) -> None:
        results = report.results
        if not results:
            return
        failed = report.failed
        if len(results) == 1:
            text = results[0].message
        elif not failed:
            text = t("console.result.all", action=report.title, n=len(results))
        else:
            lines = [t("console.result.some", action=report.title, done=len(results) - len(failed),
                       total=len(results))]
            lines += [f"✓ {r.order_no}" if r.ok else f"✗ {r.message}" for r in results]
            text = "\n".join(lines)
        self.notify(text, severity="warning" if failed else "information", timeout=10 if failed else 5)

    def _push_dialog(self, name: str, *args: Any, callback: Callable[[Any], None] | None = None) -> None:
        cls = dialog_class(name)
        if cls is None:
            self.notify(t("console.not_available", what=name), severity="warning")
            return
        screen = cls(self.ctx, self.actor, *args)
        self.app.push_screen(screen, callback or self._after_dialog)

    def _after_dialog(self, result: Any) -> None:
        if result is not None:
            summary = getattr(result, "summary", None)
            if callable(summary):
                ok = getattr(result, "ok", True)
                self.notify(summary(), severity="information" if ok else "warning", timeout=5 if ok else 10)
                if getattr(result, "succeeded", None):
                    self.focused_pane().clear_tags()
            elif isinstance(result, str) and result:
                self.notify(result)
        self.refresh_now()

    def _dialog_for_rows(self, name: str, action: Action, *extra: Any) -> None:
        if not self._may(action):
            return
        rows = self._rows()
        if not rows:
            return
        ok, refused = self._split(rows, action)
        if refused:
            self.show_report(ActionReport(t(f"action.{action}"), refused))
        if ok:
            self._push_dialog(name, *extra, [r.id for r in ok])

    def _dialog_for_one(self, name: str, action: Action) -> None:
        if not self._may(action):
            return
        rows = self._rows()
        if not rows:
            return
        ok, refused = self._split(rows[:1], action)
        if refused:
            self.show_report(ActionReport(t(f"action.{action}"), refused))
            return
        self._push_dialog(name, ok[0].id)

    def action_open_detail(self) -> None:
        pane = self.focused_pane()
        row = pane.selected()
        if row is None:
            return
        order_id = getattr(row, "order_id", None) if pane.pane_id == "alerts" else row.id
        if order_id is None and getattr(row, "subject", ""):
            try:  # a reminder about one order names it as its subject
                order_id = pane_service.find_order(self.ctx, row.subject).id
            except Exception:
                order_id = None
        if order_id is None:
            self.notify(getattr(row, "subject", "") or t("console.no_order_for_alert"))
            return
        self._push_dialog("OrderDetailScreen", order_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if isinstance(event.data_table, LiveTable):
            event.stop()
            self.action_open_detail()

    def action_claim(self) -> None:
        rows = self._rows()
        if not rows:
            return
        jobs, refused = [], []
        for r in rows:
            action = Action.RELEASE if r.claimed_by == self.actor.id else Action.CLAIM
            if not role_allowed(LIFECYCLE[action], self.actor.role):
                refused.append(OrderResult(r.order_no, False, t("lifecycle.role_refused", action=Ref(f"action.{action}"),
                                                                role=Ref(f"role.{self.actor.role}"))))
                continue
            jobs.append((r.id, r.version, r.order_no, action, {}))
        self._perform(t("console.key.claim"), jobs, refused)

    def action_assign(self) -> None:
        self._dialog_for_rows("AssignScreen", Action.ASSIGN)

    def action_approve(self) -> None:
        self.direct(Action.APPROVE)

    def action_reject_or_cancel(self) -> None:
        rows = self._rows()
        if not rows:
            return
        action = Action.REJECT if all(r.status == "manual_review" for r in rows) else Action.CANCEL
        self._dialog_for_rows("ReasonScreen", action, action)

    def action_start_picking(self) -> None:
        self.direct(Action.START_PICKING)

    def action_finish_picking(self) -> None:
        self.direct(Action.FINISH_PICKING)

    def action_shortage(self) -> None:
        self._dialog_for_one("ShortageScreen", Action.REPORT_SHORTAGE)

    def action_dispatch(self) -> None:
        self._dialog_for_rows("CourierScreen", Action.DISPATCH)

    def action_escalate(self) -> None:
        self._dialog_for_rows("ReasonScreen", Action.ESCALATE, Action.ESCALATE)

    def action_undispatch(self) -> None:
        self._dialog_for_rows("ReasonScreen", Action.UNDISPATCH, Action.UNDISPATCH)

    def action_hand_over(self) -> None:
        self._dialog_for_one("HandOverScreen", Action.HAND_OVER)

    def action_call_outcome(self) -> None:
        rows = self._rows()
        if rows and all(r.status == "held" for r in rows):
            self.direct(Action.RELEASE_HOLD, rows)
            return
        self._dialog_for_one("CallOutcomeScreen", Action.CALL)

    def action_deliver(self) -> None:
        self.direct(Action.DELIVER)

    def action_refuse(self) -> None:
        self._dialog_for_rows("ReasonScreen", Action.REFUSE, Action.REFUSE)

    def action_fail(self) -> None:
        self._dialog_for_rows("ReasonScreen", Action.FAIL, Action.FAIL)

    def action_redispatch(self) -> None:
        self.direct(Action.REDISPATCH)

    def action_couriers(self) -> None:
        from ops_console.tui.duty import DutyScreen

        self.app.push_screen(DutyScreen(self.ctx, self.actor), lambda _changed: self.refresh_now(force=True))

    def action_phone_order(self) -> None:
        if not self._may(Action.RECEIVE):
            return
        self._push_dialog("PhoneOrderScreen")

    def action_staff_report(self) -> None:
        pane = self.focused_pane()
        row = pane.selected()
        order_id = (getattr(row, "order_id", None) if pane.pane_id == "alerts" else getattr(row, "id", None))
        if order_id is None:
            self.notify(t("console.nothing_selected"), severity="warning")
            return
        self._push_dialog("StaffReportScreen", order_id)

    # -- alerts --------------------------------------------------------------------------------------
    def action_alert(self, verb: str) -> None:
        pane = self.focused_pane()
        if pane.pane_id != "alerts":
            self.notify(t("console.alerts_only"), severity="warning")
            return
        rows = pane.targets()
        if not rows:
            self.notify(t("console.nothing_selected"), severity="warning")
            return
        calls: list[tuple[str, Callable[[], Any]]] = []
        for row in rows:
            fn = _alert_service(row.source, verb)
            if fn is None:
                self.notify(t("console.not_available", what=f"{row.source} {verb}"), severity="warning")
                return
            calls.append((_alert_name(row), partial(fn, self.ctx, row.id, self.actor)))
        self._alert_calls(t(f"console.key.{'acknowledge' if verb == 'acknowledge' else verb}"), calls)

    @work(thread=True, group="actions")
    def _alert_calls(self, title: str, calls: list[tuple[str, Callable[[], Any]]]) -> None:
        report = ActionReport(title)
        for name, call in calls:
            try:
                call()
                report.results.append(OrderResult(name, True, t("console.result.alert_done", alert=name, action=title)))
            except ServiceError as exc:
                report.results.append(OrderResult(name, False, exc.message))
            except Exception as exc:
                report.results.append(OrderResult(name, False, t("console.db_error", error=_first_line(exc))))
        self.post_message(ActionsDone(report))


def _alert_service(source: str, verb: str) -> Callable[..., Any] | None:
    module_name = "reminders" if source == "reminder" else "anomalies"
    if source == "reminder" and verb != "acknowledge":
        return None
    try:
        module = importlib.import_module(f"ops_console.services.{module_name}")
    except ImportError:
        return None
    fn = getattr(module, {"own": "take_ownership"}.get(verb, verb), None) or getattr(module, verb, None)
    return fn if callable(fn) else None


def _alert_name(row: Any) -> str:
    return row.order_no or f"#{row.id}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


class OpsConsoleApp(App[None]):
    """`OpsConsoleApp(ctx)` asks for sign-in; `OpsConsoleApp(ctx, actor=...)` opens the console at once."""

    CSS_PATH = "app.tcss"
    TITLE = "ops_console"

    def __init__(self, ctx: AppContext, *, actor: Actor | None = None, operator_id: str | None = None,
                 demo: bool = False, database: str | None = None, window: int = pane_service.DEFAULT_WINDOW,
                 poll_seconds: float = POLL_SECONDS, simulator: Any | None = None, scheduler: bool = True) -> None:
        super().__init__()
        self.ctx = ctx
        self.actor = actor
        self.operator_id = operator_id
        self.demo = demo
        self.database = database or database_label(str(ctx.engine.url.render_as_string(hide_password=True)))
        self.window = window
        self.poll_seconds = poll_seconds
        self.simulator = simulator
        self.main: MainScreen | None = None
        self.scheduler_enabled = scheduler  # the reminder checks on this loop; tests switch them off
        self.reminder_alerts: Any | None = None

    def on_mount(self) -> None:
        self.title = t("console.app_title")
        if self.scheduler_enabled:
            self._start_reminders()
        if self.actor is not None:
            self._open_main(self.actor)
        else:
            self.push_screen(SignInScreen(self.ctx, self.operator_id, self.database), self._signed_in)
        if self.demo:
            self._start_simulator()

    # -- reminders: the scheduler runs the checks on this loop (tui/reminders.py) -----------------------
    def _start_reminders(self) -> None:
        from ops_console.tui.reminders import ReminderAlerts

        self.reminder_alerts = ReminderAlerts(self)
        self.reminder_alerts.start()

    def on_unmount(self) -> None:
        if self.reminder_alerts is not None:
            self.reminder_alerts.stop()

    def _signed_in(self, actor: Actor | None) -> None:
        if actor is None:
            self.exit()
            return
        self.actor = actor
        self._open_main(actor)

    def _open_main(self, actor: Actor) -> None:
        self.main = MainScreen(self.ctx, actor, self.database, self.window, self.poll_seconds)
        self.push_screen(self.main)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        main = self.main
        if main is not None and screen is main:
            for k in keys.KEYS:
                if not k.palette:
                    continue
                if k.lifecycle and not any(role_allowed(LIFECYCLE[a], main.actor.role) for a in k.lifecycle):
                    continue
                yield SystemCommand(t(k.desc), t("console.palette.key", key=k.shown),
                                    partial(main.run_action, k.action))
        yield from super().get_system_commands(screen)

    # -- the demo simulator --------------------------------------------------------------------------
    def _start_simulator(self) -> None:
        if self.simulator is None:
            try:
                from ops_console.services.demo_sim import Simulator

                self.simulator = Simulator(self.ctx)
            except ServiceError as exc:
                self.notify(exc.message, severity="warning")
                return
            except Exception as exc:  # no simulator: the console still works on the data it has
                self.notify(t("console.simulator_unavailable", error=_first_line(exc)), severity="warning")
                return
        self.set_timer(SIMULATOR_SECONDS, self._simulate)

    def _simulate(self) -> None:
        self._simulator_step()

    @work(thread=True, exclusive=True, group="simulator")
    def _simulator_step(self) -> None:
        try:
            self.simulator.step()  # type: ignore[union-attr]
            self.post_message(SimulatorStepped())
        except Exception as exc:
            self.post_message(SimulatorStepped(_first_line(exc)))

    def on_simulator_stepped(self, message: SimulatorStepped) -> None:
        if message.error and self.main is not None:
            self.main.header.error = message.error
        self.set_timer(SIMULATOR_SECONDS, self._simulate)


def run_console(state: Any) -> None:
    """`ops-console` (and `--demo`): open the console on the configured database."""
    ctx: AppContext = state.ctx()
    settings = ctx.settings
    set_language(settings.ui.language)
    database = database_label(settings.database.url)
    app = OpsConsoleApp(ctx, operator_id=state.operator, demo=state.demo, database=database)
    app.run()
