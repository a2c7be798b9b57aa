"""Order and alert actions of the main screen: which rows, whether the role and the status allow it,
the dialog or the direct service call, and the one report of every order's outcome.

Every service call from the main screen goes through `run_calls`: a thread worker that calls each
in turn, turns a refusal or database trouble into that row's message, and posts one ActionsDone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work
from textual.timer import Timer

from ops_console.domain.lifecycle import LIFECYCLE, allowed_actions, role_allowed
from ops_console.domain.types import Action, OrderKind, Status
from ops_console.i18n import Ref, t
from ops_console.services import panes as pane_service
from ops_console.services import reminders as reminder_service
from ops_console.services import undo as undo_service
from ops_console.services.actions import perform
from ops_console.services.errors import ServiceError
from ops_console.services.lifecycle import Outcome
from ops_console.services.panes import SERVICE_REQUEST
from ops_console.tui import dialogs
from ops_console.tui.keys import UNDO_SECONDS
from ops_console.tui.live import LiveRefresh
from ops_console.tui.messages import (
    ActionReport,
    ActionsDone,
    OrderLookedUp,
    OrderResult,
    UndoOffer,
    first_line,
)
from ops_console.tui.panes.cells import label
from ops_console.tui.screens.alert_detail import FeedKey

if TYPE_CHECKING:
    from ops_console.services.context import Actor, AppContext
    from ops_console.tui.panes import LiveTable

# One call of a report: the name shown for its row (order number, alert) and the call, which returns
# the text shown when it succeeds.
Call = tuple[str, Callable[[], str]]

# One-key actions the toast offers to undo (when taken on one order); the others of the kind "cannot be
# taken back in one key" ask first (ConfirmScreen): acknowledge, and any direct action on several orders.
UNDOABLE_KEYS = frozenset({Action.DELIVER})

# Alert verbs by source: reminders can only be acknowledged; the anomalies service registers its own.
ALERT_CALLS: dict[tuple[str, str], Callable[..., Any]] = {
    ("reminder", "acknowledge"): reminder_service.acknowledge,
}


# Verbs whose call needs more than the alert (a deadline, a reason, a resolution): the form that asks
# for the keyword arguments first (a dialog name whose class takes (verb, names, now, tz, ask_informed)).
ALERT_FORMS: dict[tuple[str, str], str] = {}


def register_alert_call(source: str, verb: str, fn: Callable[..., Any], form: str | None = None) -> None:
    """`fn(ctx, alert_id, actor, **params)` does `verb` (acknowledge, own, silence, resolve) on a `source`
    row; with `form`, that dialog collects `params` once for all the rows."""
    ALERT_CALLS[(source, verb)] = fn
    if form is not None:
        ALERT_FORMS[(source, verb)] = form


def status_label(status: str) -> str:
    """A status as the panes show it: the short label where the catalog has one, else the full name."""
    short = label("console.short_status", status)
    return short if short != status else t(f"status.{status}")


def refusal_text(order_no: str, status: str, action: Action) -> str:
    """Why the action does not apply, in the UI's own labels, and which statuses it does apply to."""
    allowed = sorted(LIFECYCLE[action].sources, key=lambda s: list(Status).index(s))
    return t("console.cannot", order=order_no, action=t(f"action.{action}"), status=status_label(status),
             allowed=" / ".join(status_label(s.value) for s in allowed))


def outcome_text(out: Outcome, action: Action) -> str:
    if out.to_status != out.from_status:
        return t("console.result.done", order=out.order_no, status=Ref(f"status.{out.to_status}"))
    return t("console.result.marked", order=out.order_no, action=Ref(f"action.{action}"))


class OrderActions(LiveRefresh):
    """The main screen's second layer: the order and alert keys."""

    actor: Actor

    # -- the shared call-and-report helper -------------------------------------------------------------
    _undo: list[UndoOffer] | None = None
    _undo_timer: Timer | None = None

    @work(thread=True, group="actions")
    def run_calls(self, title: str, calls: Sequence[Call], refused: Sequence[OrderResult] = (),
                  offers: list[UndoOffer] | None = None) -> None:
        """Each call in turn; `offers` is filled by the calls that may be undone (see order_call)."""
        report = ActionReport(title, list(refused))
        for name, call in calls:
            try:
                report.results.append(OrderResult(name, True, call()))
            except ServiceError as exc:
                report.results.append(OrderResult(name, False, exc.message))
            except Exception as exc:  # noqa: BLE001 — database trouble: this row failed, say why, go on
                report.results.append(OrderResult(name, False, t("console.db_error", error=first_line(exc))))
        report.offers = list(offers or ())
        self.post_message(ActionsDone(report))

    def order_call(self, order_id: int, version: int | None, action: Action, *,
                   offers: list[UndoOffer] | None = None, **params: Any) -> Callable[[], str]:
        def call() -> str:
            out = perform(self.ctx, order_id, action, self.actor, expected_version=version, **params)
            if offers is not None:
                offers.append(UndoOffer(out.order_id, out.order_no, str(action), out.version))
            return outcome_text(out, action)
        return call

    def on_actions_done(self, message: ActionsDone) -> None:
        report = message.report
        if report.offers:
            self._offer_undo(report.offers)
            ok = report.results[0].message if len(report.results) == 1 else t(
                "console.result.all", action=report.title, n=len(report.results))
            self.notify(ok + "\n" + t("console.undo.offer", seconds=int(UNDO_SECONDS)), timeout=UNDO_SECONDS)
        else:
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
        self.notify(text, severity="warning" if failed else "information",
                    timeout=10 if failed else 5)

    # -- undo ------------------------------------------------------------------------------------------
    def _offer_undo(self, offers: list[UndoOffer]) -> None:
        if self._undo_timer is not None:
            self._undo_timer.stop()
        self._undo = offers
        self._undo_timer = self.set_timer(UNDO_SECONDS, self._undo_expired)

    def _undo_expired(self) -> None:
        self._undo = None
        self._undo_timer = None

    def action_undo(self) -> None:
        offers = self._undo
        if not offers:
            self._warn(t("console.undo.nothing"))
            return
        if self._undo_timer is not None:
            self._undo_timer.stop()
        self._undo_expired()
        calls: list[Call] = [(o.order_no, partial(_undo_call, self.ctx, o, self.actor)) for o in offers]
        self.run_calls(t("console.key.undo"), calls)

    def confirm_then(self, question: str, then: Callable[[], object]) -> None:
        """Ask first (Enter / y yes, Esc / n no); `then` runs on yes."""
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(dialogs.DIALOGS[dialogs.CONFIRM](question), answered)

    # -- which rows, may the role, may the status ------------------------------------------------------
    def focused_pane(self) -> LiveTable:
        raise NotImplementedError

    def _warn(self, text: str) -> None:
        self.notify(text, severity="warning")

    def _rows(self) -> list[Any]:
        pane = self.focused_pane()
        if pane.pane_id == "alerts":
            self._warn(t("console.not_an_order"))
            return []
        rows = pane.targets()
        if not rows:
            self._warn(t("console.nothing_selected"))
        elif not pane.tagged:  # the cursor's order: once the action moves it, the cursor stays in place
            pane.let_go(pane.current_key())
        return rows

    def _may(self, action: Action) -> bool:
        if role_allowed(LIFECYCLE[action], self.actor.role):
            return True
        self._warn(t("lifecycle.role_refused", action=Ref(f"action.{action}"), role=Ref(f"role.{self.actor.role}")))
        return False

    def _split(self, rows: list[Any], action: Action) -> tuple[list[Any], list[OrderResult]]:
        """Rows the action can apply to (by the status on screen), and the others, explained."""
        ok, refused = [], []
        for row in rows:
            if action in allowed_actions(Status(row.status), self.actor.role):
                ok.append(row)
            else:
                refused.append(OrderResult(row.order_no, False, refusal_text(row.order_no, row.status, action)))
        return ok, refused

    def direct(self, action: Action, rows: list[Any] | None = None, **params: Any) -> None:
        """An action that needs no dialog: performed in a worker, each order with the version shown."""
        if not self._may(action):
            return
        rows = self._rows() if rows is None else rows
        if not rows:
            return
        ok, refused = self._split(rows, action)
        offers: list[UndoOffer] | None = [] if action in UNDOABLE_KEYS and len(ok) == 1 else None
        calls = [(r.order_no, self.order_call(r.id, r.version, action, offers=offers, **params)) for r in ok]
        title = t(f"action.{action}")
        if len(ok) > 1:  # several orders at once cannot be taken back in one key: ask first
            self.show_report(ActionReport(title, refused))
            self.confirm_then(t("console.confirm.bulk", action=title, n=len(ok)),
                              lambda: self.run_calls(title, calls))
            return
        self.run_calls(title, calls, refused, offers)

    # -- dialogs ---------------------------------------------------------------------------------------
    def push_dialog(self, name: str, *args: Any, callback: Callable[[Any], None] | None = None) -> None:
        cls = dialogs.dialog_class(name)
        if cls is None:
            self._warn(t("console.not_available", what=name))
            return
        self.app.push_screen(cls(self.ctx, self.actor, *args), callback or self._after_dialog)

    def _after_dialog(self, result: Any) -> None:
        if isinstance(result, FeedKey):  # a feed key pressed in an alert's detail: the feed runs it
            self.call_later(self.run_action, result.action)
            return
        if result is not None:
            summary = getattr(result, "summary", None)
            if callable(summary):
                ok = getattr(result, "ok", True)
                self.notify(summary(), severity="information" if ok else "warning",
                            timeout=5 if ok else 10)
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
            self.push_dialog(name, *extra, [r.id for r in ok])

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
        self.push_dialog(name, ok[0].id)

    # -- the detail: an alert names its order by subject, looked up off the UI thread -----------------
    def action_open_detail(self) -> None:
        pane = self.focused_pane()
        row = pane.selected()
        if row is None:
            return
        order_id = getattr(row, "order_id", None) if pane.pane_id == "alerts" else row.id
        if order_id is not None:
            self.push_dialog(dialogs.DETAIL, order_id)
        elif getattr(row, "source", None) == "anomaly":
            self.push_dialog(dialogs.ALERT_DETAIL, row.id)  # about a store or a courier: the alert itself
        elif getattr(row, "subject", ""):
            self.look_up_order(row.subject, "detail", row.subject)
        else:
            self.notify(t("console.no_order_for_alert"))

    @work(thread=True, group="lookup")
    def look_up_order(self, ref: str, purpose: str, fallback: str | None = None) -> None:
        """`purpose` says what the screen does with it (on_order_looked_up); `fallback` replaces the error."""
        try:
            order_id: int | None = pane_service.find_order(self.ctx, ref).id
            error = None
        except ServiceError as exc:
            order_id, error = None, fallback or exc.message
        except Exception as exc:  # noqa: BLE001 — database trouble: say so
            order_id, error = None, fallback or t("console.db_error", error=first_line(exc))
        self.post_message(OrderLookedUp(purpose, order_id, error))

    def on_order_looked_up(self, message: OrderLookedUp) -> None:
        if message.order_id is None:
            self._warn(message.error or t("console.no_order_for_alert"))
            return
        if message.purpose == "goto":
            for pane in self.panes_in_order():
                if pane.pane_id != "alerts" and pane.goto(f"o:{message.order_id}"):
                    pane.focus()
                    break
        self.push_dialog(dialogs.DETAIL, message.order_id)

    def panes_in_order(self) -> list[LiveTable]:
        return list(self.panes.values())

    # -- the order keys --------------------------------------------------------------------------------
    def action_claim(self) -> None:
        rows = self._rows()
        if not rows:
            return
        calls: list[Call] = []
        refused: list[OrderResult] = []
        for r in rows:
            action = Action.RELEASE if r.claimed_by == self.actor.id else Action.CLAIM
            if not role_allowed(LIFECYCLE[action], self.actor.role):
                refused.append(OrderResult(r.order_no, False, t("lifecycle.role_refused", action=Ref(f"action.{action}"),
                                                                role=Ref(f"role.{self.actor.role}"))))
                continue
            calls.append((r.order_no, self.order_call(r.id, r.version, action)))
        self.run_calls(t("console.key.claim"), calls, refused)

    def action_assign(self) -> None:
        self._dialog_for_rows(dialogs.ASSIGN, Action.ASSIGN)

    def action_approve(self) -> None:
        if self.focused_pane().pane_id == "alerts":  # y on a held store order's alert: verified
            self._store_order_alert("verify")
            return
        self.direct(Action.APPROVE)

    def action_reject_or_cancel(self) -> None:
        if self.focused_pane().pane_id == "alerts":  # x on a held store order's alert: cancelled
            self._store_order_alert("cancel_hold")
            return
        rows = self._rows()
        if not rows:
            return
        action = Action.REJECT if all(r.status == "manual_review" for r in rows) else Action.CANCEL
        self._dialog_for_rows(dialogs.REASON, action, action)

    def action_start_picking(self) -> None:
        self.direct(Action.START_PICKING)

    def action_finish_picking(self) -> None:
        self.direct(Action.FINISH_PICKING)

    def action_shortage(self) -> None:
        if self.focused_pane().pane_id == "alerts":  # s on a service request: its next step
            self._service_step()
            return
        self._dialog_for_one(dialogs.SHORTAGE, Action.REPORT_SHORTAGE)

    def action_dispatch(self) -> None:
        self._dialog_for_rows(dialogs.COURIER, Action.DISPATCH)

    def action_escalate(self) -> None:
        self._dialog_for_rows(dialogs.REASON, Action.ESCALATE, Action.ESCALATE)

    def action_undispatch(self) -> None:
        self._dialog_for_rows(dialogs.REASON, Action.UNDISPATCH, Action.UNDISPATCH)

    def action_hand_over(self) -> None:
        self._dialog_for_one(dialogs.HAND_OVER, Action.HAND_OVER)

    def action_call_outcome(self) -> None:
        rows = self._rows()
        if rows and all(r.status == "held" for r in rows):
            self.direct(Action.RELEASE_HOLD, rows)
            return
        self._dialog_for_one(dialogs.CALL_OUTCOME, Action.CALL)

    def action_deliver(self) -> None:
        self.direct(Action.DELIVER)

    def action_refuse(self) -> None:
        self._dialog_for_rows(dialogs.REASON, Action.REFUSE, Action.REFUSE)

    def action_fail(self) -> None:
        self._dialog_for_rows(dialogs.REASON, Action.FAIL, Action.FAIL)

    def action_redispatch(self) -> None:
        self.direct(Action.REDISPATCH)

    def action_couriers(self) -> None:
        from ops_console.tui.duty import DutyScreen

        self.app.push_screen(DutyScreen(self.ctx, self.actor), lambda _changed: self.refresh_now(force=True))

    def action_phone_order(self) -> None:
        if not self._may(Action.RECEIVE):
            return
        self.push_dialog(dialogs.PHONE_ORDER)

    def action_staff_report(self) -> None:
        pane = self.focused_pane()
        row = pane.selected()
        order_id = (getattr(row, "order_id", None) if pane.pane_id == "alerts" else getattr(row, "id", None))
        if order_id is None:
            self._warn(t("console.nothing_selected"))
            return
        self.push_dialog(dialogs.STAFF_REPORT, order_id)

    # -- alerts ----------------------------------------------------------------------------------------
    def _service_step(self) -> None:
        row = self.focused_pane().selected()
        if row is None or getattr(row, "source", None) != SERVICE_REQUEST:
            self._warn(t("console.not_service_request"))
            return
        self.push_dialog(dialogs.SERVICE_STEP, row.id)

    def _store_order_alert(self, verb: str) -> None:
        """y / x in pane 4 act on the store (replenishment) order an anomaly is about, nothing else."""
        rows = self.focused_pane().targets()
        other = next((r for r in rows if r.source != "anomaly" or r.order_kind != OrderKind.REPLENISHMENT), None)
        if other is not None:
            self._warn(t("console.not_store_order", what=other.order_no or f"#{other.id}"))
            return
        self.action_alert(verb)

    def action_alert(self, verb: str) -> None:
        pane = self.focused_pane()
        if pane.pane_id != "alerts":
            self._warn(t("console.alerts_only"))
            return
        rows = pane.targets()
        if not rows:
            self._warn(t("console.nothing_selected"))
            return
        title = t(f"console.key.{verb}")
        for row in rows:
            if (row.source, verb) not in ALERT_CALLS:
                self._warn(t("alertform.only_anomalies", verb=title) if row.source == "reminder"
                           else t("console.not_available", what=f"{row.source} {verb}"))
                return
        form = ALERT_FORMS.get((rows[0].source, verb))
        if form is not None and all(ALERT_FORMS.get((r.source, verb)) == form for r in rows):
            cls = dialogs.dialog_class(form)
            if cls is not None:
                names = [r.order_no or f"#{r.id}" for r in rows]
                self.app.push_screen(
                    cls(verb, names, self.ctx.clock.now(), self.ctx.settings.tz, any(r.order_id for r in rows)),
                    lambda params: self._alert_calls(verb, title, rows, params) if params is not None else None)
                return
        self._alert_calls(verb, title, rows, {})

    def _alert_calls(self, verb: str, title: str, rows: list[Any], params: dict[str, Any]) -> None:
        calls: list[Call] = []
        for row in rows:
            fn = ALERT_CALLS[(row.source, verb)]
            name = row.order_no or f"#{row.id}"
            calls.append((name, partial(_alert_call, fn, self.ctx, row.id, self.actor,
                                        t("console.result.alert_done", alert=name, action=title), params)))
        if params:  # the form was the deliberate step: no second question
            self.run_calls(title, calls)
            return
        if verb == "acknowledge" or len(calls) > 1:  # cannot be taken back in one key: ask first
            names = ", ".join(name for name, _ in calls[:3]) + ("…" if len(calls) > 3 else "")
            self.confirm_then(t("console.confirm.alerts", action=title, what=names, n=len(calls)),
                              lambda: self.run_calls(title, calls))
            return
        self.run_calls(title, calls)


def _undo_call(ctx: AppContext, offer: UndoOffer, actor: Actor) -> str:
    done = undo_service.undo(ctx, offer.order_id, Action(offer.action), actor, expected_version=offer.version)
    return t("console.undo.done", order=done.order_no, status=Ref(f"status.{done.to_status}"))


def _alert_call(fn: Callable[..., Any], ctx: AppContext, alert_id: int, actor: Actor, done: str,
                params: dict[str, Any] | None = None) -> str:
    fn(ctx, alert_id, actor, **(params or {}))
    return done
