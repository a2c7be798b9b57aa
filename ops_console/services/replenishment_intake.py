"""New replenishment orders: `place` (the CLI's `replenish place STORE SKU=QTY…`) and
`receive_replenishment` (intake's seam for `kind = replenishment` records): written, then judged by
the anomaly rules at once (services/anomaly_checks.py), which hold or accept them.

Above both services/replenishment.py (the short lifecycle) and the anomaly checks, which call
`replenishment.after_rules`; neither imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ops_console.domain.money import fen_to_yuan
from ops_console.domain.replenishment import ReplAction, ReplRuleError, ReplStatus, resolve_repl
from ops_console.domain.sla import normalize_category
from ops_console.domain.types import OrderKind, SubjectType
from ops_console.services import anomaly_checks
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import NotFound, Refused
from ops_console.services.events import record
from ops_console.services.replenishment import CHANNEL, ReplView, _views
from ops_console.storage.db import write_session
from ops_console.storage.models import Order, OrderLine, Sku, Store


def _next_number(s: Session, ctx: AppContext, now: datetime) -> str:
    day = now.astimezone(ctx.settings.tz).strftime("%Y%m%d")
    prefix = f"R{day}-"
    last = s.exec(select(func.max(Order.order_no)).where(Order.channel == CHANNEL,
                                                          col(Order.order_no).startswith(prefix))).one()
    n = int(str(last)[len(prefix):]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def receive_replenishment(session: Session, ctx: AppContext, order: Order, lines: Sequence[OrderLine],
                          actor: Actor = SYSTEM, *, evaluate: bool = True) -> Order:
    """Write a new replenishment order (`place`) and run the anomaly rules on it: held or accepted.
    In the caller's transaction — the seam for intake's `kind = replenishment` records too, which
    passes `evaluate=False` and runs `anomaly_checks.evaluate_new_orders` once for its whole batch."""
    now = ctx.clock.now()
    try:
        target = resolve_repl(ReplAction.PLACE, None, actor.role)
    except ReplRuleError as exc:
        raise Refused(exc.code, **exc.params) from None
    order.kind = OrderKind.REPLENISHMENT.value
    order.status = target.value
    order.version = 1
    order.payment_method = "cod"
    order.payment_status = "pending"
    order.amount = sum(round(li.qty * li.unit_price) for li in lines)
    order.placed_at = order.placed_at or now
    order.received_at = order.received_at or now
    order.status_entered_at = now
    order.updated_at = now
    order.updated_by = actor.id
    session.add(order)
    session.flush()
    for n, line in enumerate(lines, start=1):
        line.order_id = order.id or 0
        line.line_no = n
        session.add(line)
    session.flush()
    record(session, now, actor, SubjectType.ORDER, order.id or 0, ReplAction.PLACE, order_id=order.id,
           to_status=order.status,
           detail={"kind": order.kind, "store_id": order.store_id, "order_no": order.order_no,
                   "amount": fen_to_yuan(order.amount), "version": 1})
    if evaluate:
        anomaly_checks.evaluate_new_order(session, ctx, order.id or 0)
    return order


def place(ctx: AppContext, store_id: str, items: Mapping[str, float], actor: Actor,
          placed_at: datetime | None = None) -> ReplView:
    """`replenish place STORE SKU=QTY…`: one order for a store at catalogue prices."""
    if not items:
        raise Refused("replenish.no_lines")
    with write_session(ctx.engine) as s:
        store = s.get(Store, store_id)
        if store is None or not store.active:
            raise NotFound("stores.unknown", id=store_id)
        skus = {k.code: k for k in s.exec(select(Sku).where(col(Sku.code).in_(list(items))))}
        lines = []
        for code, qty in items.items():
            sku = skus.get(code)
            if sku is None:
                raise NotFound("replenish.unknown_sku", sku=code)
            if not qty > 0:
                raise Refused("replenish.bad_qty", sku=code, qty=qty)
            lines.append(OrderLine(order_id=0, sku=code, name=sku.name, category=normalize_category(sku.category).value,
                                   qty=qty, unit=sku.unit, unit_price=sku.price, step=sku.step or 1,
                                   weight_g=sku.weight_g))
        now = ctx.clock.now()
        order = Order(channel=CHANNEL, order_no=_next_number(s, ctx, now), kind=OrderKind.REPLENISHMENT.value,
                      status=ReplStatus.PLACED.value, store_id=store_id, customer_name=store.name,
                      placed_at=placed_at or now, source=f"replenish place by {actor.id}")
        receive_replenishment(s, ctx, order, lines, actor)
        return _views(s, [order])[0]
