"""Finding orders and reading their history: the bottom of the order services.

The state engine (services/lifecycle.py), receiving, matching and the views all look orders up
here; this module imports none of them, so nothing above it can form a cycle through it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from ops_console.services.context import AppContext
from ops_console.services.errors import NotFound, ServiceError
from ops_console.storage.db import read_session
from ops_console.storage.models import Event, Order, OrderLine


def find_order(session: Session, ref: str | int) -> Order:
    """An order by surrogate id, by `channel:order_no`, or by its number alone when unique."""
    order: Order | None = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and not ref.startswith("0")):
        order = session.get(Order, int(ref))
        if order is not None:
            return order
    text = str(ref).strip()
    if ":" in text:
        channel, _, no = text.partition(":")
        order = session.exec(select(Order).where(Order.channel == channel, Order.order_no == no)).first()
    else:
        found = list(session.exec(select(Order).where(Order.order_no == text).limit(2)))
        if len(found) > 1:
            raise ServiceError("orders.ambiguous_number", order=text)
        order = found[0] if found else None
    if order is None:
        raise NotFound("orders.not_found", order=text)
    return order


def order_history(ctx: AppContext, order_ref: str | int) -> tuple[Order, list[Event]]:
    with read_session(ctx.engine) as s:
        order = find_order(s, order_ref)
        events = list(s.exec(select(Event).where(col(Event.order_id) == order.id).order_by(col(Event.id))))
        return order, events


def order_lines(ctx: AppContext, order_id: int) -> list[OrderLine]:
    with read_session(ctx.engine) as s:
        return list(s.exec(select(OrderLine).where(col(OrderLine.order_id) == order_id).order_by(col(OrderLine.line_no))))
