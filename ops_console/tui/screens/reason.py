"""Cancel, reject, escalate, undispatch, refuse, fail: a reason code (from the lifecycle table) plus
free text — required for `other`, and for the actions without a code list (reject, undispatch)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.lifecycle import reasons_for
from ops_console.domain.types import Action, EscalationReason, Status
from ops_console.i18n import Ref, t
from ops_console.services.context import Actor, AppContext
from ops_console.services.order_view import OrderBrief
from ops_console.tui.screens.base import ActionDialog, InputProblem, label

REASON_ACTIONS = (Action.CANCEL, Action.REJECT, Action.ESCALATE, Action.UNDISPATCH, Action.REFUSE, Action.FAIL)


class ReasonScreen(ActionDialog):
    """`ReasonScreen(ctx, actor, action, order_ids)`: one of REASON_ACTIONS on every order."""

    hint_key = "screens.hint.reason"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, ctx: AppContext, actor: Actor, action: Action | str, order_ids: list[int]) -> None:
        super().__init__(ctx, actor, order_ids)
        self.action = Action(action)
        if self.action not in REASON_ACTIONS:
            raise ValueError(f"ReasonScreen does not take {self.action}")
        self.codes = reasons_for(self.action)

    def dialog_title(self) -> str:
        return t("screens.reason.title", action=Ref(f"action.{self.action}"))

    def compose_body(self) -> ComposeResult:
        yield Static("", id="orders", classes="orders")
        if self.codes:
            yield Static(t("screens.reason.code"), classes="label")
            yield OptionList(*(Option(label("reason", c), id=c) for c in self.codes), id="codes")
        yield Static(t("screens.reason.text_required" if not self.codes else "screens.reason.text"), classes="label")
        yield Input(id="text", placeholder=t("screens.reason.text_placeholder"))

    def on_mount(self) -> None:
        (self.query_one("#codes") if self.codes else self.query_one("#text")).focus()
        super().on_mount()

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        self.query_one("#orders", Static).update(self.orders_heading(briefs))
        if not self.codes:
            return
        codes = self.query_one("#codes", OptionList)
        if (self.action == Action.ESCALATE and briefs
                and all(b.status in (Status.ASSIGNED, Status.PICKING) for b in briefs)):
            # Before picking is done the only escalation is to the emergency team.
            codes.highlighted = self.codes.index(EscalationReason.STORE_CANNOT_SUPPLY.value)
        elif codes.highlighted is None:
            codes.highlighted = 0

    def refresh_orders(self, briefs: list[OrderBrief]) -> None:
        self.query_one("#orders", Static).update(self.orders_heading(briefs))

    def code(self) -> str | None:
        if not self.codes:
            return None
        codes = self.query_one("#codes", OptionList)
        return self.codes[codes.highlighted] if codes.highlighted is not None else None

    def text(self) -> str:
        return self.query_one("#text", Input).value.strip()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == "other" and not self.text():
            self.show_message(t("lifecycle.other_needs_text"))
            self.query_one("#text").focus()
            return
        self.confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.confirm()

    def check_inputs(self) -> None:
        if self.codes:
            code = self.code()
            if code is None:
                raise InputProblem(t("screens.reason.choose"), "codes")
            if code == "other" and not self.text():
                raise InputProblem(t("lifecycle.other_needs_text"), "text")
        elif not self.text():
            raise InputProblem(t("lifecycle.reason_required", action=Ref(f"action.{self.action}")), "text")

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.codes:
            params["reason"] = self.code()
        if self.text():
            params["reason_text"] = self.text()
        return params
