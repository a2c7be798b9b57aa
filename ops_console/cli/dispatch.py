"""`ops-console order propose REF [--json]`: the courier proposal for a picked order."""

from __future__ import annotations

from typing import Annotated

import typer

from ops_console.cli.common import console, guarded, print_json, state
from ops_console.i18n import t


def add_order_commands(order: typer.Typer) -> None:
    """Commands of the `order` group that belong to delivery (called by cli/orders.register)."""

    @order.command("propose", help=t("cli.order.propose.help"))
    @guarded
    def propose(
        ref: Annotated[str, typer.Argument(help=t("cli.arg.order_ref"))],
        as_json: Annotated[bool, typer.Option("--json", help=t("cli.opt.json"))] = False,
    ) -> None:
        from ops_console.services.dispatch import propose as proposal_for

        o, p = proposal_for(state.ctx(), ref)
        if as_json:
            print_json(p.to_json())
            return
        courier = p.courier_id or t("dispatch.proposal.no_courier")
        reason = t("dispatch.proposal.reason", reason=t(f"reason.{p.reason.value}")) if p.reason else ""
        console.print(t("dispatch.proposal", order=o.order_no, tier=t(f"tier.{p.tier.value}"), courier=courier,
                        reason=reason))
