"""Held orders go back on the road `dispatch.appointment_lead_minutes` before their appointment.

Run by the scheduler's checks (console and `watch`) as the system; a person can release a hold
earlier (`o` on a held order). Several processes may try at once: the version check lets one win.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from ops_console.domain.types import Action, Status
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.errors import Conflict, Refused
from ops_console.services.lifecycle import Outcome, perform
from ops_console.storage.db import read_session
from ops_console.storage.models import Order


def release_due_holds(ctx: AppContext) -> list[Outcome]:
    now = ctx.clock.now()
    due = now + timedelta(minutes=ctx.settings.dispatch.appointment_lead_minutes)
    with read_session(ctx.engine) as s:
        rows = s.exec(
            select(Order.id, Order.version).where(col(Order.status) == Status.HELD.value,
                                                  col(Order.appointment_at) <= due)
        ).all()
    released = []
    for order_id, version in rows:
        if order_id is None:  # a stored order always has one; narrows the type
            continue
        try:
            released.append(perform(ctx, order_id, Action.RELEASE_HOLD, SYSTEM, expected_version=version,
                                    note="appointment_due"))
        except (Conflict, Refused):
            continue  # someone (another console, a person) released or changed it first
    return released
