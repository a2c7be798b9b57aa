"""One service call performs one action of the lifecycle table on one order.

It checks the table and the operator's role (domain/lifecycle.py), updates the order only if
its version is still the one the caller saw (`UPDATE … WHERE id=? AND version=?`), and appends
the Event, all in one transaction. The console, the CLI, intake and the simulator all use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, insert, update
from sqlmodel import Session, select

from ops_console.domain.lifecycle import LIFECYCLE, OrderView, RuleError, escalation_tier, resolve
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.review import LineFacts, SkuFacts, Verdict, review
from ops_console.domain.types import (
    Action,
    CallOutcome,
    DeliveryOutcome,
    PaymentMethod,
    Role,
    Status,
    SubjectType,
    Tier,
)
from ops_console.i18n import Ref
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import Conflict, NotFound, Refused, ServiceError
from ops_console.services.events import event_row
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import (
    CashEntry,
    Courier,
    Delivery,
    Event,
    Operator,
    Order,
    OrderLine,
    Sku,
    Store,
)

# The order column stamped when an order enters a status (the stage clocks of the reports).
STAGE_STAMP: dict[Status, str] = {
    Status.RECEIVED: "received_at",
    Status.UNASSIGNED: "unassigned_at",
    Status.ASSIGNED: "assigned_at",
    Status.PICKING: "picking_started_at",
    Status.PICKED: "picked_at",
    Status.DISPATCHED: "dispatched_at",
    Status.OUT_FOR_DELIVERY: "out_for_delivery_at",
    Status.DELIVERED: "delivered_at",
    Status.COMPLETED: "closed_at",
    Status.REJECTED: "closed_at",
    Status.CANCELLED: "closed_at",
}


@dataclass(frozen=True)
class Outcome:
    order_id: int
    order_no: str
    action: Action
    from_status: Status
    to_status: Status
    version: int
    event_id: int | None


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


def perform(
    ctx: AppContext,
    order_ref: str | int,
    action: Action | str,
    actor: Actor = SYSTEM,
    *,
    expected_version: int | None = None,
    **params: Any,
) -> Outcome:
    """Take `action` on the order as `actor`. Raises Refused / Conflict / NotFound with a readable message."""
    action = Action(action)
    with write_session(ctx.engine) as session:
        order = find_order(session, order_ref)
        return apply(session, ctx, order, action, actor, expected_version=expected_version, **params)


def apply(
    session: Session,
    ctx: AppContext,
    order: Order,
    action: Action,
    actor: Actor,
    *,
    expected_version: int | None = None,
    **params: Any,
) -> Outcome:
    """The same as `perform` inside a caller's transaction (intake, the simulator, bulk actions)."""
    now = ctx.clock.now()
    if order.kind == "replenishment":  # its own short table: services/replenishment.py
        raise Refused("replenish.use_replenish", order=order.order_no)
    if expected_version is not None and order.version != expected_version:
        raise _moved_on(session, order, ctx)
    current = Status(order.status)
    view = OrderView(current, order.store_id, Tier(order.tier) if order.tier else None, order.claimed_by)
    try:
        target = resolve(action, view, actor.role, {**params, "actor_id": actor.id})
    except RuleError as exc:
        raise _explain(session, ctx, order, action, actor, exc) from None
    assert target is not None
    values, detail = _effects(session, ctx, order, action, target, actor, now, params)
    if target != current:
        values["status"] = target.value
        values["status_entered_at"] = now
        stamp = STAGE_STAMP.get(target)
        if stamp:
            values[stamp] = now
    values["updated_at"] = now
    values["updated_by"] = actor.id
    version = order.version
    result = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.version == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise _moved_on(session, order, ctx)
    rule = LIFECYCLE[action]
    if rule.on_behalf_of and not actor.is_system:
        detail["on_behalf_of"] = rule.on_behalf_of
    detail["version"] = version + 1
    ev = session.execute(
        insert(Event)
        .values(
            **event_row(
                now,
                actor,
                SubjectType.ORDER,
                order.id or 0,
                action,
                order_id=order.id,
                from_status=current.value,
                to_status=target.value,
                detail=detail,
            )
        )
        .returning(Event.id)
    ).scalar_one()
    _after(session, ctx, order, action, target, actor, now, params)
    for key, value in values.items():
        setattr(order, key, value)
    order.version = version + 1
    return Outcome(order.id or 0, order.order_no, action, current, target, version + 1, ev)


def _effects(
    session: Session,
    ctx: AppContext,
    order: Order,
    action: Action,
    target: Status,
    actor: Actor,
    now: datetime,
    params: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order columns the action changes, and what its event records."""
    values: dict[str, Any] = {}
    detail: dict[str, Any] = {k: _plain(v) for k, v in params.items() if v is not None and k != "actor_id"}
    match action:
        case Action.REVIEW_FAIL:
            values["review_reason"] = params.get("reason")
        case Action.APPROVE:
            values["review_reason"] = None
        case Action.ASSIGN | Action.REASSIGN:
            store_id = params.get("store_id")
            if store_id:
                store = session.get(Store, store_id)
                if store is None or not store.active:
                    raise NotFound("stores.unknown", id=store_id)
                detail["store_name"] = store.name
            values["store_id"] = store_id or None
            method = params.get("method") or ("auto" if actor.is_system else "manual")
            values["assign_method"] = method if store_id else None
            detail["from_store"] = order.store_id
            if not store_id:
                values["assigned_at"] = None
        case Action.CLAIM:
            values["claimed_by"] = actor.id
            values["claimed_at"] = now
        case Action.RELEASE:
            values["claimed_by"] = None
            values["claimed_at"] = None
        case Action.FINISH_PICKING:
            values["tier"] = Tier.COMPANY.value
        case Action.ESCALATE:
            new_tier = escalation_tier(Tier(order.tier) if order.tier else None, params["reason"])
            values["tier"] = new_tier.value
            values["courier_id"] = None
            detail["from_tier"] = order.tier
            detail["to_tier"] = new_tier.value
        case Action.DISPATCH:
            courier = session.get(Courier, params["courier_id"])
            if courier is None or not courier.active:
                raise NotFound("couriers.unknown", id=params["courier_id"])
            tier = order.tier or Tier.COMPANY.value
            if courier.tier != tier:
                raise Refused("lifecycle.courier_wrong_tier", courier=courier.name, tier=Ref(f"tier.{tier}"))
            if tier == Tier.COMPANY and courier.store_id and courier.store_id != order.store_id:
                raise Refused("lifecycle.courier_wrong_store", courier=courier.name)
            values["courier_id"] = courier.id
            detail["courier_name"] = courier.name
            detail["tier"] = tier
        case Action.UNDISPATCH:
            values["courier_id"] = None
        case Action.HAND_OVER:
            if order.tier != Tier.EMERGENCY and not params.get("till_receipt"):
                raise Refused("lifecycle.till_receipt_required")
        case Action.CALL:
            outcome = CallOutcome(params["outcome"])
            if outcome == CallOutcome.APPOINTMENT:
                values["appointment_at"] = params["appointment_at"]
            elif outcome == CallOutcome.ADDRESS_CORRECTED:
                values["address"] = str(params["address"]).strip()
                detail["old_address"] = order.address
                if target == Status.UNASSIGNED:
                    values.update(store_id=None, courier_id=None, tier=None, assign_method=None,
                                  match_reason=params.get("match_reason"))
        case Action.REDISPATCH:
            values["courier_id"] = None
        case Action.CANCEL:
            values["courier_id"] = None
            if order.payment_method == PaymentMethod.ONLINE and order.payment_status == "paid":
                detail["refund_due"] = fen_to_yuan(order.paid_amount or order.amount)
    return values, detail


def _after(
    session: Session,
    ctx: AppContext,
    order: Order,
    action: Action,
    target: Status,
    actor: Actor,
    now: datetime,
    params: dict[str, Any],
) -> None:
    """Rows beside the order that the action creates: delivery attempts, the cash ledger."""
    if action == Action.DISPATCH:
        attempt = session.exec(select(func.count()).where(Delivery.order_id == order.id)).one() + 1
        session.add(Delivery(order_id=order.id or 0, attempt=attempt, tier=order.tier or Tier.COMPANY.value,
                             courier_id=params["courier_id"], dispatched_at=now))
        return
    if action not in _DELIVERY_ACTIONS:
        return  # review, assignment, picking…: no delivery attempt to look up
    delivery = _open_delivery(session, order.id or 0)
    if delivery is None:
        return
    match action:
        case Action.HAND_OVER:
            delivery.handed_over_at = now
            delivery.till_receipt = params.get("till_receipt")
            delivery.till_amount = params.get("till_amount")
        case Action.CALL if params.get("outcome") == CallOutcome.NOW:
            delivery.out_at = now
        case Action.CALL if target == Status.UNASSIGNED:
            _finish(delivery, now, DeliveryOutcome.UNDISPATCHED, "address_corrected")
        case Action.RELEASE_HOLD:
            pass
        case Action.UNDISPATCH:
            _finish(delivery, now, DeliveryOutcome.UNDISPATCHED, params.get("reason"), params.get("reason_text"))
        case Action.DELIVER:
            _finish(delivery, now, DeliveryOutcome.SIGNED)
            cod = int(params.get("cod_collected") or 0)
            if order.payment_method == PaymentMethod.COD and cod == 0:
                cod = order.amount
            if order.payment_method == PaymentMethod.COD and delivery.courier_id:
                delivery.cod_collected = cod
                session.add(CashEntry(courier_id=delivery.courier_id, business_date=_business_date(ctx, now),
                                      kind="cod_collected", amount=cod, order_id=order.id, actor=actor.id, at=now))
        case Action.REFUSE:
            _finish(delivery, now, DeliveryOutcome.REFUSED, params.get("reason"), params.get("reason_text"))
        case Action.FAIL:
            _finish(delivery, now, DeliveryOutcome.NOT_COMPLETED, params.get("reason"), params.get("reason_text"))
        case Action.CANCEL:
            _finish(delivery, now, DeliveryOutcome.CANCELLED, params.get("reason"), params.get("reason_text"))
    session.add(delivery)


# The actions that touch the open delivery attempt (see the match in `_after`).
_DELIVERY_ACTIONS = frozenset({Action.HAND_OVER, Action.CALL, Action.UNDISPATCH, Action.DELIVER, Action.REFUSE,
                               Action.FAIL, Action.CANCEL})


def _open_delivery(session: Session, order_id: int) -> Delivery | None:
    return session.exec(
        select(Delivery).where(Delivery.order_id == order_id, Delivery.finished_at.is_(None))  # type: ignore[union-attr]
        .order_by(Delivery.attempt.desc())  # type: ignore[attr-defined]
    ).first()


def _finish(d: Delivery, now: datetime, outcome: DeliveryOutcome, code: Any = None, text: Any = None) -> None:
    d.finished_at = now
    d.outcome = outcome.value
    d.reason_code = str(code) if code else None
    d.reason_text = str(text) if text else None


def _business_date(ctx: AppContext, when: datetime) -> str:
    return when.astimezone(ctx.settings.tz).date().isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _last_change(session: Session, order: Order) -> tuple[str, str, datetime | None]:
    """Who last changed the order's status, and when: for refusals people can act on."""
    ev = session.exec(
        select(Event).where(Event.order_id == order.id, Event.to_status == order.status)
        .order_by(Event.id.desc())  # type: ignore[union-attr]
    ).first()
    if ev is None:
        return "-", "-", None
    op = session.get(Operator, ev.actor)
    who = op.name if op else (Ref("actor.system") if ev.actor == "system" else ev.actor)
    return who, ev.actor, ev.at


def _explain(session: Session, ctx: AppContext, order: Order, action: Action, actor: Actor, exc: RuleError) -> ServiceError:
    params = dict(exc.params)
    params.setdefault("order", order.order_no)
    if exc.code == "lifecycle.wrong_status":
        who, _, at = _last_change(session, order)
        store = session.get(Store, order.store_id) if order.store_id else None
        params.update(
            status=Ref(f"status.{order.status}"),
            action=Ref(f"action.{action}"),
            who=who,
            at=at.astimezone(ctx.settings.tz).strftime("%H:%M") if at else "-",
            store=store.name if store else "",
        )
        key = "lifecycle.already_status_store" if store and order.status != Status.UNASSIGNED else exc.code
        return Refused(key, **params)
    if exc.code == "lifecycle.role_refused":
        params.update(action=Ref(f"action.{action}"), role=Ref(f"role.{actor.role}"))
    if exc.code == "lifecycle.claimed_by_other":
        op = session.get(Operator, params["holder"])
        params["holder"] = op.name if op else params["holder"]
    return Refused(exc.code, **params)


def _moved_on(session: Session, order: Order, ctx: AppContext) -> Conflict:
    session.expire_all()
    fresh = session.get(Order, order.id)
    status = fresh.status if fresh else order.status
    ev = session.exec(
        select(Event).where(Event.order_id == order.id).order_by(Event.id.desc())  # type: ignore[union-attr]
    ).first()
    who = "-"
    at = "-"
    if ev is not None:
        op = session.get(Operator, ev.actor)
        who = op.name if op else (Ref("actor.system") if ev.actor == "system" else ev.actor)
        at = ev.at.astimezone(ctx.settings.tz).strftime("%H:%M")
    return Conflict("lifecycle.moved_on", order=order.order_no, status=Ref(f"status.{status}"), who=who, at=at)


def order_history(ctx: AppContext, order_ref: str | int) -> tuple[Order, list[Event]]:
    with read_session(ctx.engine) as s:
        order = find_order(s, order_ref)
        events = list(s.exec(select(Event).where(Event.order_id == order.id).order_by(Event.id)))  # type: ignore[arg-type]
        return order, events


def role_of(actor: Actor) -> Role:
    return actor.role


def receive_order(
    session: Session,
    ctx: AppContext,
    order: Order,
    lines: list[OrderLine],
    actor: Actor = SYSTEM,
    *,
    match_address: bool = True,
) -> Outcome:
    """Create an order (`receive`) and run the automatic review at once (`review_pass` / `review_fail`).

    The one way in for a single order: phone entry, the simulator and intake all end here. After
    `review_pass` the address matcher assigns the store in the same transaction when the rules find
    exactly one (services/matching.py); otherwise the reason and suggestions stay on the order.
    """
    now = ctx.clock.now()
    try:
        resolve(Action.RECEIVE, None, actor.role, {})
    except RuleError as exc:
        raise Refused(exc.code, action=Ref("action.receive"), role=Ref(f"role.{actor.role}")) from None
    order.status = Status.RECEIVED.value
    order.version = 1
    order.amount = sum(round(line.qty * line.unit_price) for line in lines)
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
    session.execute(
        insert(Event).values(
            **event_row(now, actor, SubjectType.ORDER, order.id or 0, Action.RECEIVE, order_id=order.id,
                        to_status=Status.RECEIVED.value,
                        detail={"channel": order.channel, "order_no": order.order_no, "source": order.source,
                                "version": 1})
        )
    )
    verdict = review_order(session, order, lines)
    if verdict.passed:
        passed = apply(session, ctx, order, Action.REVIEW_PASS, SYSTEM)
        if match_address:
            from ops_console.services.matching import match_new_order

            return match_new_order(session, ctx, order) or passed
        return passed
    return apply(session, ctx, order, Action.REVIEW_FAIL, SYSTEM, reason=verdict.reason, reason_text=verdict.detail)


def review_order(session: Session, order: Order, lines: list[OrderLine]) -> Verdict:
    skus = {line.sku for line in lines}
    catalogue = {
        s.code: SkuFacts(price=s.price, stock=s.stock)
        for s in session.exec(select(Sku).where(Sku.code.in_(skus)))  # type: ignore[attr-defined]
    } if skus else {}
    return review(
        [LineFacts(line.sku, line.qty, line.unit_price) for line in lines],
        catalogue,
        order.payment_method,
        order.payment_status,
        order.amount,
        order.paid_amount,
    )


def order_lines(ctx: AppContext, order_id: int) -> list[OrderLine]:
    with read_session(ctx.engine) as s:
        return list(s.exec(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)))


def store_for_address(ctx: AppContext, address: str) -> str | None:
    """The store the matcher assigns automatically for an address, or None (manual)."""
    try:
        from ops_console.services import matching
    except ImportError:  # the matcher arrives with the assignment issue
        return None
    return matching.auto_store(ctx, address)  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------------------
# Many new orders at once (intake's bulk path)
# ----------------------------------------------------------------------------------------------


class Received(NamedTuple):
    """What `receive_orders` did with one order."""

    order_id: int
    status: Status
    review_reason: str | None = None
    store_id: str | None = None


def receive_orders(
    session: Session,
    ctx: AppContext,
    orders: list[dict[str, Any]],
    lines: list[list[dict[str, Any]]],
    actor: Actor = SYSTEM,
    *,
    match_address: bool = True,
) -> list[Received]:
    """`receive_order` for many new orders in the caller's transaction, written with Core executemany.

    The same steps, table and rows as `receive_order`: `receive`, the automatic review (the same
    `review` over the same catalogue facts) leading to `review_pass` or `review_fail`, and after a
    pass the address matcher's automatic `assign` (or its reason and suggestions kept on the order);
    every status comes from `resolve()` of the lifecycle table and every step appends its Event in
    order. Only the writing differs: the ids are reserved, then orders, lines and events go in as
    three executemany statements instead of one ORM flush per order.

    `orders[i]`: Order column values of a new order (channel, order_no, customer, payment, source,
    fingerprint, …; not status, version, amount, stamps); `lines[i]`: its OrderLine values without
    order_id and line_no. The caller checks that the orders are new.
    """
    from ops_console.domain.types import AssignMethod
    from ops_console.storage.bulk import insert_rows, reserve_ids, row_defaults

    if not orders:
        return []
    now = ctx.clock.now()
    try:
        received = resolve(Action.RECEIVE, None, actor.role, {})
    except RuleError as exc:
        raise Refused(exc.code, action=Ref("action.receive"), role=Ref(f"role.{actor.role}")) from None
    assert received is not None
    conn = session.connection()
    ids = reserve_ids(conn, Order.__table__, len(orders))  # type: ignore[attr-defined]
    catalogue = _sku_facts(session, {li["sku"] for order_lines in lines for li in order_lines})
    matcher, store_names = _bulk_matcher(session, ctx) if match_address else (None, {})
    targets: dict[tuple[Any, ...], Status] = {}

    def target(action: Action, view: OrderView, **params: Any) -> Status:
        # The table decides; identical questions get the identical answer, so ask once per kind of
        # question: what resolve() looks at is the action, the status, the reason (and whether it
        # has a text) and whether a store is named.
        key = (action, view.status, params.get("reason"), bool(params.get("reason_text")), bool(params.get("store_id")))
        found = targets.get(key)
        if found is None:
            found = resolve(action, view, SYSTEM.role, params)
            assert found is not None
            targets[key] = found
        return found

    # Columns left NULL need not be sent; every row gets the same keys (one executemany).
    order_defaults = {k: v for k, v in row_defaults(Order).items() if v is not None}
    order_defaults.update(store_id=None, assign_method=None, match_reason=None, review_reason=None,
                          unassigned_at=None, assigned_at=None)  # fmt: skip
    line_defaults = {k: v for k, v in row_defaults(OrderLine).items() if v is not None}
    view = OrderView(received, None, None, None)
    unassigned_view = OrderView(Status.UNASSIGNED, None, None, None)
    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    out: list[Received] = []
    received_text, receive, actor_id = received.value, Action.RECEIVE, actor.id
    # Enum members looked up once (each `Enum.MEMBER` is a descriptor call in the loop otherwise).
    passed_step, failed_step, assign_step = Action.REVIEW_PASS, Action.REVIEW_FAIL, Action.ASSIGN
    order_subject, unassigned, auto = SubjectType.ORDER, Status.UNASSIGNED, AssignMethod.AUTO.value
    stamps = {"status": received_text, "version": 1, "status_entered_at": now, "updated_at": now,
              "updated_by": actor_id}  # fmt: skip
    for order_id, values, order_lines in zip(ids, orders, lines, strict=True):
        row = {**order_defaults, **values, **stamps}
        amount = 0
        facts = []
        for n, li in enumerate(order_lines, start=1):
            qty, price = li["qty"], li["unit_price"]
            amount += qty * price if type(qty) is int else round(qty * price)
            facts.append(LineFacts(li["sku"], qty, price))
            line_rows.append({**line_defaults, **li, "order_id": order_id, "line_no": n})
        row["id"], row["amount"] = order_id, amount
        if row.get("received_at") is None:
            row["received_at"] = now
        event_rows.append(event_row(now, actor, order_subject, order_id, receive, order_id=order_id,
                                    to_status=received_text,
                                    detail={"channel": row["channel"], "order_no": row["order_no"],
                                            "source": row["source"], "version": 1}))  # fmt: skip
        verdict = review(facts, catalogue, row["payment_method"], row["payment_status"], amount, row["paid_amount"])
        if verdict.passed:
            step, params = passed_step, {}
        else:
            step, params = failed_step, {"reason": verdict.reason, "reason_text": verdict.detail}
            row["review_reason"] = verdict.reason
        _bulk_step(row, event_rows, step, received, target(step, view, **params), now, params)
        if verdict.passed and matcher is not None:
            result = matcher.match(row["address"] or "")
            if result.auto and result.store_id and result.store_id in store_names:
                keywords = ", ".join(sorted({h.keyword for h in result.keywords}))
                params = {"store_id": result.store_id, "method": auto,
                          "keyword": result.keyword, "keywords": keywords}  # fmt: skip
                assert row["status"] == unassigned
                assigned = target(assign_step, unassigned_view, **params)
                row.update(store_id=result.store_id, assign_method=auto)
                _bulk_step(row, event_rows, assign_step, unassigned, assigned, now, params,
                           store_name=store_names[result.store_id], from_store=None)  # fmt: skip
            else:
                from ops_console.services.matching import suggestions_json

                row.update(match_reason=result.reason_text(), suggestions=suggestions_json(result.suggestions))
        order_rows.append(row)
        out.append(Received(order_id, row["status"], row["review_reason"], row["store_id"]))
    insert_rows(conn, Order.__table__, order_rows)  # type: ignore[attr-defined]
    insert_rows(conn, OrderLine.__table__, line_rows)  # type: ignore[attr-defined]
    insert_rows(conn, Event.__table__, event_rows)  # type: ignore[attr-defined]
    return out


_VERSION_ONLY: dict[int, dict[str, int]] = {}  # never modified once made
_ORDER_SUBJECT = SubjectType.ORDER


def _bulk_step(row: dict[str, Any], events: list[dict[str, Any]], action: Action, current: Status, target: Status,
               now: datetime, params: dict[str, Any], **noted: Any) -> None:
    """What `apply` does to an order row for a system step: status, stamps, version, the Event
    (its detail: the params that are set, then what `_effects` notes, then the version)."""
    if target != current:
        row["status"] = target
        row["status_entered_at"] = now
        stamp = STAGE_STAMP.get(target)
        if stamp:
            row[stamp] = now
    row["updated_at"] = now
    row["updated_by"] = SYSTEM.id
    row["version"] += 1
    if params or noted:
        detail = {k: _plain(v) for k, v in params.items() if v is not None}
        detail.update(noted)
        detail["version"] = row["version"]
    else:  # the same small detail for thousands of rows: one object, serialized once
        detail = _VERSION_ONLY.get(row["version"]) or _VERSION_ONLY.setdefault(row["version"], {"version": row["version"]})
    events.append(event_row(now, SYSTEM, _ORDER_SUBJECT, row["id"], action, order_id=row["id"],
                            from_status=current, to_status=target, detail=detail))  # fmt: skip


def _sku_facts(session: Session, skus: set[str]) -> dict[str, SkuFacts]:
    facts: dict[str, SkuFacts] = {}
    codes = sorted(skus)
    for i in range(0, len(codes), 500):
        chunk = codes[i : i + 500]
        for code, price, stock in session.exec(
            select(Sku.code, Sku.price, Sku.stock).where(Sku.code.in_(chunk))  # type: ignore[attr-defined]
        ):
            facts[code] = SkuFacts(price=price, stock=stock)
    return facts


def _bulk_matcher(session: Session, ctx: AppContext) -> tuple[Any, dict[str, str]]:
    """The address matcher and the active stores' names, or (None, {}) before matching exists."""
    try:
        from ops_console.services import matching
    except ImportError:  # pragma: no cover - the matcher arrives with the assignment issue
        return None, {}
    names = {sid: name for sid, name in session.exec(select(Store.id, Store.name).where(Store.active))}  # type: ignore[arg-type]
    return matching.matcher(ctx, session), names
