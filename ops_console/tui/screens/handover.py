"""Hand-over at the store: the courier has checked the items; the till receipt number and amount.

The emergency team bypasses the store till (DOMAIN step 7.4): nothing to fill in for it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from ops_console.domain.money import MoneyError, fen_to_yuan, yuan_to_fen
from ops_console.domain.types import Action, Tier
from ops_console.i18n import t
from ops_console.services.context import Actor, AppContext
from ops_console.services.order_view import OrderBrief
from ops_console.tui.screens.base import ActionDialog, InputProblem, yuan


class HandOverScreen(ActionDialog):
    """`HandOverScreen(ctx, actor, order_id)`."""

    action = Action.HAND_OVER
    title_key = "screens.handover.title"
    hint_key = "screens.hint.form"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, ctx: AppContext, actor: Actor, order_id: int) -> None:
        super().__init__(ctx, actor, [order_id])
        self.emergency = False
        self.due: int | None = None  # the order's amount: a till amount beyond the tolerance needs a reason

    def compose_body(self) -> ComposeResult:
        yield Static("", id="orders", classes="orders")
        yield Static("", id="note", classes="label")
        with Vertical(id="till"):
            yield Static(t("screens.handover.receipt"), classes="label")
            yield Input(id="receipt", placeholder=t("screens.handover.receipt_placeholder"))
            yield Static(t("screens.handover.amount"), classes="label")
            yield Input(id="amount", placeholder="0.00")
            yield Static(t("handover.cash_reason"), classes="label")
            yield Input(id="cash_reason", placeholder=t("handover.cash_reason_placeholder"))

    def on_mount(self) -> None:
        self.query_one("#receipt").focus()
        super().on_mount()

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        b = briefs[0]
        self.query_one("#orders", Static).update(self.orders_heading(briefs))
        self.emergency = b.tier == Tier.EMERGENCY
        self.due = b.amount
        self.query_one("#till").display = not self.emergency
        if self.emergency:
            self.set_focus(None)  # nothing to type: Enter confirms
        note = t("screens.handover.emergency") if self.emergency else t("screens.handover.order_amount",
                                                                            amount=yuan(b.amount))
        self.query_one("#note", Static).update(note)
        amount = self.query_one("#amount", Input)
        if not self.emergency and not amount.value:
            amount.value = fen_to_yuan(b.amount)  # the order's amount as it stands (a partial shortage lowers it)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "receipt" and not self.query_one("#amount", Input).value.strip():
            self.query_one("#amount").focus()
            return
        if event.input.id == "amount" and self.differs() and not self.reason():
            # Say why before the service refuses it (produce weighed at the till may pass without one).
            self.show_message(t("handover.differs", amount=yuan(self.amount()), due=yuan(self.due)), error=False)
            self.query_one("#cash_reason").focus()
            return
        self.confirm()

    def reason(self) -> str:
        return self.query_one("#cash_reason", Input).value.strip()

    def differs(self) -> bool:
        """The typed amount is off the order's by more than `cash.tolerance` (False when unreadable)."""
        try:
            amount = self.amount()
        except InputProblem:
            return False
        tolerance = self.ctx.settings.fen(self.ctx.settings.cash.tolerance)
        return self.due is not None and abs(amount - self.due) > tolerance

    def amount(self) -> int:
        text = self.query_one("#amount", Input).value.strip()
        if not text:
            raise InputProblem(t("screens.handover.amount_required"), "amount")
        try:
            fen = yuan_to_fen(text)
        except MoneyError:
            raise InputProblem(t("screens.handover.amount_invalid", value=text), "amount") from None
        if fen < 0:
            raise InputProblem(t("screens.handover.amount_invalid", value=text), "amount")
        return fen

    def check_inputs(self) -> None:
        if self.emergency:
            return
        if not self.query_one("#receipt", Input).value.strip():
            raise InputProblem(t("lifecycle.till_receipt_required"), "receipt")
        self.amount()

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        if self.emergency:
            return {}
        params: dict[str, Any] = {"till_receipt": self.query_one("#receipt", Input).value.strip(),
                                  "till_amount": self.amount()}
        if self.reason():
            params["cash_reason"] = self.reason()
        return params
