"""Frozen snapshots of orders for the console's dialogs: one query pass, no ORM objects leak out.

`order_snapshot` is what the order detail shows: lines, customer (phone masked), payment,
remarks, store / courier / tier, every event with who (operator names) and when (local time in
`ui.timezone`), the delivery attempts and the order's reminders and anomalies. The full phone
number is never in a snapshot: `reveal_phone` performs the `reveal_phone` lifecycle action (so
the event log records who looked) and returns it.

The other functions feed the action dialogs: the orders an action applies to (with the version
the dialog saw, for `expected_version`), the stores to assign to, the couriers to dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from ops_console.domain.phone import mask_phone
from ops_console.domain.types import Action
from ops_console.i18n import Ref, t
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import NotFound
from ops_console.services.lifecycle import find_order, perform
from ops_console.storage.db import read_session
from ops_console.storage.models import (
    Anomaly,
    Courier,
    Delivery,
    Event,
    Operator,
    Order,
    OrderLine,
    Reminder,
    ServiceRequest,
    Store,
    StoreKeyword,
)


@dataclass(frozen=True)
class LineView:
    line_no: int
    sku: str
    name: str
    spec: str
    category: str
    qty: float
    unit: str
    unit_price: int  # fen
    amount: int  # fen
    picked_qty: float | None = None
    substitute_sku: str | None = None


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime  # local time in ui.timezone
    actor_id: str
    actor_name: str  # operator name; "system" for the system (translate with actor.system)
    actor_role: str
    action: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class DeliveryView:
    attempt: int
    tier: str
    courier_id: str | None
    courier_name: str
    dispatched_at: datetime | None  # local
    finished_at: datetime | None  # local
    outcome: str | None
    reason_code: str | None
    reason_text: str | None
    till_receipt: str | None


@dataclass(frozen=True)
class AlertView:
    source: str  # "reminder" or "anomaly"
    kind: str  # reminder kind or anomaly rule
    severity: str
    status: str
    at: datetime | None  # local: first raised / first seen
    count: int
    owner: str | None = None
    deadline: datetime | None = None  # local
    note: str = ""
    message_key: str = ""  # a reminder's message (catalog key) and its parameters
    params: dict[str, Any] = field(default_factory=dict)
    refs: tuple[str, ...] = ()  # parameters that are catalog keys themselves

    def message(self) -> str:
        if not self.message_key:
            return self.note
        params = {k: Ref(v) if k in self.refs and isinstance(v, str) else v for k, v in self.params.items()}
        return t(self.message_key, **params)


@dataclass(frozen=True)
class OrderSnapshot:
    id: int
    channel: str
    order_no: str
    kind: str
    status: str
    version: int
    customer_name: str
    phone_masked: str
    address: str
    store_id: str | None
    store_name: str | None
    assign_method: str | None
    match_reason: str | None
    suggestions: tuple[dict[str, Any], ...]
    tier: str | None
    courier_id: str | None
    courier_name: str | None
    payment_method: str
    payment_status: str
    amount: int
    paid_amount: int
    remarks: str
    urgent: bool
    custom: bool
    appointment_at: datetime | None  # local
    placed_at: datetime | None  # local
    received_at: datetime | None  # local
    review_reason: str | None
    claimed_by: str | None  # operator name
    source: str
    lines: tuple[LineView, ...] = ()
    events: tuple[EventView, ...] = ()
    deliveries: tuple[DeliveryView, ...] = ()
    alerts: tuple[AlertView, ...] = ()


def _local(ctx: AppContext, when: datetime | None) -> datetime | None:
    return when.astimezone(ctx.settings.tz) if when is not None else None


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = session.exec(select(col(Operator.id), col(Operator.name)).where(col(Operator.id).in_(ids)))
    return dict(rows.all())


def order_snapshot(ctx: AppContext, order_ref: int | str) -> OrderSnapshot:
    """Everything the order detail shows, read in one transaction. NotFound when there is no such order."""
    with read_session(ctx.engine) as s:
        o = find_order(s, order_ref)
        oid = o.id or 0
        lines = list(s.exec(select(OrderLine).where(col(OrderLine.order_id) == oid).order_by(col(OrderLine.line_no))))
        events = list(s.exec(select(Event).where(col(Event.order_id) == oid).order_by(col(Event.id))))
        deliveries = list(s.exec(select(Delivery).where(col(Delivery.order_id) == oid).order_by(col(Delivery.attempt))))
        store = s.get(Store, o.store_id) if o.store_id else None
        courier_ids = {d.courier_id for d in deliveries if d.courier_id} | ({o.courier_id} if o.courier_id else set())
        couriers = {
            c.id: c.name for c in s.exec(select(Courier).where(col(Courier.id).in_(courier_ids)))
        } if courier_ids else {}
        names = _names(s, {e.actor for e in events} | ({o.claimed_by} if o.claimed_by else set()))
        alerts = _alerts(ctx, s, o)
        return OrderSnapshot(
            id=oid,
            channel=o.channel,
            order_no=o.order_no,
            kind=o.kind,
            status=o.status,
            version=o.version,
            customer_name=o.customer_name,
            phone_masked=mask_phone(o.phone),
            address=o.address,
            store_id=o.store_id,
            store_name=store.name if store else None,
            assign_method=o.assign_method,
            match_reason=o.match_reason,
            suggestions=tuple(dict(x) for x in (o.suggestions or [])),
            tier=o.tier,
            courier_id=o.courier_id,
            courier_name=couriers.get(o.courier_id) if o.courier_id else None,
            payment_method=o.payment_method,
            payment_status=o.payment_status,
            amount=o.amount,
            paid_amount=o.paid_amount,
            remarks=o.remarks,
            urgent=o.urgent,
            custom=o.custom,
            appointment_at=_local(ctx, o.appointment_at),
            placed_at=_local(ctx, o.placed_at),
            received_at=_local(ctx, o.received_at),
            review_reason=o.review_reason,
            claimed_by=names.get(o.claimed_by, o.claimed_by) if o.claimed_by else None,
            source=o.source,
            lines=tuple(
                LineView(li.line_no, li.sku, li.name, li.spec, li.category, li.qty, li.unit, li.unit_price,
                         round(li.qty * li.unit_price), li.picked_qty, li.substitute_sku)
                for li in lines
            ),
            events=tuple(
                EventView(e.id or 0, e.at.astimezone(ctx.settings.tz), e.actor,
                          names.get(e.actor, e.actor), e.actor_role, e.action, e.from_status, e.to_status,
                          dict(e.detail or {}))
                for e in events
            ),
            deliveries=tuple(
                DeliveryView(d.attempt, d.tier, d.courier_id, couriers.get(d.courier_id or "", d.courier_id or ""),
                             _local(ctx, d.dispatched_at), _local(ctx, d.finished_at), d.outcome, d.reason_code,
                             d.reason_text, d.till_receipt)
                for d in deliveries
            ),
            alerts=alerts,
        )


def _alerts(ctx: AppContext, s: Session, o: Order) -> tuple[AlertView, ...]:
    """The order's anomalies (by order id) and reminders: subject `order:<id>` (the reminders
    service's form), `anomaly:<id>` of one of its anomalies (an alert past its deadline) or
    `service_request:<id>:<limit>` of one of its service requests (a contact or refund limit)."""
    out: list[AlertView] = []
    anomalies = list(s.exec(select(Anomaly).where(col(Anomaly.order_id) == o.id).order_by(col(Anomaly.id))))
    for a in anomalies:
        out.append(AlertView("anomaly", a.rule, a.severity, a.status, _local(ctx, a.first_seen), a.count,
                             a.owner, _local(ctx, a.deadline), a.resolution or str(a.detail.get("text", "") or "")))
    subjects = [f"order:{o.id}"] + [f"anomaly:{a.id}" for a in anomalies]
    requests = s.exec(select(ServiceRequest.id).where(col(ServiceRequest.order_id) == o.id)).all()
    wanted: list[ColumnElement[bool]] = [col(Reminder.subject).in_(subjects)]
    wanted += [col(Reminder.subject).startswith(f"service_request:{rid}:", autoescape=True) for rid in requests]
    reminders = s.exec(select(Reminder).where(or_(*wanted)).order_by(col(Reminder.id)))
    for r in reminders:
        payload = r.payload or {}
        out.append(AlertView("reminder", r.kind, r.severity, r.status, _local(ctx, r.raised_at), r.raise_count,
                             r.acknowledged_by, message_key=str(payload.get("message") or ""),
                             params=dict(payload.get("params") or {}), refs=tuple(payload.get("refs") or ())))
    return tuple(out)


def order_version(ctx: AppContext, order_id: int) -> int | None:
    """The order's version (one indexed read): a dialog that shows it can tell it moved."""
    with read_session(ctx.engine) as s:
        return s.exec(select(Order.version).where(Order.id == order_id)).first()


def reveal_phone(ctx: AppContext, actor: Actor, order_id: int) -> str:
    """The full phone number, after logging who looked (`reveal_phone` lifecycle action)."""
    perform(ctx, order_id, Action.REVEAL_PHONE, actor)
    with read_session(ctx.engine) as s:
        order = s.get(Order, order_id)
        if order is None:  # pragma: no cover - perform found it a moment ago
            raise NotFound("orders.not_found", order=str(order_id))
        return order.phone


# --------------------------------------------------------------------------- dialogs


@dataclass(frozen=True)
class OrderBrief:
    """One order an action dialog applies to, with the version the dialog saw."""

    id: int
    order_no: str
    channel: str
    status: str
    version: int
    address: str
    store_id: str | None
    tier: str | None
    courier_id: str | None
    amount: int
    payment_method: str
    match_reason: str | None
    suggestions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Missing:
    """An order id that no longer exists (shown as a failed outcome)."""

    id: int
    message: str


def order_briefs(ctx: AppContext, order_ids: list[int]) -> tuple[list[OrderBrief], list[Missing]]:
    """The orders in the given order; ids that are gone come back as Missing."""
    found: dict[int, OrderBrief] = {}
    with read_session(ctx.engine) as s:
        rows = list(s.exec(select(Order).where(col(Order.id).in_(order_ids)))) if order_ids else []
        for o in rows:
            found[o.id or 0] = OrderBrief(o.id or 0, o.order_no, o.channel, o.status, o.version, o.address,
                                          o.store_id, o.tier, o.courier_id, o.amount, o.payment_method,
                                          o.match_reason, tuple(dict(x) for x in (o.suggestions or [])))
    briefs, missing = [], []
    for oid in order_ids:
        if oid in found:
            briefs.append(found[oid])
        else:
            missing.append(Missing(oid, NotFound("orders.not_found", order=str(oid)).message))
    return briefs, missing


@dataclass(frozen=True)
class StoreChoice:
    id: str
    name: str
    kind: str
    keywords: tuple[str, ...] = field(default_factory=tuple)


def store_choices(ctx: AppContext) -> list[StoreChoice]:
    """Active stores with their keywords, by id: what the assign dialog filters over."""
    with read_session(ctx.engine) as s:
        stores = list(s.exec(select(Store).where(Store.active == True).order_by(Store.id)))  # noqa: E712
        keywords: dict[str, list[str]] = {}
        for kw, store_id in s.exec(select(StoreKeyword.keyword, StoreKeyword.store_id).order_by(StoreKeyword.keyword)):
            keywords.setdefault(store_id, []).append(kw)
    return [StoreChoice(st.id, st.name, st.kind, tuple(keywords.get(st.id, []))) for st in stores]


def store_name(ctx: AppContext, store_id: str | None) -> str | None:
    if not store_id:
        return None
    with read_session(ctx.engine) as s:
        store = s.get(Store, store_id)
        return store.name if store else None

