"""The engine's part of `report_shortage` on a line: mark the line, adjust the order amount.

Called by services/lifecycle.py inside the action's transaction (below the engine, imports no
service). Without `line_no` (the older CLI form) the shortage is only recorded, as before."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ops_console.domain.lifecycle import RuleError
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.shortage import short_line
from ops_console.domain.types import PaymentMethod, PaymentStatus, ShortageResolution
from ops_console.services.errors import Refused
from ops_console.storage.models import Order, OrderLine


def mark_shortage(session: Session, order: Order, params: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    """Mark the short line (picked quantity, substitute); return the order columns that change."""
    try:
        return _mark(session, order, params, detail)
    except RuleError as exc:
        raise Refused(exc.code, **exc.params) from None


def _mark(session: Session, order: Order, params: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    if params.get("line_no") in (None, ""):
        if params.get("available") not in (None, ""):
            raise RuleError("shortage.choose_line")  # a quantity without its line would mark nothing
        return {}
    try:
        line_no = int(params["line_no"])
    except (TypeError, ValueError):
        raise RuleError("shortage.no_such_line", line=str(params["line_no"])) from None
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id,
                                                OrderLine.line_no == line_no)).first()
    if line is None:
        raise RuleError("shortage.no_such_line", line=str(line_no))
    if params.get("available") in (None, ""):
        raise RuleError("shortage.available_required")
    result = short_line(line_no=line_no, qty=line.qty, unit_price=line.unit_price,
                        already_short=line.picked_qty is not None, available=params["available"],
                        resolution=ShortageResolution(params["resolution"]),
                        substitute_sku=params.get("substitute_sku"))
    line.picked_qty = result.picked_qty
    line.substitute_sku = result.substitute_sku
    session.add(line)
    detail.update(line_no=line_no, sku=line.sku, qty=line.qty, available=result.picked_qty)
    if result.substitute_sku:
        detail["substitute_sku"] = result.substitute_sku
    if not result.amount_change:
        return {}
    new_amount = max(0, order.amount + result.amount_change)
    detail["amount_before"] = fen_to_yuan(order.amount)
    detail["amount_after"] = fen_to_yuan(new_amount)
    if order.payment_method == PaymentMethod.ONLINE and order.payment_status == PaymentStatus.PAID:
        detail["refund_due"] = fen_to_yuan(order.amount - new_amount)  # paid in full, ships in part
    return {"amount": new_amount}
