"""Acting on courier proposals (above the lifecycle engine): `propose(ctx, ref)` is the one-order
read for `order propose`; `dispatch_proposal` takes the proposal — the escalations it implies, then
the dispatch — in one transaction. The load and capacity rules live in services/courier_load.py.
"""

from __future__ import annotations

from ops_console.domain.dispatch import Proposal, escalation_steps
from ops_console.domain.types import Action, EscalationReason, Status, Tier
from ops_console.services.context import Actor, AppContext
from ops_console.services.courier_load import (
    OPEN_DELIVERY,
    _status_ref,
    _tier_ref,
    check_capacity,
    courier_loads,
    proposal_for_order,
    proposals,
)
from ops_console.services.errors import Refused
from ops_console.services.lifecycle import apply
from ops_console.services.lookup import find_order
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Order

__all__ = ["OPEN_DELIVERY", "check_capacity", "courier_loads", "dispatch_proposal", "proposal_for_order",
           "proposals", "propose"]


def propose(ctx: AppContext, order_ref: str | int) -> tuple[Order, Proposal]:
    """`order propose REF`: the one proposal for a picked order (refused for any other status)."""
    with read_session(ctx.engine) as s:
        order = find_order(s, order_ref)
        if order.status != Status.PICKED:
            raise Refused("dispatch.not_picked", order=order.order_no, status=_status_ref(order.status))
        found = proposals(s, ctx.settings, ctx.clock.now(), [order.id or 0])
        return order, found[order.id or 0]


def dispatch_proposal(ctx: AppContext, order_ref: str | int, actor: Actor, *,
                      expected_version: int | None = None) -> Proposal:
    """Take the proposal: escalate tier by tier to its tier (with its reason), then dispatch its courier."""
    with write_session(ctx.engine) as s:
        order = find_order(s, order_ref)
        if order.status != Status.PICKED:
            raise Refused("dispatch.not_picked", order=order.order_no, status=_status_ref(order.status))
        proposal = proposals(s, ctx.settings, ctx.clock.now(), [order.id or 0])[order.id or 0]
        if proposal.courier_id is None:
            raise Refused("dispatch.nobody_free", order=order.order_no, tier=_tier_ref(proposal.tier))
        version = expected_version
        for _step in escalation_steps(Tier(order.tier) if order.tier else None, proposal.tier):
            out = apply(s, ctx, order, Action.ESCALATE, actor, expected_version=version,
                        reason=(proposal.reason or EscalationReason.NO_FREE_COURIER).value)
            version = out.version
        apply(s, ctx, order, Action.DISPATCH, actor, expected_version=version, courier_id=proposal.courier_id)
    return proposal
