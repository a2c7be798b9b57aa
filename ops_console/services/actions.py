"""The front ends' one entry for a lifecycle action: the engine's step plus what follows it.

`perform` here has the signature of the engine's (services/lifecycle.py) and adds the follow-ups
the business attaches to an action, so no front end can skip them: `approve` runs the address
matcher like an automatic review pass (services/receiving.py). Every other action is the engine's
step as it is. The console, the CLI and the simulator import `perform` from here; the engine stays
below matching and knows nothing of it.
"""

from __future__ import annotations

from typing import Any

from ops_console.domain.types import Action
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.lifecycle import Outcome
from ops_console.services.lifecycle import perform as engine_perform
from ops_console.services.receiving import approve_order

__all__ = ["perform"]


def perform(
    ctx: AppContext,
    order_ref: str | int,
    action: Action | str,
    actor: Actor = SYSTEM,
    *,
    expected_version: int | None = None,
    **params: Any,
) -> Outcome:
    """Take `action` on the order as `actor`, with its follow-ups, in one transaction."""
    action = Action(action)
    if action == Action.APPROVE:
        return approve_order(ctx, order_ref, actor, expected_version=expected_version, **params)
    return engine_perform(ctx, order_ref, action, actor, expected_version=expected_version, **params)
