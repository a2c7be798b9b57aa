"""Amounts people type for cash (collected on delivery, a till receipt's total): never negative,
NaN or absurd, and a difference from what is due beyond `cash.tolerance` must come with a reason,
kept in the action's event. Called by the lifecycle for every front end (CLI, console, scripts)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ops_console.domain.money import MAX_FEN, fen_to_yuan
from ops_console.domain.types import Action, PaymentMethod, Tier
from ops_console.services.context import AppContext
from ops_console.services.errors import Refused
from ops_console.storage.models import Delivery, Order, OrderLine

_CASH_PARAMS = {Action.DELIVER: "cod_collected", Action.HAND_OVER: "till_amount"}


def _valid_fen(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused("cash.bad_amount", field=field, value=str(value))
    if value < 0 or value > MAX_FEN:
        raise Refused("cash.bad_amount", field=field, value=fen_to_yuan(value))
    return value


def check_cash(session: Session, ctx: AppContext, order: Order, action: Action, params: dict[str, Any]) -> dict[str, Any]:
    """Refuse a bad amount; return what the event should record about a difference (or nothing)."""
    field = _CASH_PARAMS.get(action)
    if field is None or params.get(field) is None:
        return {}
    amount = _valid_fen(params[field], field)
    if action == Action.HAND_OVER:
        if order.tier == Tier.EMERGENCY:
            return {}
        due = order.amount
        if amount != due and _weighed(session, order):
            # Produce is weighed at the till: its total is the real amount due from here on (COD is
            # checked against it), so the difference is recorded, not questioned.
            return {"till_difference": fen_to_yuan(amount - due)}
    else:
        if order.payment_method != PaymentMethod.COD:
            return {}
        delivery = session.exec(
            select(Delivery).where(col(Delivery.order_id) == order.id, col(Delivery.finished_at).is_(None))
            .order_by(col(Delivery.attempt).desc())
        ).first()
        due = delivery.till_amount if delivery is not None and delivery.till_amount is not None else order.amount
    difference = amount - due
    if abs(difference) <= ctx.settings.fen(ctx.settings.cash.tolerance):
        return {}
    reason = str(params.get("cash_reason") or "").strip()
    if not reason:
        raise Refused("cash.reason_required", amount=fen_to_yuan(amount), due=fen_to_yuan(due),
                      difference=fen_to_yuan(difference))
    return {"cash_due": fen_to_yuan(due), "cash_difference": fen_to_yuan(difference), "cash_reason": reason}


def _weighed(session: Session, order: Order) -> bool:
    """An order with a line sold by weight (produce, or a line with an ordered weight)."""
    lines = session.exec(select(OrderLine.category, OrderLine.weight_g).where(OrderLine.order_id == order.id))
    return any(category == "produce" or weight is not None for category, weight in lines)
