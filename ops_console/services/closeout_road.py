"""Closeout: which orders still dispatched or out for delivery have a recorded reason to be.

An order on the road at the end of the day is a miss (it stops the closeout) unless something
recorded why it is still out (the closeout issue: "dispatched or out for delivery with no recorded
reason"). Three records count, each since the order entered its status:
- the courier's call with outcome `unreachable` (CONTRACTS: stays dispatched, try again);
- a third party's tracking update with a note (`kind = tracking`);
- its delivery alert (`delivery_overdue`, `tracking_stale`) acknowledged or owned by a person.
Such an order is carried over and listed with its reason; the others still block.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ops_console.domain.types import Action, CallOutcome, Status, SubjectType
from ops_console.storage.models import Anomaly, Event, Order, TrackingUpdate

ROAD_STATUSES = frozenset({Status.DISPATCHED.value, Status.OUT_FOR_DELIVERY.value})
DELIVERY_RULES = ("delivery_overdue", "tracking_stale")


def road_reasons(session: Session, orders: Iterable[Any]) -> dict[int, dict[str, Any]]:
    """For the given order rows (id, channel, order_no, status) on the road: order id → the latest
    recorded reason `{"reason": code, "at": iso time, "text": ...}`."""
    road = {o.id: o for o in orders if o.status in ROAD_STATUSES}
    if not road:
        return {}
    ids = sorted(road)
    entered = dict(session.exec(select(Order.id, Order.status_entered_at).where(col(Order.id).in_(ids))).all())
    found: dict[int, dict[str, Any]] = {}

    def keep(order_id: int, code: str, at: Any, text: str = "") -> None:
        since = entered.get(order_id)
        if since is not None and at is not None and at < since:
            return  # recorded before the order's current stretch on the road
        before = found.get(order_id)
        if before is None or (at is not None and at.isoformat() >= before["at"]):
            found[order_id] = {"reason": code, "at": at.isoformat() if at is not None else "", "text": text}

    for order_id, at, detail in session.exec(
        select(Event.order_id, Event.at, Event.detail)
        .where(col(Event.order_id).in_(ids), Event.subject_type == SubjectType.ORDER.value,
               Event.action == Action.CALL.value)
    ):
        if isinstance(detail, dict) and detail.get("outcome") == CallOutcome.UNREACHABLE.value:
            keep(order_id or 0, "call_unreachable", at)
    by_number = {(o.channel, o.order_no): o.id for o in road.values()}
    for channel, order_no, noted_at, note in session.exec(
        select(TrackingUpdate.channel, TrackingUpdate.order_no, TrackingUpdate.at, TrackingUpdate.note)
        .where(col(TrackingUpdate.order_no).in_(sorted({no for _, no in by_number})), TrackingUpdate.note != "")
    ):
        order_id = by_number.get((channel, order_no))
        if order_id is not None and (note or "").strip():
            keep(order_id, "tracking_note", noted_at, note.strip())
    for order_id, rule, status, owner, acked, last_seen in session.execute(
        sa_select(col(Anomaly.order_id), col(Anomaly.rule), col(Anomaly.status), col(Anomaly.owner),
                  col(Anomaly.acknowledged_by), col(Anomaly.last_seen))
        .where(col(Anomaly.order_id).in_(ids), col(Anomaly.rule).in_(DELIVERY_RULES),
               col(Anomaly.status).in_(("acknowledged", "silenced", "open")))
    ):
        who = owner or (acked if status in ("acknowledged", "silenced") else None)
        if who:
            keep(order_id or 0, "alert_taken", last_seen, f"{rule}:{who}")
    return found
