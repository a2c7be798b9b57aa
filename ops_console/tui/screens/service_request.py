"""`s` in the order detail: open a service request (return, exchange, refund, complaint) with the
customer's reason and a text; services.service_requests.open_request checks the role, the order's
status and the policy window, and its refusal is shown here with the form kept."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.service_requests import RequestType
from ops_console.domain.types import RefusalReason
from ops_console.i18n import t
from ops_console.services import service_requests as request_service
from ops_console.services.context import Actor, AppContext
from ops_console.tui.screens.base import OpsModal, error_text, label

TYPES = tuple(x.value for x in RequestType)
REASONS = tuple(x.value for x in RefusalReason)


class _Opened(Message):
    def __init__(self, text: str, ok: bool) -> None:
        super().__init__()
        self.text, self.ok = text, ok


class ServiceRequestScreen(OpsModal):
    """`ServiceRequestScreen(ctx, actor, order_id, order_no)`: dismisses with the text to show, or None."""

    title_key = "srform.title"
    hint_key = "screens.hint.reason"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, ctx: AppContext, actor: Actor, order_id: int, order_no: str = "") -> None:
        super().__init__()
        self.ctx, self.actor, self.order_id, self.order_no = ctx, actor, order_id, order_no
        self.busy = False

    def compose_body(self) -> ComposeResult:
        yield Static(t("staffreport.order", order=self.order_no) if self.order_no else "", classes="orders")
        yield Static(t("srform.type"), classes="label")
        yield OptionList(*(Option(label("service.type", k), id=k) for k in TYPES), id="types")
        yield Static(t("srform.reason"), classes="label")
        yield OptionList(*(Option(label("reason", r), id=r) for r in REASONS), id="reasons")
        yield Static(t("srform.text"), classes="label")
        yield Input(id="text", placeholder=t("srform.text_placeholder"))

    def on_mount(self) -> None:
        for list_id in ("#types", "#reasons"):
            self.query_one(list_id, OptionList).highlighted = 0
        self.query_one("#types").focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#reasons" if event.option_list.id == "types" else "#text").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy:
            return
        text = self.query_one("#text", Input).value.strip()
        if not text:
            self.show_message(t("alertform.text_required"))
            return
        kind = TYPES[self.query_one("#types", OptionList).highlighted or 0]
        reason = REASONS[self.query_one("#reasons", OptionList).highlighted or 0]
        self.busy = True
        self._open(kind, reason, text)

    @work(thread=True, group="service_request")
    def _open(self, kind: str, reason: str, text: str) -> None:
        try:
            view = request_service.open_request(self.ctx, self.order_id, kind, text, self.actor, reason=reason)
            due = view.deadline.astimezone(self.ctx.settings.tz).strftime("%m-%d %H:%M") if view.deadline else "—"
            self.post_message(_Opened(t("srform.done", id=view.id, order=view.order_no,
                                        type=label("service.type", view.type), due=due), True))
        except Exception as exc:  # noqa: BLE001 — refused (role, status, window) or the database: keep the form
            self.post_message(_Opened(error_text(exc), False))

    def on__opened(self, message: _Opened) -> None:
        self.busy = False
        if message.ok:
            self.dismiss(message.text)
        else:
            self.show_message(message.text)
