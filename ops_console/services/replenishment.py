"""Store replenishment orders (seed 004): placed by a store, held when money is at risk, verified.

`placed → accepted → sorted → delivered`, or `on_hold` until `verify` (→ accepted) or `cancel`; the
table is domain/replenishment.py. A new order runs the intake-time anomaly rules at once (the same
`anomalies.evaluate_new_orders` intake calls); tripping quantity_surge, amount_surge, amount_cap or
step_mismatch holds it, otherwise the system accepts it. Every step is an Event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ops_console.domain.anomaly import HOLD_RULES, Finding
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.replenishment import ReplAction, ReplRuleError, ReplStatus, resolve_repl
from ops_console.domain.sla import normalize_category
from ops_console.domain.types import OrderKind, SubjectType
from ops_console.i18n import t
from ops_console.services import anomalies
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import Conflict, NotFound, Refused
from ops_console.services.events import record
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Anomaly, Order, OrderLine, Sku, Store

CHANNEL = "other"  # store orders come from the stores' own system, not a customer platform


@dataclass(frozen=True)
class ReplView:
    id: int
    order_no: str
    store_id: str
    status: str
    amount: int
    placed_at: datetime | None
    lines: tuple[tuple[str, float], ...]
    anomalies: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "order_no": self.order_no, "store_id": self.store_id, "status": self.status,
                "amount": fen_to_yuan(self.amount), "placed_at": self.placed_at.isoformat() if self.placed_at else None,
                "lines": [{"sku": sku, "qty": qty} for sku, qty in self.lines], "anomalies": list(self.anomalies)}


def _next_number(s: Session, ctx: AppContext, now: datetime) -> str:
    day = now.astimezone(ctx.settings.tz).strftime("%Y%m%d")
    prefix = f"R{day}-"
    last = s.exec(select(func.max(Order.order_no)).where(Order.channel == CHANNEL,
                                                          col(Order.order_no).startswith(prefix))).one()
    n = int(str(last)[len(prefix):]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def receive_replenishment(session: Session, ctx: AppContext, order: Order, lines: Sequence[OrderLine],
                          actor: Actor = SYSTEM) -> Order:
    """Write a new replenishment order (`place`) and run the anomaly rules on it: held or accepted.
    In the caller's transaction — the seam for intake's `kind = replenishment` records too."""
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
    anomalies.evaluate_new_order(session, ctx, order.id or 0)
    return order


def after_rules(session: Session, ctx: AppContext, order: Order, findings: Sequence[Finding]) -> None:
    """Called by the anomaly evaluation of a new replenishment order: hold it or accept it."""
    if order.status != ReplStatus.PLACED:
        return
    held = sorted({f.rule.value for f in findings if f.rule in HOLD_RULES})
    if held:
        transition(session, ctx, order, ReplAction.HOLD, SYSTEM, rules=held)
    else:
        transition(session, ctx, order, ReplAction.ACCEPT, SYSTEM)


def transition(session: Session, ctx: AppContext, order: Order, action: ReplAction, actor: Actor,
               **detail: Any) -> ReplStatus:
    """One step of the table on one order: conditional on its version, with its Event."""
    if order.kind != OrderKind.REPLENISHMENT:
        raise Refused("replenish.not_replenishment", order=order.order_no)
    now = ctx.clock.now()
    try:
        target = resolve_repl(action, order.status, actor.role)
    except ReplRuleError as exc:
        raise Refused(exc.code, order=order.order_no, action=t(f"replenish.action.{action.value}"),
                      status=t(f"replenish.status.{order.status}"), role=t(f"role.{actor.role}")) from None
    version = order.version
    values: dict[str, Any] = {"status": target.value, "status_entered_at": now, "updated_at": now,
                              "updated_by": actor.id, "version": version + 1}
    if target == ReplStatus.DELIVERED:
        values["delivered_at"] = now
    if target == ReplStatus.CANCELLED:
        values["closed_at"] = now
    result = session.execute(update(Order).where(col(Order.id) == order.id, col(Order.version) == version)
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("replenish.moved_on", order=order.order_no)
    before = order.status
    for key, value in values.items():
        setattr(order, key, value)
    record(session, now, actor, SubjectType.ORDER, order.id or 0, action, order_id=order.id, from_status=before,
           to_status=target.value, detail={**detail, "version": version + 1})
    return target


def _find(s: Session, ref: str) -> Order:
    from ops_console.services.lifecycle import find_order

    order = find_order(s, ref)
    if order.kind != OrderKind.REPLENISHMENT:
        raise Refused("replenish.not_replenishment", order=order.order_no)
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


def _act(ctx: AppContext, ref: str, action: ReplAction, actor: Actor, **detail: Any) -> ReplView:
    with write_session(ctx.engine) as s:
        order = _find(s, ref)
        transition(s, ctx, order, action, actor, **{k: v for k, v in detail.items() if v})
        if action == ReplAction.VERIFY:
            _resolve_holds(s, ctx, order, actor, detail.get("note") or "")
        return _views(s, [order])[0]


def _resolve_holds(s: Session, ctx: AppContext, order: Order, actor: Actor, note: str) -> None:
    """Verifying with the store settles the alerts that held the order."""
    now = ctx.clock.now()
    text = t("replenish.verified_note", note=note).strip()
    for row in s.exec(select(Anomaly).where(Anomaly.order_id == order.id,
                                            col(Anomaly.rule).in_([r.value for r in HOLD_RULES]),
                                            col(Anomaly.status) != "resolved")):
        anomalies._set_resolved(s, row, actor, now, text, None)


def verify(ctx: AppContext, ref: str, actor: Actor, note: str = "") -> ReplView:
    return _act(ctx, ref, ReplAction.VERIFY, actor, note=note.strip())


def cancel(ctx: AppContext, ref: str, actor: Actor, reason: str = "") -> ReplView:
    return _act(ctx, ref, ReplAction.CANCEL, actor, reason=reason.strip())


def mark_sorted(ctx: AppContext, ref: str, actor: Actor = SYSTEM) -> ReplView:
    return _act(ctx, ref, ReplAction.SORT, actor)


def mark_delivered(ctx: AppContext, ref: str, actor: Actor = SYSTEM) -> ReplView:
    return _act(ctx, ref, ReplAction.DELIVER, actor)


def _views(s: Session, orders: Sequence[Order]) -> list[ReplView]:
    ids = [o.id or 0 for o in orders]
    lines: dict[int, list[tuple[str, float]]] = {}
    rules: dict[int, list[str]] = {}
    if ids:
        for line in s.exec(select(OrderLine).where(col(OrderLine.order_id).in_(ids)).order_by(col(OrderLine.line_no))):
            lines.setdefault(line.order_id, []).append((line.sku, line.qty))
        for order_id, rule in s.exec(select(Anomaly.order_id, Anomaly.rule).where(col(Anomaly.order_id).in_(ids))
                                     .order_by(col(Anomaly.id))):
            if rule not in rules.setdefault(order_id or 0, []):
                rules[order_id or 0].append(rule)
    return [ReplView(o.id or 0, o.order_no, o.store_id or "", o.status, o.amount, o.placed_at,
                     tuple(lines.get(o.id or 0, ())), tuple(rules.get(o.id or 0, ()))) for o in orders]


def list_replenishment(ctx: AppContext, *, status: str | None = None, store_id: str | None = None,
                       day: str | None = None, limit: int = 1000) -> list[ReplView]:
    """Replenishment orders, newest first; `day` (local YYYY-MM-DD) limits to the orders placed that day."""
    with read_session(ctx.engine) as s:
        q = select(Order).where(Order.kind == OrderKind.REPLENISHMENT.value)
        if status:
            q = q.where(Order.status == status)
        if store_id:
            q = q.where(Order.store_id == store_id)
        if day:
            start = datetime.combine(datetime.fromisoformat(day).date(), time(0), tzinfo=ctx.settings.tz)
            q = q.where(col(Order.placed_at) >= start, col(Order.placed_at) < start + timedelta(days=1))
        orders = list(s.exec(q.order_by(col(Order.placed_at).desc(), col(Order.id).desc()).limit(limit)))
        return _views(s, orders)
