"""Couriers on and off duty: who may be dispatched now. Each change is an Event under the operator."""

from __future__ import annotations

from dataclasses import dataclass

from ops_console.domain.types import Role, SubjectType
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import NotFound, Refused
from ops_console.services.events import record
from ops_console.storage import pane_queries as q
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Courier

DUTY_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM})


@dataclass(frozen=True)
class CourierDuty:
    id: str
    name: str
    tier: str
    store_id: str | None
    store_name: str | None
    capacity: int
    on_duty: bool
    busy: int

    @property
    def free(self) -> bool:
        return self.on_duty and self.busy < max(1, self.capacity)


def roster(ctx: AppContext) -> list[CourierDuty]:
    """Every active courier, by tier, with what it carries now."""
    with read_session(ctx.engine) as s:
        rows = q.courier_rows(s)
    return [CourierDuty(r.id, r.name, r.tier, r.store_id, r.store_name, r.capacity or 1, bool(r.on_duty),
                        int(r.busy or 0)) for r in rows]


def set_on_duty(ctx: AppContext, courier_id: str, on_duty: bool, actor: Actor) -> CourierDuty:
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
