"""Couriers: who is on duty, what each carries, whom to propose for an order.

On/off duty changes are Events under the operator. `CourierView` is the one courier type the
console and the CLI show (the duty roster and the dispatch proposal alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops_console.domain.types import Role, SubjectType, Tier
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import NotFound, Refused
from ops_console.services.events import record
from ops_console.storage import pane_queries as q
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Courier, Order

DUTY_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM})


@dataclass(frozen=True)
class CourierView:
    id: str
    name: str
    tier: str
    store_id: str | None
    store_name: str | None
    capacity: int
    on_duty: bool
    busy: int  # orders on the road with this courier now (domain ON_THE_ROAD)
    own_store: bool = False  # a courier of the order's store (in a proposal for one order)

    @property
    def free(self) -> bool:
        return self.on_duty and self.busy < max(1, self.capacity)


def _views(rows: list[Any], order_store: str | None = None) -> list[CourierView]:
    return [CourierView(r.id, r.name, r.tier, r.store_id, r.store_name, r.capacity or 1, bool(r.on_duty),
                        int(r.busy or 0), r.store_id is not None and r.store_id == order_store) for r in rows]


def roster(ctx: AppContext) -> list[CourierView]:
    """Every active courier, by tier, with what it carries now."""
    with read_session(ctx.engine) as s:
        rows = list(q.courier_rows(s))
    return _views(rows)


def courier_choices(ctx: AppContext, order_id: int) -> tuple[str, list[CourierView]]:
    """The order's current tier and the couriers to propose, best first.

    On duty and active couriers of that tier; the order's own store's couriers first, then by
    fewest orders on the road, then by id. A company courier bound to another store is left out
    (dispatch would refuse them).
    """
    with read_session(ctx.engine) as s:
        order = s.get(Order, order_id)
        if order is None:
            raise NotFound("orders.not_found", order=str(order_id))
        tier = order.tier or Tier.COMPANY.value
        rows = [r for r in q.courier_rows(s) if r.tier == tier and r.on_duty]
    out = [c for c in _views(rows, order.store_id)
           if not (tier == Tier.COMPANY and c.store_id and not c.own_store)]
    out.sort(key=lambda c: (not c.own_store, c.busy, c.id))
    return tier, out


def set_on_duty(ctx: AppContext, courier_id: str, on_duty: bool, actor: Actor) -> CourierView:
    """Put a courier on or off duty (entered by a dispatcher on the courier's behalf)."""
    if actor.role not in DUTY_ROLES:
        raise Refused("console.duty_role", role=str(actor.role))
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        courier = s.get(Courier, courier_id)
        if courier is None or not courier.active:
            raise NotFound("couriers.unknown", id=courier_id)
        if courier.on_duty != on_duty:
            courier.on_duty = on_duty
            s.add(courier)
            record(s, now, actor, SubjectType.COURIER, courier_id, "courier_on_duty" if on_duty else "courier_off_duty",
                   detail={"on_behalf_of": "courier", "tier": courier.tier})
    for c in roster(ctx):
        if c.id == courier_id:
            return c
    raise NotFound("couriers.unknown", id=courier_id)  # pragma: no cover - deactivated meanwhile
