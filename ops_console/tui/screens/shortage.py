"""Report a shortage while picking: which line is short, how much of it the store has, and the
resolution (substitute, partial or wait), with a note for the store / customer.

Keys: the line list (Enter) → the quantity available (Enter) → the resolution (Enter confirms).
`partial` bills only what goes out: the form shows the amount the order will have, and the
hand-over dialog later expects that amount from the till."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.lifecycle import RuleError
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.shortage import short_line
from ops_console.domain.types import Action, ShortageResolution
from ops_console.i18n import t
from ops_console.services.context import Actor, AppContext
from ops_console.services.order_view import LineView, OrderBrief, order_snapshot
from ops_console.tui.screens.base import ActionDialog, InputProblem, label


class ShortageScreen(ActionDialog):
    """`ShortageScreen(ctx, actor, order_id)`."""

    action = Action.REPORT_SHORTAGE
    title_key = "screens.shortage.title"
    hint_key = "shortage.hint"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]
    RESOLUTIONS = tuple(r.value for r in ShortageResolution)

    def __init__(self, ctx: AppContext, actor: Actor, order_id: int) -> None:
        super().__init__(ctx, actor, [order_id])
        self.lines: list[LineView] = []
        self.amount = 0

    def compose_body(self) -> ComposeResult:
        yield Static("", id="orders", classes="orders")
        yield Static(t("shortage.line"), classes="label")
        yield OptionList(id="lines")
        yield Static(t("shortage.available"), classes="label")
        yield Input(id="available", placeholder="0")
        yield Static(t("screens.shortage.resolution"), classes="label")
        yield OptionList(*(Option(self.describe(r), id=r) for r in self.RESOLUTIONS), id="resolutions")
        yield Static(t("shortage.substitute_sku"), classes="label")
        yield Input(id="substitute")
        yield Static(t("screens.shortage.note"), classes="label")
        yield Input(id="note", placeholder=t("screens.shortage.note_placeholder"))
        yield Static("", id="after", classes="label")

    @staticmethod
    def describe(resolution: str) -> str:
        return f"{label('screens.shortage', resolution)} — {t(f'screens.shortage.explain.{resolution}')}"

    def on_mount(self) -> None:
        self.query_one("#resolutions", OptionList).highlighted = 0
        self.query_one("#lines").focus()
        super().on_mount()

    def load_extra(self, briefs: list[OrderBrief]) -> list[LineView]:
        return list(order_snapshot(self.ctx, briefs[0].id).lines)

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        self.query_one("#orders", Static).update(self.orders_heading(briefs))
        self.lines = [li for li in (extra or []) if li.picked_qty is None]  # a line is reported short once
        self.amount = briefs[0].amount if briefs else 0
        lines = self.query_one("#lines", OptionList)
        lines.clear_options()
        lines.add_options([Option(t("shortage.line_item", line_no=li.line_no, name=li.name, spec=li.spec,
                                    qty=f"{li.qty:g}", unit=li.unit, amount=fen_to_yuan(li.amount)), id=str(li.line_no))
                           for li in self.lines])
        if self.lines:
            lines.highlighted = 0
        self.show_after()

    # ---- Enter moves down the form; on the resolution it confirms
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "lines":
            self.query_one("#available").focus()
            return
        self.confirm()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_after()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "available":
            self.show_after()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "available":
            self.query_one("#resolutions").focus()
            return
        self.confirm()

    def chosen_line(self) -> LineView | None:
        index = self.query_one("#lines", OptionList).highlighted
        return self.lines[index] if index is not None and 0 <= index < len(self.lines) else None

    def resolution(self) -> ShortageResolution:
        index = self.query_one("#resolutions", OptionList).highlighted or 0
        return ShortageResolution(self.RESOLUTIONS[index])

    def show_after(self) -> None:
        """The amount a partial shipment leaves, as the dialog is filled in (same rule as the service)."""
        after = self.query_one("#after", Static)
        line = self.chosen_line()
        if line is None or self.resolution() != ShortageResolution.PARTIAL:
            after.update("")
            return
        try:
            change = short_line(line_no=line.line_no, qty=line.qty, unit_price=line.unit_price, already_short=False,
                                available=self.query_one("#available", Input).value,
                                resolution=ShortageResolution.PARTIAL).amount_change
        except RuleError:
            after.update("")
            return
        after.update(t("shortage.amount_after", amount=fen_to_yuan(max(0, self.amount + change))))

    def check_inputs(self) -> None:
        line = self.chosen_line()
        if line is None:
            raise InputProblem(t("shortage.choose_line"), "lines")
        if self.query_one("#resolutions", OptionList).highlighted is None:
            raise InputProblem(t("screens.shortage.choose"), "resolutions")
        available = self.query_one("#available", Input).value.strip()
        if not available:
            raise InputProblem(t("shortage.available_required"), "available")
        try:
            short_line(line_no=line.line_no, qty=line.qty, unit_price=line.unit_price, already_short=False,
                       available=available, resolution=self.resolution())
        except RuleError as exc:
            raise InputProblem(t(exc.code, **exc.params), "available") from None

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        line = self.chosen_line()
        assert line is not None  # check_inputs ran first
        params: dict[str, Any] = {"resolution": self.resolution().value, "line_no": line.line_no,
                                  "available": self.query_one("#available", Input).value.strip()}
        substitute = self.query_one("#substitute", Input).value.strip()
        if substitute and self.resolution() == ShortageResolution.SUBSTITUTE:
            params["substitute_sku"] = substitute
        note = self.query_one("#note", Input).value.strip()
        if note:
            params["note"] = note
        return params
