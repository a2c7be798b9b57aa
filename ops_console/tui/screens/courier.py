"""Dispatch: couriers of the order's current tier, the best one preselected; Enter confirms.

Listed (services.couriers.courier_choices): on duty; the order's store's own couriers first;
fewest active deliveries first. Preselected: the courier proposal (services.dispatch), which skips
couriers at capacity and prefers the longest idle.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.types import Action
from ops_console.i18n import Ref, t
from ops_console.services.courier_load import proposal_for_order
from ops_console.services.couriers import CourierView, courier_choices
from ops_console.services.order_view import OrderBrief
from ops_console.tui.screens.base import ActionDialog, InputProblem


class CourierScreen(ActionDialog):
    """`CourierScreen(ctx, actor, order_ids)`: dispatch every order to the chosen courier."""

    action = Action.DISPATCH
    title_key = "screens.courier.title"
    hint_key = "screens.hint.choose"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.couriers: list[CourierView] = []
        self.tier: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="orders", classes="orders")
        yield Static("", id="tier", classes="label")
        yield OptionList(id="couriers")

    def on_mount(self) -> None:
        self.query_one("#couriers").focus()
        super().on_mount()

    def load_extra(self, briefs: list[OrderBrief]) -> tuple[str, list[CourierView], str | None]:
        tier, couriers = courier_choices(self.ctx, briefs[0].id)
        proposal = proposal_for_order(self.ctx, briefs[0].id)
        return tier, couriers, proposal.courier_id if proposal else None

    def describe(self, b: OrderBrief) -> str:
        return f"{b.store_id or '—'} · {b.address}"

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        self.query_one("#orders", Static).update(self.orders_heading(briefs, self.describe))
        if extra is None:
            return
        self.tier, self.couriers, proposed = extra
        self.query_one("#tier", Static).update(t("screens.courier.tier", tier=Ref(f"tier.{self.tier}")))
        option_list = self.query_one("#couriers", OptionList)
        option_list.clear_options()
        option_list.add_options([Option(self.prompt(c), id=c.id) for c in self.couriers])
        if self.couriers:
            ids = [c.id for c in self.couriers]  # the proposed courier preselected (delivery, #16)
            option_list.highlighted = ids.index(proposed) if proposed in ids else 0
        else:
            self.show_message(t("screens.courier.none", tier=Ref(f"tier.{self.tier}")))

    def refresh_orders(self, briefs: list[OrderBrief]) -> None:
        self.query_one("#orders", Static).update(self.orders_heading(briefs, self.describe))

    def prompt(self, c: CourierView) -> Text:
        text = Text.assemble((f"{c.id} ", "bold"), c.name)
        if c.store_id:
            text.append(f"  {c.store_id} {c.store_name or ''}".rstrip(), style="dim")
        load_style = "green" if c.busy == 0 else ("yellow" if c.busy < c.capacity else "red")
        text.append("  " + t("screens.courier.load", busy=c.busy, capacity=c.capacity), style=load_style)
        if c.own_store:
            text.append("  " + t("screens.courier.own_store"), style="cyan")
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.confirm()

    def chosen(self) -> str | None:
        option_list = self.query_one("#couriers", OptionList)
        if option_list.highlighted is None or not self.couriers:
            return None
        return self.couriers[option_list.highlighted].id

    def check_inputs(self) -> None:
        if self.chosen() is None:
            raise InputProblem(t("lifecycle.courier_required"), "couriers")

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        return {"courier_id": self.chosen()}
