"""Store replenishment orders (seed 004): placed by a store, held when money is at risk, verified.

`placed → accepted → sorted → delivered`, or `on_hold` until `verify` (→ accepted) or `cancel`; the
table is domain/replenishment.py. A new order runs the intake-time anomaly rules at once (the same
`anomaly_checks.evaluate_new_orders` intake calls); tripping quantity_surge, amount_surge, amount_cap or
step_mismatch holds it, otherwise the system accepts it. Every step is an Event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from ops_console.domain.anomaly import HOLD_RULES, Finding
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.replenishment import ReplAction, ReplRuleError, ReplStatus, resolve_repl
from ops_console.domain.types import OrderKind, SubjectType
from ops_console.i18n import t
from ops_console.services import anomalies
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import Conflict, Refused
from ops_console.services.events import record
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Anomaly, Order, OrderLine

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
    result = session.exec(update(Order).where(col(Order.id) == order.id, col(Order.version) == version)
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


def _alert_order_no(ctx: AppContext, alert_id: int) -> str:
    with read_session(ctx.engine) as s:
        alert = s.get(Anomaly, alert_id)
        order = s.get(Order, alert.order_id) if alert is not None and alert.order_id is not None else None
        if order is None:
            raise Refused("replenish.alert_without_order", alert=alert_id)
        return order.order_no


def verify_for_alert(ctx: AppContext, alert_id: int, actor: Actor, note: str = "") -> ReplView:
    """The console's `y` on an alert of a held replenishment order: verified with the store."""
    return verify(ctx, _alert_order_no(ctx, alert_id), actor, note)


def cancel_for_alert(ctx: AppContext, alert_id: int, actor: Actor, reason: str = "") -> ReplView:
    """The console's `x` on an alert of a held replenishment order: the store's order is cancelled."""
    return cancel(ctx, _alert_order_no(ctx, alert_id), actor, reason)


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
