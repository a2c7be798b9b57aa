"""What the demo simulator reads of the field each step: the open orders' columns its decisions need,
their open deliveries, the couriers on duty and what each carries (one read session, no ORM orders)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from ops_console.domain.dispatch import CourierLoad
from ops_console.domain.types import OPEN_STATUSES, Status
from ops_console.services.context import AppContext
from ops_console.storage.db import read_session
from ops_console.storage.models import Courier, Delivery, Order


@dataclass(frozen=True)
class OrderRow:
    """The columns of an open order that the field decisions read (cheaper than whole ORM rows)."""

    id: int
    status: str
    version: int
    status_entered_at: datetime | None
    unassigned_at: datetime | None
    store_id: str | None
    tier: str | None
    courier_id: str | None
    claimed_by: str | None
    address: str
    appointment_at: datetime | None
    review_reason: str | None
    amount: int
    payment_method: str
    payment_status: str
    suggestions: list[dict[str, object]]


_ROW_COLUMNS = tuple(getattr(Order, f) for f in OrderRow.__dataclass_fields__)


@dataclass(frozen=True)
class Snapshot:
    orders: list[OrderRow]
    open_delivery: dict[int, Delivery]
    couriers: list[Courier]
    load: Counter[str]

    def loads(self) -> list[CourierLoad]:
        """The couriers on duty with what they carry now, for the proposal rule (the simulator keeps
        `load` up to date as it dispatches and delivers within a step)."""
        return [CourierLoad(c.id, c.name, c.tier, c.store_id, c.capacity, True, self.load[c.id])
                for c in self.couriers]


def read_snapshot(ctx: AppContext) -> Snapshot:
    """The open orders (all but `received`, which intake is still reviewing), by id, and the couriers' load."""
    live = [s.value for s in OPEN_STATUSES if s != Status.RECEIVED]
    with read_session(ctx.engine) as s:
        orders = [OrderRow(*row) for row in s.exec(
            # Customer orders only: a store's replenishment order (also `delivered` at the end) is not the field's.
            select(*_ROW_COLUMNS).where(col(Order.status).in_(live), col(Order.kind) == "customer")
            .order_by(col(Order.id)))]
        open_rows = list(s.exec(select(Delivery).where(col(Delivery.finished_at).is_(None))))
        couriers = list(s.exec(select(Courier).where(col(Courier.active), col(Courier.on_duty)).order_by(col(Courier.id))))
    open_delivery = {d.order_id: d for d in sorted(open_rows, key=lambda d: d.attempt)}
    load: Counter[str] = Counter(d.courier_id for d in open_rows if d.courier_id)
    return Snapshot(orders, open_delivery, couriers, load)


def first_suggestion(order: OrderRow) -> str | None:
    for suggestion in order.suggestions or []:
        store = suggestion.get("store_id") if isinstance(suggestion, dict) else None
        if store:
            return str(store)
    return None
