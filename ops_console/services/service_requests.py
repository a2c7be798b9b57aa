"""Service requests — returns, exchanges, refunds, complaints — from opening to closing.

Each call is one transaction and one Event (subject type `service_request`, with the order's id so
it shows in the order's history; action `service_open`, `service_confirm`, `service_contact`,
`service_pickup`, `service_refund`, `service_exchange`, `service_decline`, `service_close`). The steps and
the policy are in domain/service_requests.py; the deadlines (first contact, refund by workdays)
are stamped on the row when it is opened, and `reminder_conditions` feeds the reminder checks.
A cash refund is booked in the courier's cash ledger; an exchange creates the replacement order
for the same store, received and assigned without the automatic review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from ops_console.config import Settings
from ops_console.domain.lifecycle import RuleError
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.reminders import Condition, Severity
from ops_console.domain.service_requests import (
    LIVE,
    OPEN_ROLES,
    Policy,
    RefundMethod,
    RequestAction,
    RequestStatus,
    RequestType,
    check_window,
    deadlines,
    next_status,
    pending_deadline,
    produce_only,
)
from ops_console.domain.types import (
    Action,
    AssignMethod,
    PaymentMethod,
    PaymentStatus,
    RefusalReason,
    Role,
    Status,
    SubjectType,
)
from ops_console.i18n import Ref
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import Conflict, NotFound, Refused
from ops_console.services.events import event_row, record
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Courier, Delivery, Event, Order, OrderLine, ServiceRequest

SUBJECT = "service_request"

# Orders a request may be opened on: goods delivered, refused at the door, or an undelivered order
# whose money must go back (refund only).
_DELIVERED_LIKE = frozenset({Status.DELIVERED, Status.COMPLETED, Status.REFUSED})
_REFUNDABLE = _DELIVERED_LIKE | {Status.CANCELLED, Status.NOT_COMPLETED}


class ServiceReminderKind(StrEnum):
    """This capability's reminder kind, beside domain/reminders.ReminderKind (the checks take any StrEnum)."""

    SERVICE_REQUEST_DUE = "service_request_due"


@dataclass(frozen=True)
class RequestView:
    id: int
    order_id: int
    order_no: str
    channel: str
    type: str
    status: str
    reason: str
    text: str
    refund_method: str | None
    refund_amount: int
    courier_id: str | None
    deadline_kind: str | None
    deadline: datetime | None
    created_at: datetime | None
    created_by: str
    confirmed_by: str | None
    replacement_order_no: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "order_no": self.order_no,
            "channel": self.channel,
            "type": self.type,
            "status": self.status,
            "reason": self.reason,
            "text": self.text,
            "refund_method": self.refund_method,
            "refund_amount": fen_to_yuan(self.refund_amount) if self.refund_method else None,
            "courier_id": self.courier_id,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "deadline_kind": self.deadline_kind,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "created_by": self.created_by,
            "confirmed_by": self.confirmed_by,
            "replacement_order_no": self.replacement_order_no,
        }


def policy(settings: Settings) -> Policy:
    r = settings.returns
    return Policy(r.window_days, r.produce_window_hours, r.contact_hours, r.refund_workdays,
                  frozenset(_dates(r.holidays, "returns.holidays")),
                  frozenset(_dates(r.extra_workdays, "returns.extra_workdays")))


def _dates(values: list[str], key: str) -> list[date]:
    out = []
    for v in values:
        try:
            out.append(date.fromisoformat(v))
        except ValueError:
            raise Refused("service.bad_setting_date", key=key, value=v) from None
    return out


def _refused(exc: RuleError) -> Refused:
    refs = {"action", "role", "status", "type"}
    return Refused(exc.code, **{k: Ref(v) if k in refs else v for k, v in exc.params.items()})


def _event(s: Session, now: datetime, actor: Actor, sr: ServiceRequest, action: RequestAction, before: str | None,
           **detail: Any) -> None:
    # `service_<step>`: apart from the order's own actions (an order's `confirm` is not a request's).
    record(s, now, actor, SubjectType.SERVICE_REQUEST, sr.id or 0, f"service_{action.value}", order_id=sr.order_id,
           from_status=before, to_status=sr.status,
           detail={"type": sr.kind, **{k: v for k, v in detail.items() if v is not None}})


# ---------------------------------------------------------------------------------------- open


def open_request(ctx: AppContext, order_ref: str | int, kind: str, text: str, actor: Actor,
                 reason: str | None = None) -> RequestView:
    """Open a request on an order (customer service or a dispatcher records it; it waits for
    customer service to confirm). The policy is checked here: window, produce rule."""
    from ops_console.services.lifecycle import find_order

    if actor.role not in OPEN_ROLES and actor.role != Role.SUPERVISOR:
        raise Refused("service.role_refused", action=Ref("service.action.open"), role=Ref(f"role.{actor.role}"))
    try:
        rtype = RequestType(kind)
    except ValueError:
        raise Refused("service.bad_type", value=kind, allowed=", ".join(t.value for t in RequestType)) from None
    try:
        code = RefusalReason(reason or RefusalReason.OTHER)
    except ValueError:
        raise Refused("service.bad_reason", value=str(reason),
                      allowed=", ".join(r.value for r in RefusalReason)) from None
    if not text.strip():
        raise Refused("service.text_required")
    now = ctx.clock.now()
    pol = policy(ctx.settings)
    with write_session(ctx.engine) as s:
        order = find_order(s, order_ref)
        allowed = _REFUNDABLE if rtype == RequestType.REFUND else (
            frozenset(Status) if rtype == RequestType.COMPLAINT else _DELIVERED_LIKE)
        if order.kind != "customer" or Status(order.status) not in allowed:
            raise Refused("service.order_status", order=order.order_no, status=Ref(f"status.{order.status}"),
                          type=Ref(f"service.type.{rtype}"))
        categories = list(s.exec(select(OrderLine.category).where(OrderLine.order_id == order.id)))
        try:
            check_window(pol, rtype, code, order.delivered_at, produce_only(categories), now)
        except RuleError as exc:
            raise Refused(exc.code, order=order.order_no, **exc.params) from None
        twin = s.exec(select(ServiceRequest.id).where(
            ServiceRequest.order_id == order.id, ServiceRequest.kind == rtype.value,
            col(ServiceRequest.status).in_([x.value for x in LIVE]))).first()
        if twin is not None:
            raise Conflict("service.already_open", order=order.order_no, id=twin, type=Ref(f"service.type.{rtype}"))
        contact_due, refund_due = deadlines(pol, rtype, now, ctx.settings.tz)
        sr = ServiceRequest(order_id=order.id or 0, kind=rtype.value, reason=text.strip()[:500],
                            reason_code=code.value, status=RequestStatus.REQUESTED.value, created_at=now,
                            updated_at=now, status_changed_at=now, created_by=actor.id,
                            contact_due_at=contact_due, refund_due_at=refund_due)
        s.add(sr)
        s.flush()
        _event(s, now, actor, sr, RequestAction.OPEN, None, order_no=order.order_no, reason=code.value,
               text=text.strip(), contact_due=contact_due.isoformat(),
               refund_due=refund_due.isoformat() if refund_due else None)
        return _view(s, sr)


# ------------------------------------------------------------------------------------- the steps


def _load(s: Session, request_id: int) -> ServiceRequest:
    sr = s.get(ServiceRequest, request_id)
    if sr is None:
        raise NotFound("service.not_found", id=request_id)
    return sr


def _step(s: Session, sr: ServiceRequest, action: RequestAction, actor: Actor) -> tuple[str, RequestStatus]:
    try:
        target = next_status(action, RequestType(sr.kind), RequestStatus(sr.status), actor.role)
    except RuleError as exc:
        raise _refused(exc) from None
    return sr.status, target


def _move(s: Session, sr: ServiceRequest, target: RequestStatus, now: datetime) -> None:
    sr.status = target.value
    sr.updated_at = now
    sr.status_changed_at = now
    s.add(sr)
    s.flush()


def act(ctx: AppContext, request_id: int, action: RequestAction | str, actor: Actor, note: str | None = None
        ) -> RequestView:
    """`confirm`, `contact`, `pickup`, `decline`, `close` (refund and exchange have their own calls)."""
    action = RequestAction(action)
    if action in (RequestAction.REFUND, RequestAction.EXCHANGE, RequestAction.OPEN):
        raise Refused("service.use_own_command", action=Ref(f"service.action.{action}"))
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        sr = _load(s, request_id)
        before, target = _step(s, sr, action, actor)
        if action == RequestAction.DECLINE and not (note or "").strip():
            raise Refused("service.decline_needs_text")
        if action == RequestAction.CONFIRM:
            sr.confirmed_by = actor.id
        _move(s, sr, target, now)
        _event(s, now, actor, sr, action, before, note=(note or "").strip() or None)
        return _view(s, sr)


def refund(ctx: AppContext, request_id: int, method: str, actor: Actor, *, courier_id: str | None = None,
           amount: int | None = None) -> RequestView:
    """Refund the customer: `online`, or `cash` paid by a courier (booked in its cash ledger). The
    amount defaults to what the customer paid, and may not exceed it."""
    from ops_console.services import cash

    try:
        how = RefundMethod(method)
    except ValueError:
        raise Refused("service.bad_method", value=method, allowed="cash, online") from None
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        sr = _load(s, request_id)
        before, target = _step(s, sr, RequestAction.REFUND, actor)
        order = s.get(Order, sr.order_id)
        assert order is not None
        paid = _paid(s, order)
        value = paid if amount is None else amount
        if value <= 0 or value > paid:
            raise Refused("service.bad_amount", amount=fen_to_yuan(value), paid=fen_to_yuan(paid))
        courier = None
        if how == RefundMethod.CASH:
            if not courier_id:
                raise Refused("service.cash_needs_courier")
            courier = s.get(Courier, courier_id)
            if courier is None or not courier.active:
                raise NotFound("couriers.unknown", id=courier_id)
            cash.book_refund(s, ctx, courier, value, order.id or 0, actor, now)
        elif courier_id:
            raise Refused("service.online_no_courier")
        sr.refund_method = how.value
        sr.amount = value
        sr.courier_id = courier.id if courier else None
        _move(s, sr, target, now)
        _event(s, now, actor, sr, RequestAction.REFUND, before, method=how.value, amount=fen_to_yuan(value),
               courier_id=sr.courier_id)
        return _view(s, sr)


def _paid(s: Session, order: Order) -> int:
    """What the customer paid: cash collected at the door for COD, else the paid (or order) amount."""
    if order.payment_method == PaymentMethod.COD:
        cod = s.exec(select(func.sum(Delivery.cod_collected)).where(Delivery.order_id == order.id)).one()
        return int(cod or 0)
    return order.paid_amount or order.amount


def exchange(ctx: AppContext, request_id: int, actor: Actor) -> tuple[RequestView, str]:
    """The replacement order: the same lines for the same store, received and assigned at once without
    the automatic review (the goods were paid for). Returns the request and the new order number."""
    from ops_console.services.lifecycle import apply

    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        sr = _load(s, request_id)
        before, target = _step(s, sr, RequestAction.EXCHANGE, actor)
        original = s.get(Order, sr.order_id)
        assert original is not None
        if not original.store_id:
            raise Refused("service.exchange_no_store", order=original.order_no)
        n = s.exec(select(func.count()).where(col(Order.order_no).like(f"{original.order_no}-X%"),
                                              Order.channel == original.channel)).one() + 1
        lines = list(s.exec(select(OrderLine).where(OrderLine.order_id == original.id).order_by(col(OrderLine.line_no))))
        amount = sum(round(li.qty * li.unit_price) for li in lines)
        replacement = Order(
            channel=original.channel, order_no=f"{original.order_no}-X{n}", kind=original.kind,
            status=Status.RECEIVED.value, version=1, customer_name=original.customer_name, phone=original.phone,
            address=original.address, payment_method=PaymentMethod.ONLINE.value,
            payment_status=PaymentStatus.PAID.value, amount=amount, paid_amount=amount,
            remarks=f"exchange for {original.channel}:{original.order_no} (service request {sr.id})",
            urgent=original.urgent, source=f"exchange, service request {sr.id} by {actor.id}",
            placed_at=now, received_at=now, status_entered_at=now, updated_at=now, updated_by=SYSTEM.id)
        s.add(replacement)
        s.flush()
        for li in lines:
            s.add(OrderLine(order_id=replacement.id or 0, line_no=li.line_no, sku=li.sku, name=li.name, spec=li.spec,
                            category=li.category, qty=li.qty, unit=li.unit, unit_price=li.unit_price, step=li.step,
                            weight_g=li.weight_g))
        s.execute(insert(Event).values(**event_row(
            now, SYSTEM, SubjectType.ORDER, replacement.id or 0, Action.RECEIVE, order_id=replacement.id,
            to_status=Status.RECEIVED.value,
            detail={"channel": replacement.channel, "order_no": replacement.order_no, "source": replacement.source,
                    "service_request": sr.id, "replaces": original.order_no, "version": 1})))
        # The review is skipped, not failed: the event says so.
        apply(s, ctx, replacement, Action.REVIEW_PASS, SYSTEM, review="skipped_exchange", service_request=sr.id)
        apply(s, ctx, replacement, Action.ASSIGN, SYSTEM, store_id=original.store_id,
              method=AssignMethod.MANUAL.value, service_request=sr.id)
        sr.replacement_order_id = replacement.id
        _move(s, sr, target, now)
        _event(s, now, actor, sr, RequestAction.EXCHANGE, before, replacement_order_no=replacement.order_no,
               store_id=original.store_id)
        return _view(s, sr), replacement.order_no


# ---------------------------------------------------------------------------------------- reads


def _view(s: Session, sr: ServiceRequest, orders: dict[int, Order] | None = None) -> RequestView:
    order = (orders or {}).get(sr.order_id) or s.get(Order, sr.order_id)
    replacement = None
    if sr.replacement_order_id:
        rep = (orders or {}).get(sr.replacement_order_id) or s.get(Order, sr.replacement_order_id)
        replacement = rep.order_no if rep else None
    pending = pending_deadline(RequestStatus(sr.status), sr.contact_due_at, sr.refund_due_at)
    return RequestView(
        id=sr.id or 0, order_id=sr.order_id, order_no=order.order_no if order else "?",
        channel=order.channel if order else "?", type=sr.kind, status=sr.status, reason=sr.reason_code,
        text=sr.reason, refund_method=sr.refund_method, refund_amount=sr.amount, courier_id=sr.courier_id,
        deadline_kind=pending[0] if pending else None, deadline=pending[1] if pending else None,
        created_at=sr.created_at, created_by=sr.created_by, confirmed_by=sr.confirmed_by,
        replacement_order_no=replacement,
    )


def list_requests(ctx: AppContext, *, include_closed: bool = False, limit: int = 500) -> list[RequestView]:
    """Requests not yet closed (nearest deadline first); with `include_closed` the latest of all."""
    with read_session(ctx.engine) as s:
        query = select(ServiceRequest)
        if not include_closed:
            query = query.where(col(ServiceRequest.status) != RequestStatus.CLOSED.value)
        rows = list(s.exec(query.order_by(col(ServiceRequest.id).desc()).limit(limit)))
        ids = {r.order_id for r in rows} | {r.replacement_order_id for r in rows if r.replacement_order_id}
        orders = {o.id or 0: o for o in s.exec(select(Order).where(col(Order.id).in_(list(ids))))} if ids else {}
        views = [_view(s, r, orders) for r in rows]
    if include_closed:
        return views
    far = datetime.max.replace(tzinfo=ctx.clock.now().tzinfo)
    return sorted(views, key=lambda v: (v.deadline or far, v.id))


def get_request(ctx: AppContext, request_id: int) -> RequestView:
    with read_session(ctx.engine) as s:
        return _view(s, _load(s, request_id))


def reminder_conditions(s: Session, settings: Settings, now: datetime) -> list[Condition]:
    """A reminder `service_request_due` when a request's running limit (first contact, refund) is
    within `returns.remind_before_hours`, or missed; it closes when the step is done."""
    lead = timedelta(hours=settings.returns.remind_before_hours)
    out: list[Condition] = []
    rows = s.exec(
        select(ServiceRequest, Order.order_no).join(Order, col(Order.id) == ServiceRequest.order_id)
        .where(col(ServiceRequest.status).in_([x.value for x in LIVE]))
    ).all()
    for sr, order_no in rows:
        pending = pending_deadline(RequestStatus(sr.status), sr.contact_due_at, sr.refund_due_at)
        if pending is None:
            continue
        which, due = pending
        if now < due - lead:
            continue
        missed = now >= due
        local = due.astimezone(settings.tz).strftime("%m-%d %H:%M")
        out.append(Condition(
            kind=ServiceReminderKind.SERVICE_REQUEST_DUE,
            severity=Severity.CRITICAL if missed else Severity.WARNING,
            subject=f"{SUBJECT}:{sr.id}:{which}",
            episode=due,
            message="service.reminder.missed" if missed else "service.reminder.due",
            params={"id": sr.id or 0, "order": order_no, "limit": f"service.limit.{which}",
                    "type": f"service.type.{sr.kind}", "due": local},
            refs=("limit", "type"),
            detail={"order_id": sr.order_id, "service_request": sr.id},
        ))
    return out


def open_count(ctx: AppContext) -> int:
    """Requests waiting for someone (for a header or pane 4 badge)."""
    with read_session(ctx.engine) as s:
        return int(s.exec(select(func.count()).where(
            col(ServiceRequest.status).in_([x.value for x in LIVE]))).one())
