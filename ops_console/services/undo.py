"""Taking back a one-key action right after it (the console's undo): the reverse transition as an
explicit `undo` event, in one transaction, conditional on the version the action produced.

A seam beside the lifecycle engine rather than inside it (services/lifecycle.py is being split):
the engine's table has no reverse transitions, and an undo is not an action anyone chooses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from ops_console.domain.types import Action, Status, SubjectType
from ops_console.domain.undo import UNDO_ACTION, UNDO_SECONDS, undo_target
from ops_console.i18n import Ref, t
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import Conflict, NotFound, Refused
from ops_console.services.events import event_row
from ops_console.storage.db import write_session
from ops_console.storage.models import CashEntry, Delivery, Event, Order


@dataclass(frozen=True)
class Undone:
    order_id: int
    order_no: str
    action: Action
    from_status: Status
    to_status: Status
    version: int
    event_id: int


def undo(ctx: AppContext, order_id: int, action: Action, actor: Actor, *, expected_version: int) -> Undone:
    """Reverse `action` on the order if nothing happened to it since (`expected_version` is the version
    the action produced) and it is at most UNDO_SECONDS old."""
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        order = s.get(Order, order_id)
        if order is None:
            raise NotFound(t("console.undo.gone"))
        status = Status(order.status)
        target = undo_target(action, status)
        if target is None or order.version != expected_version:
            raise Conflict(t("console.undo.moved_on", order=order.order_no, status=Ref(f"status.{status}")))
        last = s.exec(select(Event).where(Event.order_id == order_id, Event.action == str(action))
                      .order_by(col(Event.id).desc())).first()
        if last is None or last.at is None or now - _aware(last.at) > timedelta(seconds=UNDO_SECONDS):
            raise Refused(t("console.undo.too_late", order=order.order_no))
        if action == Action.DELIVER:
            _reopen_delivery(s, order, actor, now)
        stamp = {Action.DELIVER: "delivered_at"}.get(action)
        values: dict[str, Any] = {"status": target.value, "status_entered_at": now, "updated_at": now, "updated_by": actor.id,
                  "version": order.version + 1}
        if stamp:
            values[stamp] = None
        s.execute(update(Order).where(col(Order.id) == order_id, col(Order.version) == expected_version).values(**values)
                  .execution_options(synchronize_session=False))
        event_id = s.execute(insert(Event).values(**event_row(
            now, actor, SubjectType.ORDER, order_id, UNDO_ACTION, order_id=order_id, from_status=status.value,
            to_status=target.value, detail={"undoes": action.value, "event": last.id,
                                            "version": order.version + 1}))
            .returning(col(Event.id))).scalar_one()
        return Undone(order_id, order.order_no, action, status, target, order.version + 1, event_id)


def _reopen_delivery(s: Session, order: Order, actor: Actor, now: datetime) -> None:
    """The attempt the delivery closed is open again; cash it booked is booked back (a negative entry,
    so the ledger stays append-only)."""
    attempt = s.exec(select(Delivery).where(Delivery.order_id == order.id)
                     .order_by(col(Delivery.attempt).desc())).first()
    if attempt is None:
        return
    cod = attempt.cod_collected or 0
    attempt.finished_at = None
    attempt.outcome = None
    attempt.cod_collected = 0
    s.add(attempt)
    if cod and attempt.courier_id:
        booked = s.exec(select(CashEntry).where(CashEntry.order_id == order.id, CashEntry.kind == "cod_collected")
                        .order_by(col(CashEntry.id).desc())).first()
        s.add(CashEntry(courier_id=attempt.courier_id, business_date=booked.business_date if booked else "",
                        kind="cod_collected", amount=-cod, order_id=order.id, actor=actor.id, at=now))


def _aware(when: datetime) -> datetime:
    """SQLite gives datetimes back without their zone; they were stored in UTC."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)
