"""One alert as the console's Enter shows it when the alert is about no order (a store, a courier's
cash): the alert and its history, and a glance at its subject — for a store its open orders by
status and its other live alerts, for a courier who it is and what it carries now."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import col, select

from ops_console.domain.types import ON_THE_ROAD, OPEN_STATUSES, Status
from ops_console.services.anomalies import AlertView, get_alert, list_alerts
from ops_console.services.context import AppContext
from ops_console.storage.db import read_session
from ops_console.storage.models import Courier, Event, Order, Store

OTHER_ALERTS = 10  # a store's other live alerts listed in the glance


@dataclass(frozen=True)
class StoreGlance:
    id: str
    name: str | None  # None: no such store (a report may name one that is gone)
    active: bool
    open_orders: dict[str, int]  # status → count, in lifecycle order, zeros left out
    other_alerts: list[AlertView] = field(default_factory=list)  # live ones, most severe and newest first


@dataclass(frozen=True)
class CourierGlance:
    id: str
    name: str | None
    tier: str | None
    on_duty: bool
    carrying: int  # orders dispatched to it or out for delivery now
    business_date: str | None  # the day a cash difference is about


@dataclass(frozen=True)
class AlertDetail:
    view: AlertView
    history: list[Event]
    names: dict[str, str]  # operator id → name, for the history
    store: StoreGlance | None = None
    courier: CourierGlance | None = None


def subject_parts(subject: str) -> tuple[str, str, str | None]:
    """`store:S01` → ("store", "S01", None); `courier:C01:2026-11-24` → ("courier", "C01", "2026-11-24")."""
    kind, _, rest = subject.partition(":")
    ident, _, extra = rest.partition(":")
    return kind, ident, extra or None


def alert_detail(ctx: AppContext, alert_id: int) -> AlertDetail:
    """The alert, its history and a glance at its store or courier (raises NotFound like get_alert)."""
    view, events, names = get_alert(ctx, alert_id)
    kind, ident, extra = subject_parts(view.subject)
    store_id = view.store_id or (ident if kind == "store" else None)
    store = _store_glance(ctx, store_id, view.id) if store_id and view.order_id is None else None
    courier = _courier_glance(ctx, ident, extra) if kind == "courier" and ident else None
    return AlertDetail(view, events, names, store, courier)


def _store_glance(ctx: AppContext, store_id: str, alert_id: int) -> StoreGlance:
    with read_session(ctx.engine) as s:
        store = s.get(Store, store_id)
        counts = dict(s.exec(
            select(Order.status, func.count()).where(Order.store_id == store_id,
                                                     col(Order.status).in_(sorted(OPEN_STATUSES)))
            .group_by(Order.status)
        ).all())
    open_orders = {st.value: counts[st.value] for st in Status if counts.get(st.value)}
    others = [a for a in list_alerts(ctx, store_id=store_id, limit=OTHER_ALERTS + 1) if a.id != alert_id][:OTHER_ALERTS]
    return StoreGlance(store_id, store.name if store else None, bool(store and store.active), open_orders, others)


def _courier_glance(ctx: AppContext, courier_id: str, business_date: str | None) -> CourierGlance:
    with read_session(ctx.engine) as s:
        courier = s.get(Courier, courier_id)
        carrying = s.exec(select(func.count()).where(Order.courier_id == courier_id,
                                                     col(Order.status).in_(sorted(ON_THE_ROAD)))).one()
    return CourierGlance(courier_id, courier.name if courier else None, courier.tier if courier else None,
                         bool(courier and courier.on_duty), int(carrying or 0), business_date)
