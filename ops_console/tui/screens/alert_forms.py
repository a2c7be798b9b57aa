"""The anomaly dialogs of pane 4 and `!`: what an alert verb needs typed (owner's deadline, silence
until + reason, resolution text + customer informed) and the staff report on an order.

AlertFormScreen only collects: it dismisses with the verb's keyword arguments (or None on Esc) and
the main screen runs the calls through its one call-and-report worker. StaffReportScreen makes its
one service call itself, in a thread worker, and dismisses with the text to show.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.anomaly.inspection import STAFF_REPORT_KINDS
from ops_console.i18n import t
from ops_console.services import anomalies as anomaly_service
from ops_console.services import order_view
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import ServiceError
from ops_console.tui.screens.base import InputProblem, OpsModal, error_text

SILENCE_DEFAULT_MINUTES = 30  # what `m` offers when nothing is typed: one half-hour of quiet
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_SPAN = re.compile(r"^(\d{1,4})\s*([mh]?)$", re.IGNORECASE)


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """`45` / `45m` minutes, `2h` hours from now, or `HH:MM` local (tomorrow when already past);
    None for an empty text. Raises ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    span = _SPAN.match(text)
    if span:
        n = int(span.group(1))
        delta = timedelta(hours=n) if span.group(2).lower() == "h" else timedelta(minutes=n)
        if n <= 0:
            raise ValueError(text)
        return now + delta
    clock = _CLOCK.match(text)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(text)
        local = now.astimezone(tz)
        when = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if when <= local:
            when += timedelta(days=1)
        return when.astimezone(now.tzinfo)
    raise ValueError(text)


class AlertFormScreen(OpsModal):
    """`AlertFormScreen(verb, names, now, tz, ask_informed)`: own / silence / resolve, and verify /
    cancel_hold of a held store order; dismisses with the keyword arguments of the service call."""

    hint_key = "alertform.hint"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]
    VERBS = ("own", "silence", "resolve", "verify", "cancel_hold")

    def __init__(self, verb: str, names: list[str], now: datetime, tz: tzinfo, ask_informed: bool) -> None:
        super().__init__()
        if verb not in self.VERBS:
            raise ValueError(verb)
        self.verb, self.names, self.now, self.tz, self.ask_informed = verb, names, now, tz, ask_informed

    def dialog_title(self) -> str:
        return t(f"alertform.title.{self.verb}", what=", ".join(self.names[:3]) + ("…" if len(self.names) > 3 else ""))

    def compose_body(self) -> ComposeResult:
        if self.verb == "own":
            yield Static(t("alertform.deadline"), classes="label")
            yield Input(id="when", placeholder=t("alertform.when_placeholder"))
        elif self.verb == "silence":
            yield Static(t("alertform.until", minutes=SILENCE_DEFAULT_MINUTES), classes="label")
            yield Input(id="when", placeholder=t("alertform.when_placeholder"))
            yield Static(t("alertform.reason"), classes="label")
            yield Input(id="text")
        elif self.verb in ("verify", "cancel_hold"):  # a held store order: what the store said
            yield Static(t("alertform.verify_note" if self.verb == "verify" else "alertform.cancel_reason"),
                         classes="label")
            yield Input(id="text")
        else:
            yield Static(t("alertform.resolution"), classes="label")
            yield Input(id="text")
            if self.ask_informed:
                yield Static(t("alertform.informed"), classes="label")
                yield OptionList(Option(t("alertform.informed_yes"), id="yes"),
                                 Option(t("alertform.informed_no"), id="no"), id="informed")

    def on_mount(self) -> None:
        self.query_one("#when" if self.verb in ("own", "silence") else "#text").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        following = {"when": "#text"} if self.verb == "silence" else {}
        if self.verb == "resolve" and self.ask_informed:
            following["text"] = "#informed"
        nxt = following.get(event.input.id or "")
        if nxt is not None:
            self.query_one(nxt).focus()
            return
        self.submit()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.submit()

    def params(self) -> dict[str, Any]:
        """The call's keyword arguments; InputProblem names the field that is wrong."""
        out: dict[str, Any] = {}
        if self.verb in ("own", "silence"):
            raw = self.query_one("#when", Input).value
            try:
                when = parse_when(raw, self.now, self.tz)
            except ValueError:
                raise InputProblem(t("alertform.bad_when", value=raw.strip()), "when") from None
            if self.verb == "own":
                out["deadline"] = when
            else:
                out["until"] = when or self.now + timedelta(minutes=SILENCE_DEFAULT_MINUTES)
        if self.verb in ("silence", "resolve"):
            text = self.query_one("#text", Input).value.strip()
            if not text:
                raise InputProblem(t("alertform.text_required"), "text")
            out["reason" if self.verb == "silence" else "text"] = text
        if self.verb == "verify":
            out["note"] = self.query_one("#text", Input).value.strip()
        if self.verb == "cancel_hold":
            text = self.query_one("#text", Input).value.strip()
            if not text:
                raise InputProblem(t("alertform.text_required"), "text")
            out["reason"] = text
        if self.verb == "resolve" and self.ask_informed:
            informed = self.query_one("#informed", OptionList).highlighted
            if informed is None:
                raise InputProblem(t("alertform.informed_required"), "informed")
            out["informed"] = informed == 0
        return out

    def submit(self) -> None:
        try:
            params = self.params()
        except InputProblem as problem:
            self.show_message(problem.message)
            if problem.widget_id:
                self.query_one(f"#{problem.widget_id}").focus()
            return
        self.dismiss(params)


class _Reported(Message):
    def __init__(self, text: str, ok: bool) -> None:
        super().__init__()
        self.text, self.ok = text, ok


class StaffReportScreen(OpsModal):
    """`StaffReportScreen(ctx, actor, order_id)`: `!` — flag the order abnormal with a kind and a text.
    Dismisses with the text to show (the alert raised) or None on Esc."""

    hint_key = "screens.hint.reason"
    title_key = "staffreport.title"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, ctx: AppContext, actor: Actor, order_id: int) -> None:
        super().__init__()
        self.ctx, self.actor, self.order_id = ctx, actor, order_id
        self.busy = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="orders", classes="orders")
        yield Static(t("staffreport.kind"), classes="label")
        yield OptionList(*(Option(t(f"staffreport.kind.{k}"), id=k) for k in STAFF_REPORT_KINDS), id="kinds")
        yield Static(t("staffreport.text"), classes="label")
        yield Input(id="text", placeholder=t("staffreport.text_placeholder"))

    def on_mount(self) -> None:
        kinds = self.query_one("#kinds", OptionList)
        kinds.highlighted = 0
        kinds.focus()
        self._heading()

    @work(thread=True, group="staff_report_heading")
    def _heading(self) -> None:
        try:
            briefs, _ = order_view.order_briefs(self.ctx, [self.order_id])
            text = t("staffreport.order", order=briefs[0].order_no) if briefs else ""
        except Exception:  # noqa: BLE001 — the heading is a courtesy; the report itself says what failed
            text = ""
        self.app.call_from_thread(self.query_one("#orders", Static).update, text)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#text").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def submit(self) -> None:
        if self.busy:
            return
        kinds = self.query_one("#kinds", OptionList)
        text = self.query_one("#text", Input).value.strip()
        if kinds.highlighted is None:
            self.show_message(t("staffreport.choose_kind"))
            kinds.focus()
            return
        if not text:
            self.show_message(t("alertform.text_required"))
            self.query_one("#text").focus()
            return
        self.busy = True
        self._report(STAFF_REPORT_KINDS[kinds.highlighted], text)

    @work(thread=True, group="staff_report")
    def _report(self, kind: str, text: str) -> None:
        try:
            alert = anomaly_service.report(self.ctx, str(self.order_id), text, self.actor, kind=kind)
            self.post_message(_Reported(t("staffreport.done", order=alert.order_no or "", id=alert.id), True))
        except ServiceError as exc:
            self.post_message(_Reported(exc.message, False))
        except Exception as exc:  # noqa: BLE001 — database trouble: keep the dialog and its text, say why
            self.post_message(_Reported(error_text(exc), False))

    def on__reported(self, message: _Reported) -> None:
        self.busy = False
        if message.ok:
            self.dismiss(message.text)
        else:
            self.show_message(message.text)
