"""`s` on a service request in pane 4 (customer service, supervisors): its next step, as the CLI's
`service confirm|contact|pickup|refund|exchange|decline|close` takes it. Only the steps the
request's type, status and the person's role allow are offered (domain.service_requests.
possible_steps); a refund asks how (online, or cash paid by a courier) and how much (empty: what
the customer paid). The call runs in a thread worker; a refusal is shown with the form kept."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.money import MoneyError, yuan_to_fen
from ops_console.domain.service_requests import (
    RefundMethod,
    RequestAction,
    RequestStatus,
    RequestType,
    possible_steps,
)
from ops_console.i18n import t
from ops_console.services import service_requests as request_service
from ops_console.services.context import Actor, AppContext
from ops_console.services.service_requests import RequestView
from ops_console.tui.screens.base import OpsModal, error_text, label

METHODS = (RefundMethod.ONLINE.value, RefundMethod.CASH.value)  # online first: the usual way back


class _Loaded(Message):
    def __init__(self, view: RequestView | None, steps: list[RequestAction], error: str = "") -> None:
        super().__init__()
        self.view, self.steps, self.error = view, steps, error


class _Done(Message):
    def __init__(self, text: str, ok: bool) -> None:
        super().__init__()
        self.text, self.ok = text, ok


class ServiceStepScreen(OpsModal):
    """`ServiceStepScreen(ctx, actor, request_id)`: dismisses with the text to show, or None."""

    title_key = "srstep.title"
    hint_key = "srstep.hint"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, ctx: AppContext, actor: Actor, request_id: int) -> None:
        super().__init__()
        self.ctx, self.actor, self.request_id = ctx, actor, request_id
        self.view: RequestView | None = None
        self.steps: list[RequestAction] = []
        self.busy = False

    def dialog_title(self) -> str:
        return t(self.title_key, id=self.request_id)

    def compose_body(self) -> ComposeResult:
        yield Static(t("alertdetail.loading"), id="request", classes="orders")
        yield Static(t("srstep.step"), classes="label")
        yield OptionList(id="steps")
        with Vertical(id="refund"):
            yield Static(t("srstep.method"), classes="label")
            yield OptionList(*(Option(label("service.refund_method", m), id=m) for m in METHODS), id="methods")
            yield Static(t("srstep.courier"), classes="label")
            yield Input(id="courier", placeholder="C07")
            yield Static(t("srstep.amount"), classes="label")
            yield Input(id="amount", placeholder=t("srstep.amount_placeholder"))
        yield Static(t("srstep.note"), classes="label")
        yield Input(id="note")

    def on_mount(self) -> None:
        self.query_one("#refund").display = False
        self.query_one("#methods", OptionList).highlighted = 0
        self.query_one("#steps").focus()
        self._load()

    @work(thread=True, group="service_step")
    def _load(self) -> None:
        try:
            view = request_service.get_request(self.ctx, self.request_id)
            steps = possible_steps(RequestType(view.type), RequestStatus(view.status), self.actor.role)
            self.post_message(_Loaded(view, steps))
        except Exception as exc:  # noqa: BLE001 — gone or the database: say so in the form
            self.post_message(_Loaded(None, [], error_text(exc)))

    def on__loaded(self, message: _Loaded) -> None:
        if message.view is None:
            self.show_message(message.error)
            return
        v = self.view = message.view
        self.steps = message.steps
        self.query_one("#request", Static).update(t(
            "srstep.request", type=label("service.type", v.type), status=label("service.status", v.status),
            order=f"{v.channel}:{v.order_no}", text=v.text))
        steps = self.query_one("#steps", OptionList)
        steps.add_options([Option(label("service.action", a.value), id=a.value) for a in self.steps])
        if self.steps:
            steps.highlighted = 0
        else:
            self.show_message(t("srstep.no_step", status=label("service.status", v.status)))

    def chosen(self) -> RequestAction | None:
        index = self.query_one("#steps", OptionList).highlighted
        return self.steps[index] if index is not None and index < len(self.steps) else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "steps":
            self.query_one("#refund").display = self.chosen() == RequestAction.REFUND

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "steps":
            self.query_one("#methods" if self.chosen() == RequestAction.REFUND else "#note").focus()
        elif event.option_list.id == "methods":
            cash = METHODS[event.option_list.highlighted or 0] == RefundMethod.CASH
            self.query_one("#courier" if cash else "#amount").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        nxt = {"courier": "#amount", "amount": "#note"}.get(event.input.id or "")
        if nxt is not None:
            self.query_one(nxt).focus()
            return
        self.submit()

    def submit(self) -> None:
        action = self.chosen()
        if self.busy or action is None:
            return
        params: dict[str, Any] = {"note": self.query_one("#note", Input).value.strip()}
        if action == RequestAction.REFUND:
            params["method"] = METHODS[self.query_one("#methods", OptionList).highlighted or 0]
            params["courier_id"] = self.query_one("#courier", Input).value.strip() or None
            amount = self.query_one("#amount", Input).value.strip()
            try:
                params["amount"] = yuan_to_fen(amount) if amount else None
            except MoneyError:
                self.show_message(t("srstep.bad_amount", value=amount))
                self.query_one("#amount").focus()
                return
        self.busy = True
        self._perform(action, params)

    @work(thread=True, group="service_step")
    def _perform(self, action: RequestAction, params: dict[str, Any]) -> None:
        try:
            extra = ""
            if action == RequestAction.REFUND:
                view = request_service.refund(self.ctx, self.request_id, params["method"], self.actor,
                                              courier_id=params["courier_id"], amount=params["amount"])
            elif action == RequestAction.EXCHANGE:
                view, new_order = request_service.exchange(self.ctx, self.request_id, self.actor)
                extra = " " + t("srstep.replacement", order=new_order)
            else:
                view = request_service.act(self.ctx, self.request_id, action, self.actor, params["note"] or None)
            self.post_message(_Done(t("srstep.done", id=view.id, action=label("service.action", action.value),
                                      status=label("service.status", view.status)) + extra, True))
        except Exception as exc:  # noqa: BLE001 — refused (role, status, amount) or the database: keep the form
            self.post_message(_Done(error_text(exc), False))

    def on__done(self, message: _Done) -> None:
        self.busy = False
        if message.ok:
            self.dismiss(message.text)
        else:
            self.show_message(message.text)
