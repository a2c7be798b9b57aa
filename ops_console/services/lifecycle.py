"""One service call performs one action of the lifecycle table on one order.

It checks the table and the operator's role (domain/lifecycle.py), updates the order only if
its version is still the one the caller saw (`UPDATE … WHERE id=? AND version=?`), and appends
the Event, all in one transaction. The console, the CLI, intake and the simulator all use it.

This is the state engine only. Around it: services/lookup.py finds orders (below the engine),
services/receiving.py creates one order and reviews it, services/bulk_receive.py creates many,
services/matching.py assigns by address — all three above the engine, none imported by it.
One `Transition` value describes a step; `apply` and the bulk path both stamp, version and log
it with the same methods, so there is no second copy of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from ops_console.domain.lifecycle import LIFECYCLE, OrderView, RuleError, escalation_tier, resolve
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.types import (
    Action,
    CallOutcome,
    DeliveryOutcome,
    PaymentMethod,
    Status,
    SubjectType,
    Tier,
)
from ops_console.i18n import Ref
from ops_console.services.cash import book_cod
from ops_console.services.cash_checks import check_cash
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.courier_load import check_capacity
from ops_console.services.errors import Conflict, NotFound, Refused, ServiceError
from ops_console.services.events import event_row
from ops_console.services.lookup import find_order, order_history, order_lines
from ops_console.services.shortage import mark_shortage
from ops_console.storage.db import write_session
from ops_console.storage.models import (
    Courier,
    Delivery,
    Event,
    Operator,
    Order,
    Store,
)

# Lookups live in services/lookup.py; re-exported so `lifecycle.find_order` keeps working.
__all__ = ["STAGE_STAMP", "Outcome", "Transition", "apply", "find_order", "order_history", "order_lines",
           "perform", "receive_status", "system_effects"]

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


_VERSION_ONLY: dict[int, dict[str, int]] = {}  # never modified once made


@dataclass(frozen=True)
class Transition:
    """One step of the lifecycle table on one order, as `resolve()` allowed it.

    `apply` (one order, ORM session) and the bulk receive path (many rows, Core executemany) both
    take their stage stamps and their Event from this value, so the two cannot drift apart.
    """

    order_id: int
    action: Action
    current: Status
    target: Status
    actor: Actor
    now: datetime
    params: Mapping[str, Any] = field(default_factory=dict)

    def stamps(self) -> dict[str, Any]:
        """Status, the stage clock entered, and who touched the order when."""
        values: dict[str, Any] = {}
        if self.target != self.current:
            values["status"] = self.target.value
            values["status_entered_at"] = self.now
            stamp = STAGE_STAMP.get(self.target)
            if stamp:
                values[stamp] = self.now
        values["updated_at"] = self.now
        values["updated_by"] = self.actor.id
        return values

    def detail(self) -> dict[str, Any]:
        """The event detail the params give: every value that is set, made JSON-plain."""
        return {k: v if type(v) in _AS_IS else _plain(v) for k, v in self.params.items()
                if v is not None and k != "actor_id"}

    def event(self, version: int, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """The Event row of the step; `detail` gains who it was on behalf of and the new version."""
        on_behalf_of = LIFECYCLE[self.action].on_behalf_of if not self.actor.is_system else None
        if detail or on_behalf_of:
            detail = dict(detail or {})
            if on_behalf_of:
                detail["on_behalf_of"] = on_behalf_of
            detail["version"] = version
        else:  # the same small detail for thousands of bulk rows: one object, serialized once
            detail = _VERSION_ONLY.get(version) or _VERSION_ONLY.setdefault(version, {"version": version})
        return event_row(self.now, self.actor, SubjectType.ORDER, self.order_id, self.action,
                         order_id=self.order_id, from_status=self.current.value, to_status=self.target.value,
                         detail=detail)


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
    t = Transition(order.id or 0, action, current, target, actor, now, params)
    effects, detail = _effects(session, order, t)
    detail.update(check_cash(session, ctx, order, action, params))  # amounts typed by people: sane, explained
    # The action's own effects win over the generic stage stamp (approve sets the queue clock).
    values = {**t.stamps(), **effects}
    version = order.version
    result = session.exec(
        update(Order)
        .where(col(Order.id) == order.id, col(Order.version) == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise _moved_on(session, order, ctx)
    ev = session.execute(insert(Event).values(**t.event(version + 1, detail)).returning(col(Event.id))).scalar_one()
    _after(session, ctx, order, t)
    for key, value in values.items():
        setattr(order, key, value)
    order.version = version + 1
    return Outcome(order.id or 0, order.order_no, action, current, target, version + 1, ev)


def receive_status(actor: Actor) -> Status:
    """The status a new order enters; Refused when the actor may not `receive` (table and role)."""
    try:
        received = resolve(Action.RECEIVE, None, actor.role, {})
    except RuleError as exc:
        raise Refused(exc.code, action=Ref("action.receive"), role=Ref(f"role.{actor.role}")) from None
    assert received is not None
    return received


def system_effects(t: Transition, from_store: str | None = None,
                   store_name: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns and event detail of the steps intake takes without a session: the review and
    the automatic assignment. Shared by `apply` and the bulk receive path (the store is known)."""
    values: dict[str, Any] = {}
    detail = t.detail()
    params = t.params
    match t.action:
        case Action.REVIEW_FAIL:
            values["review_reason"] = params.get("reason")
        case Action.ASSIGN | Action.REASSIGN:
            store_id = params.get("store_id")
            if store_id:
                detail["store_name"] = store_name
            values["store_id"] = store_id or None
            method = params.get("method") or ("auto" if t.actor.is_system else "manual")
            values["assign_method"] = method if store_id else None
            detail["from_store"] = from_store
            if not store_id:
                values["assigned_at"] = None
    return values, detail


def _effects(session: Session, order: Order, t: Transition) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order columns the action changes, and what its event records."""
    params = t.params
    match t.action:
        case Action.REVIEW_FAIL | Action.REVIEW_PASS:
            return system_effects(t)
        case Action.ASSIGN | Action.REASSIGN:
            store_id = params.get("store_id")
            name = None
            if store_id:
                store = session.get(Store, store_id)
                if store is None or not store.active:
                    raise NotFound("stores.unknown", id=store_id)
                name = store.name
            return system_effects(t, order.store_id, name)
    values: dict[str, Any] = {}
    detail = t.detail()
    match t.action:
        case Action.APPROVE:
            values["review_reason"] = None
            # The backlog clock of an approved order counts from receipt: the customer has been
            # waiting all through the manual review (CONTRACTS: backlog age). The history keeps
            # how long the review took.
            values["unassigned_at"] = order.received_at or t.now
            entered = order.status_entered_at or order.received_at
            if entered is not None:
                detail["review_minutes"] = max(0, int((t.now - entered).total_seconds() // 60))
            if order.review_reason:
                detail["review_reason"] = order.review_reason
        case Action.CLAIM:
            values["claimed_by"] = t.actor.id
            values["claimed_at"] = t.now
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
            # refuse past capacity unless overridden with a reason
            detail.update(check_capacity(session, order, courier, params))
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
                if t.target == Status.UNASSIGNED:
                    values.update(store_id=None, courier_id=None, tier=None, assign_method=None,
                                  match_reason=params.get("match_reason"))
        case Action.REPORT_SHORTAGE:
            values.update(mark_shortage(session, order, dict(params), detail))
        case Action.REDISPATCH:
            values["courier_id"] = None
        case Action.CANCEL:
            values["courier_id"] = None
            if order.payment_method == PaymentMethod.ONLINE and order.payment_status == "paid":
                detail["refund_due"] = fen_to_yuan(order.paid_amount or order.amount)
    return values, detail


def _after(session: Session, ctx: AppContext, order: Order, t: Transition) -> None:
    """Rows beside the order that the action creates: delivery attempts, the cash ledger."""
    action, target, now, params = t.action, t.target, t.now, t.params
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
            # COD booked at the till amount when one was rung up (services/cash.py); 0 is a real
            # answer (nothing collected), None is "as due"
            collected = params.get("cod_collected")
            book_cod(session, ctx, order, delivery, t.actor, now, None if collected is None else int(collected))
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
        select(Delivery).where(col(Delivery.order_id) == order_id, col(Delivery.finished_at).is_(None))
        .order_by(col(Delivery.attempt).desc())
    ).first()


def _finish(d: Delivery, now: datetime, outcome: DeliveryOutcome, code: Any = None, text: Any = None) -> None:
    d.finished_at = now
    d.outcome = outcome.value
    d.reason_code = str(code) if code else None
    d.reason_text = str(text) if text else None


_AS_IS = frozenset({str, int, float, bool})  # what _plain returns unchanged, known by its exact type


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
        .order_by(col(Event.id).desc())
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
        select(Event).where(col(Event.order_id) == order.id).order_by(col(Event.id).desc())
    ).first()
    who = "-"
    at = "-"
    if ev is not None:
        op = session.get(Operator, ev.actor)
        who = op.name if op else (Ref("actor.system") if ev.actor == "system" else ev.actor)
        at = ev.at.astimezone(ctx.settings.tz).strftime("%H:%M")
    return Conflict("lifecycle.moved_on", order=order.order_no, status=Ref(f"status.{status}"), who=who, at=at)


