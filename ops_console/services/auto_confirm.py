"""Auto-confirm: a delivered order the customer has not confirmed is completed by the system after
`delivery.auto_confirm_hours` (DOMAIN.md step 8), as a `confirm` event by the system.

Runs inside the reminder checks' transaction (services/reminders.run_checks), before the facts are
read, so the `unconfirmed_delivery` reminder of an order confirmed here closes in the same run. An
order someone has claimed ("I am phoning this customer") is left to that person: the reminder
stays until they release it, and the next run confirms it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from ops_console.domain.types import Action, Status
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.errors import ServiceError
from ops_console.storage.models import Order


def confirm_due(session: Session, ctx: AppContext, now: datetime) -> list[str]:
    """Confirm every delivered, unclaimed order delivered at least `auto_confirm_hours` ago; the
    order numbers confirmed. An order that moved meanwhile (a person confirmed it) is skipped."""
    from ops_console.services.lifecycle import apply

    cutoff = now - timedelta(hours=ctx.settings.delivery.auto_confirm_hours)
    due = list(session.exec(
        select(Order).where(Order.status == Status.DELIVERED.value, col(Order.delivered_at) <= cutoff,
                            col(Order.claimed_by).is_(None))
        .order_by(col(Order.delivered_at)).limit(1000)
    ))
    done = []
    for order in due:
        try:
            with session.begin_nested():
                apply(session, ctx, order, Action.CONFIRM, SYSTEM, expected_version=order.version, auto=True,
                      after_hours=ctx.settings.delivery.auto_confirm_hours)
        except ServiceError:
            continue  # moved on meanwhile: whoever moved it decided
        done.append(order.order_no)
    return done
