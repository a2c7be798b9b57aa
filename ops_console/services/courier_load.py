"""Courier load below the lifecycle engine: open deliveries per courier, the capacity rule the
dispatch effect applies, and the proposal of the next courier for picked orders.

`proposals(session, settings, now, order_ids)` answers for many picked orders with four queries (the
board calls it per refresh); `check_capacity` is called by the lifecycle's dispatch effect, so this
module must never import the engine (services/dispatch.py, above it, acts on proposals).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ops_console.config import Settings
from ops_console.domain.dispatch import CourierLoad, Proposal, over_capacity
from ops_console.domain.dispatch import propose as rule
from ops_console.domain.types import ON_THE_ROAD, Action, EscalationReason, Status, Tier
from ops_console.i18n import Ref
from ops_console.services.context import AppContext
from ops_console.services.errors import Refused
from ops_console.storage.db import read_session
from ops_console.storage.models import Courier, Delivery, Event, Order

# An order is on a courier's hands while it is on the road.
OPEN_DELIVERY = tuple(s.value for s in ON_THE_ROAD)


# How far back a courier's last finished delivery counts for "idle since": older is "not today",
# which the rule ranks as idle longest anyway — and the read stays bounded as history grows.
IDLE_HORIZON = timedelta(days=1)


def courier_loads(session: Session, courier_ids: Iterable[str] | None = None,
                  now: datetime | None = None) -> list[CourierLoad]:
    """Active couriers with their open deliveries and when their last delivery ended (within
    `IDLE_HORIZON` of `now`, by the dispatch-time index, when `now` is given)."""
    query = select(Courier).where(col(Courier.active).is_(True))
    ids = list(courier_ids) if courier_ids is not None else None
    if ids is not None:
        query = query.where(col(Courier.id).in_(ids))
    couriers = list(session.exec(query))
    carrying = dict(session.exec(
        select(Order.courier_id, func.count()).where(col(Order.status).in_(OPEN_DELIVERY),
                                                     col(Order.courier_id).is_not(None))
        .group_by(Order.courier_id)
    ).all())
    idle_query = select(Delivery.courier_id, func.max(Delivery.finished_at)).where(col(Delivery.courier_id).is_not(None))
    if now is not None:
        idle_query = idle_query.where(col(Delivery.dispatched_at) >= now - IDLE_HORIZON)
    idle = dict(session.exec(idle_query.group_by(col(Delivery.courier_id))).all())
    return [CourierLoad(c.id, c.name, c.tier, c.store_id, c.capacity, c.on_duty, int(carrying.get(c.id, 0)),
                        idle.get(c.id)) for c in couriers]


def proposals(session: Session, settings: Settings, now: datetime, order_ids: Iterable[int]) -> dict[int, Proposal]:
    """The proposal for each picked order among `order_ids` (others are left out): cheap for a board."""
    ids = list(order_ids)
    if not ids:
        return {}
    orders = list(session.exec(select(Order).where(col(Order.id).in_(ids), Order.status == Status.PICKED.value)))
    if not orders:
        return {}
    escalations: dict[int, tuple[datetime, str | None]] = {}
    for order_id, at, detail in session.exec(
        select(Event.order_id, Event.at, Event.detail)
        .where(col(Event.order_id).in_([o.id for o in orders]), Event.action == Action.ESCALATE.value)
        .order_by(col(Event.id))
    ):
        escalations[order_id or 0] = (at, (detail or {}).get("reason"))
    loads = courier_loads(session, now=now)
    wait = timedelta(minutes=settings.dispatch.wait_minutes_before_escalation)
    out: dict[int, Proposal] = {}
    for o in orders:
        escalated_at, reason = escalations.get(o.id or 0, (None, None))
        since = max((x for x in (o.status_entered_at, o.picked_at, escalated_at) if x is not None), default=None)
        out[o.id or 0] = rule(store_id=o.store_id, tier=Tier(o.tier) if o.tier else None, waiting_since=since,
                              couriers=loads, now=now, wait=wait,
                              escalated_reason=_reason(reason))
    return out


def _reason(value: Any) -> EscalationReason | None:
    try:
        return EscalationReason(value) if value else None
    except ValueError:
        return None


def check_capacity(session: Session, order: Order, courier: Courier, params: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse a dispatch that would carry the courier past its capacity, unless the dispatcher gave an
    override reason; return what the dispatch event records about it."""
    # Two dispatchers sending orders to one courier at once: the second waits for the first to commit
    # (PostgreSQL row lock; SQLite's writers are serialized already), so both count right.
    session.execute(select(Courier.id).where(Courier.id == courier.id).with_for_update())
    load = courier_loads(session, [courier.id])
    if not load or not over_capacity(load[0]):
        return {}
    carried = list(session.exec(
        select(Order.order_no).where(Order.courier_id == courier.id, col(Order.status).in_(OPEN_DELIVERY),
                                     Order.id != order.id).order_by(Order.order_no)
    ))
    override = str(params.get("override_reason") or "").strip()
    if not override:
        raise Refused("dispatch.at_capacity", courier=f"{courier.id} {courier.name}", carrying=load[0].carrying,
                      capacity=load[0].limit, orders=", ".join(carried))
    return {"capacity_override": True, "override_reason": override, "carrying": load[0].carrying,
            "capacity": load[0].limit, "carried_orders": carried}


def _status_ref(status: str) -> Ref:
    return Ref(f"status.{status}")


def _tier_ref(tier: Tier) -> Ref:
    return Ref(f"tier.{tier.value}")


def proposal_for_order(ctx: AppContext, order_id: int) -> Proposal | None:
    """The proposal for one order by id, or None when it is not picked (the dispatch dialog's seam)."""
    with read_session(ctx.engine) as s:
        return proposals(s, ctx.settings, ctx.clock.now(), [order_id]).get(order_id)
