"""The courier's call before leaving: deliver now, an appointment (held in the store's locker until
then), a corrected address (re-matched: the same store keeps the delivery, another store sends the
order back to the unassigned queue), or unreachable (stays dispatched, try again)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.types import Action, CallOutcome
from ops_console.i18n import t
from ops_console.services.actions import perform
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import ServiceError
from ops_console.services.matching import auto_store
from ops_console.services.order_view import OrderBrief
from ops_console.services.phone_orders import parse_time_input
from ops_console.tui.screens.base import ActionDialog, InputProblem, OrderOutcome, done_message, label

OUTCOMES = [o.value for o in CallOutcome]


class CallOutcomeScreen(ActionDialog):
    """`CallOutcomeScreen(ctx, actor, order_id)`."""

    action = Action.CALL
    title_key = "screens.call.title"
    hint_key = "screens.hint.reason"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, ctx: AppContext, actor: Actor, order_id: int) -> None:
        super().__init__(ctx, actor, [order_id])

    def compose_body(self) -> ComposeResult:
        yield Static("", id="orders", classes="orders")
        yield OptionList(*(Option(label("screens.call", o), id=o) for o in OUTCOMES), id="outcomes")
        with Vertical(id="appointment-box"):
            yield Static(t("screens.call.appointment_time"), classes="label")
            yield Input(id="appointment", placeholder=t("screens.time_placeholder"))
        with Vertical(id="address-box"):
            yield Static(t("screens.call.new_address"), classes="label")
            yield Input(id="address")

    def on_mount(self) -> None:
        outcomes = self.query_one("#outcomes", OptionList)
        outcomes.highlighted = 0
        outcomes.focus()
        self.show_inputs()
        super().on_mount()

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        self.query_one("#orders", Static).update(self.orders_heading(briefs))
        address = self.query_one("#address", Input)
        if not address.value:
            address.value = briefs[0].address

    def outcome(self) -> str:
        index = self.query_one("#outcomes", OptionList).highlighted
        return OUTCOMES[index or 0]

    def show_inputs(self) -> None:
        outcome = self.outcome()
        self.query_one("#appointment-box").display = outcome == CallOutcome.APPOINTMENT
        self.query_one("#address-box").display = outcome == CallOutcome.ADDRESS_CORRECTED

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.show_inputs()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.show_inputs()
        outcome = self.outcome()
        if outcome == CallOutcome.APPOINTMENT:
            self.query_one("#appointment").focus()
        elif outcome == CallOutcome.ADDRESS_CORRECTED:
            self.query_one("#address").focus()
        else:
            self.confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.confirm()

    def appointment(self) -> Any:
        text = self.query_one("#appointment", Input).value.strip()
        if not text:
            raise InputProblem(t("lifecycle.appointment_required"), "appointment")
        try:
            when = parse_time_input(self.ctx, text)
        except ServiceError as exc:
            raise InputProblem(exc.message, "appointment") from None
        if when <= self.ctx.clock.now():
            raise InputProblem(t("screens.call.appointment_past"), "appointment")
        return when

    def check_inputs(self) -> None:
        outcome = self.outcome()
        if outcome == CallOutcome.APPOINTMENT:
            self.appointment()
        elif outcome == CallOutcome.ADDRESS_CORRECTED and not self.query_one("#address", Input).value.strip():
            raise InputProblem(t("lifecycle.address_required"), "address")

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        outcome = self.outcome()
        params: dict[str, Any] = {"outcome": outcome}
        if outcome == CallOutcome.APPOINTMENT:
            params["appointment_at"] = self.appointment()
        elif outcome == CallOutcome.ADDRESS_CORRECTED:
            params["address"] = self.query_one("#address", Input).value.strip()
        return params

    def perform_one(self, brief: OrderBrief, params: dict[str, Any]) -> OrderOutcome:
        if params["outcome"] == CallOutcome.ADDRESS_CORRECTED:
            # The new address decides the store (the matcher); another store sends it back to the queue.
            params = {**params, "store_id": auto_store(self.ctx, params["address"])}
        out = perform(self.ctx, brief.id, self.action, self.actor, expected_version=brief.version, **params)
        return OrderOutcome(out.order_no, True, done_message(out.order_no, self.action, out.to_status), out.order_id)
