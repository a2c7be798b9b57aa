"""Dispatch: couriers of the order's current tier, the best one preselected; Enter confirms.

Listed (services.couriers.courier_choices): on duty; the order's store's own couriers first;
fewest active deliveries first. Preselected: the courier proposal (services.dispatch), which skips
couriers at capacity and prefers the longest idle. A proposal of another tier is offered first as
its own line ("escalate to … then dispatch …"); choosing it takes the whole proposal at once
(services.dispatch.dispatch_proposal: the escalations, then the dispatch, one transaction).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ops_console.domain.dispatch import Proposal
from ops_console.domain.types import Action
from ops_console.i18n import Ref, t
from ops_console.services.courier_load import proposal_for_order
from ops_console.services.couriers import CourierView, courier_choices
from ops_console.services.dispatch import dispatch_proposal
from ops_console.services.order_view import OrderBrief
from ops_console.tui.screens.base import ActionDialog, InputProblem, OrderOutcome, done_message

PROPOSAL = "proposal"  # the option id of a proposal of another tier


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
        self.proposal: Proposal | None = None  # offered as its own line when it is another tier

    def compose_body(self) -> ComposeResult:
        yield Static("", id="orders", classes="orders")
        yield Static("", id="tier", classes="label")
        yield OptionList(id="couriers")

    def on_mount(self) -> None:
        self.query_one("#couriers").focus()
        super().on_mount()

    def load_extra(self, briefs: list[OrderBrief]) -> tuple[str, list[CourierView], Proposal | None]:
        tier, couriers = courier_choices(self.ctx, briefs[0].id)
        return tier, couriers, proposal_for_order(self.ctx, briefs[0].id)

    def describe(self, b: OrderBrief) -> str:
        return f"{b.store_id or '—'} · {b.address}"

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        self.query_one("#orders", Static).update(self.orders_heading(briefs, self.describe))
        if extra is None:
            return
        self.tier, self.couriers, proposal = extra
        proposed = proposal.courier_id if proposal else None
        # Another tier's proposal is one step for one order (dispatch_proposal); tagged orders keep the list.
        other_tier = (proposal is not None and proposed is not None and len(briefs) == 1
                      and proposal.tier.value != self.tier)
        self.proposal = proposal if other_tier else None
        self.query_one("#tier", Static).update(t("screens.courier.tier", tier=Ref(f"tier.{self.tier}")))
        option_list = self.query_one("#couriers", OptionList)
        option_list.clear_options()
        if self.proposal is not None:
            option_list.add_option(Option(self.proposal_prompt(self.proposal), id=PROPOSAL))
        option_list.add_options([Option(self.prompt(c), id=c.id) for c in self.couriers])
        if self.proposal is not None:
            option_list.highlighted = 0
        elif self.couriers:
            ids = [c.id for c in self.couriers]  # the proposed courier preselected (delivery, #16)
            option_list.highlighted = ids.index(proposed) if proposed in ids else 0
        if not self.couriers:
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

    def proposal_prompt(self, p: Proposal) -> Text:
        text = Text("★ ", style="bold yellow")
        text.append(t("courier.proposal_other_tier", tier=Ref(f"tier.{p.tier.value}"), courier=p.courier_id or ""),
                    style="bold")
        if p.reason is not None:
            text.append("  " + t(f"reason.{p.reason.value}"), style="dim")
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.confirm()

    def chosen(self) -> str | None:
        """The chosen courier's id, or PROPOSAL for the other tier's proposal line."""
        option_list = self.query_one("#couriers", OptionList)
        index = option_list.highlighted
        if index is None:
            return None
        if self.proposal is not None:
            if index == 0:
                return PROPOSAL
            index -= 1
        return self.couriers[index].id if index < len(self.couriers) else None

    def check_inputs(self) -> None:
        if self.chosen() is None:
            raise InputProblem(t("lifecycle.courier_required"), "couriers")

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        return {"courier_id": self.chosen()}

    def perform_one(self, brief: OrderBrief, params: dict[str, Any]) -> OrderOutcome:
        if params.get("courier_id") != PROPOSAL:
            return super().perform_one(brief, params)
        # The service works the proposal out again at this instant; what it took is what the toast says.
        taken = dispatch_proposal(self.ctx, brief.id, self.actor, expected_version=brief.version)
        text = done_message(brief.order_no, str(Action.DISPATCH), "dispatched") + " " + t(
            "courier.proposal_taken", tier=Ref(f"tier.{taken.tier.value}"), courier=taken.courier_id or "")
        return OrderOutcome(brief.order_no, True, text, brief.id)
