"""Report a shortage while picking: substitute, partial or wait, and a note for the store / customer."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.types import Action, ShortageResolution
from ops_console.i18n import t
from ops_console.services.context import Actor, AppContext
from ops_console.services.order_view import OrderBrief
from ops_console.tui.screens.base import ActionDialog, InputProblem, label


class ShortageScreen(ActionDialog):
    """`ShortageScreen(ctx, actor, order_id)`."""

    action = Action.REPORT_SHORTAGE
    title_key = "screens.shortage.title"
    hint_key = "screens.hint.reason"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]
    RESOLUTIONS = tuple(r.value for r in ShortageResolution)

    def __init__(self, ctx: AppContext, actor: Actor, order_id: int) -> None:
        super().__init__(ctx, actor, [order_id])

    def compose_body(self) -> ComposeResult:
        yield Static("", id="orders", classes="orders")
        yield Static(t("screens.shortage.resolution"), classes="label")
        yield OptionList(*(Option(self.describe(r), id=r) for r in self.RESOLUTIONS), id="resolutions")
        yield Static(t("screens.shortage.note"), classes="label")
        yield Input(id="note", placeholder=t("screens.shortage.note_placeholder"))

    @staticmethod
    def describe(resolution: str) -> str:
        return f"{label('screens.shortage', resolution)} — {t(f'screens.shortage.explain.{resolution}')}"

    def on_mount(self) -> None:
        self.query_one("#resolutions", OptionList).highlighted = 0
        self.query_one("#resolutions").focus()
        super().on_mount()

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        self.query_one("#orders", Static).update(self.orders_heading(briefs))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.confirm()

    def check_inputs(self) -> None:
        if self.query_one("#resolutions", OptionList).highlighted is None:
            raise InputProblem(t("screens.shortage.choose"), "resolutions")

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        index = self.query_one("#resolutions", OptionList).highlighted or 0
        params: dict[str, Any] = {"resolution": self.RESOLUTIONS[index]}
        note = self.query_one("#note", Input).value.strip()
        if note:
            params["note"] = note
        return params
