"""The figures of a date range, from the event log and the ledgers (closeout and reports alike).

Counting rules (issue 12):
- orders are counted on the business day (local date in `ui.timezone`) they were received, and a
  stage counts when the order reached it by the end of the range (from the event log, so a report
  of a past day is the same whenever it is re-run);
- events count on the day they happened: escalations, refusals, failures, cancellations,
  deliveries, on-time (of the orders delivered in the range) and picking within SLA (of the
  orders picked in the range), reminders, anomalies, service requests, operators' work;
- cash counts on the business day of its ledger entry.
The keys are those of CONTRACTS "Closeout JSON"; money yuan strings, percentages one decimal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from ops_console.domain import kpi
from ops_console.domain.types import Action, OrderKind, Status
from ops_console.services.context import AppContext
from ops_console.storage.models import (
    Anomaly,
    CashEntry,
    Courier,
    Delivery,
    Event,
    Operator,
    Order,
    OrderLine,
    Reminder,
    ServiceRequest,
    Store,
)

_CHUNK = 900  # ids per IN (...) (SQLite's variable limit is far above; keeps statements small)
NOT_AVAILABLE = ("customer_satisfaction", "inventory_accuracy")  # no data source: never invented
CASH_KINDS = ("float", "cod_collected", "cash_refund", "compensation", "handed_in")
# Actions whose event detail the figures read (reasons, methods, tiers); the others are read without it.
_DETAIL_ACTIONS = (Action.ASSIGN, Action.REASSIGN, Action.ESCALATE, Action.REFUSE, Action.FAIL, Action.CANCEL,
                   Action.DISPATCH)
_HAND_CHANNELS = ("phone", "fax", "email")  # entered by a person from a call, a fax, an e-mail
_REACHED = ("delivered", "completed", "cancelled", "rejected", "not_completed")


@dataclass(frozen=True)
class Span:
    """A range of business days, [first, last] local dates, and its UTC bounds [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime

    @classmethod
    def of(cls, first: date, last: date, tz: Any) -> Span:
        start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        return cls(first, last, start, end)

    def days(self) -> list[str]:
        return [d.isoformat() for d in kpi.business_days(self.first, self.last)]

    def holds(self, when: datetime | None) -> bool:
        return when is not None and self.start <= when < self.end


@dataclass
class _Ev:
    id: int
    order_id: int | None
    at: datetime
    actor: str
    subject_type: str
    subject_id: str
    action: str
    to_status: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class DayData:
    """What the figures and the checks read, loaded once."""

    span: Span
    cohort: dict[int, Any]  # order id → row of the orders received in the span (customer kind)
    events: list[_Ev]
    extra_orders: dict[int, Any]  # orders touched in the span but received before it


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_ORDER_COLS = (Order.id, Order.channel, Order.order_no, Order.kind, Order.status, Order.store_id, Order.courier_id,
               Order.payment_method, Order.payment_status, Order.amount, Order.paid_amount, Order.received_at,
               Order.appointment_at, Order.assigned_at, Order.unassigned_at, Order.source, Order.placed_at)


def load(session: Session, span: Span) -> DayData:
    cohort = {
        row.id: row
        for row in session.execute(
            select(*_ORDER_COLS).where(Order.kind == OrderKind.CUSTOMER.value, Order.received_at >= span.start,
                                       Order.received_at < span.end)
        )
    }
    details: dict[int, dict[str, Any]] = {
        ev_id: detail or {}
        for ev_id, detail in session.execute(
            select(Event.id, Event.detail).where(Event.at >= span.start, Event.at < span.end,
                                                 Event.action.in_([str(a) for a in _DETAIL_ACTIONS]
                                                                  + ["ingest", "resolve", "resolved"]))
        )
    }
    events = [
        _Ev(r.id, r.order_id, r.at, r.actor, r.subject_type, r.subject_id, r.action, r.to_status,
            details.get(r.id, {}))
        for r in session.execute(
            select(Event.id, Event.order_id, Event.at, Event.actor, Event.subject_type, Event.subject_id,
                   Event.action, Event.to_status)
            .where(Event.at >= span.start, Event.at < span.end).order_by(Event.id)
        )
    ]
    touched = sorted({e.order_id for e in events if e.order_id is not None and e.order_id not in cohort})
    extra: dict[int, Any] = {}
    for part in chunks(touched):
        for row in session.execute(select(*_ORDER_COLS).where(Order.id.in_(part))):
            extra[row.id] = row
    return DayData(span, cohort, events, extra)


def compute(session: Session, ctx: AppContext, span: Span, data: DayData | None = None) -> dict[str, Any]:
    """Every figure of the span (not the checks, not the status): one JSON-ready dict."""
    data = data or load(session, span)
    s = ctx.settings
    tz = s.tz
    cohort, events = data.cohort, data.events
    orders_of = {**data.extra_orders, **cohort}
    customer_ids = {oid for oid, o in orders_of.items() if o.kind == OrderKind.CUSTOMER.value}

    # First time each cohort order reached each status (by the end of the span), and its first assign.
    reached: dict[int, dict[str, datetime]] = defaultdict(dict)
    first_assign: dict[int, _Ev] = {}
    last_store: dict[int, str | None] = {}
    for e in events:
        if e.order_id in cohort:
            if e.to_status and e.to_status not in reached[e.order_id]:
                reached[e.order_id][e.to_status] = e.at
            if e.action == Action.ASSIGN and e.order_id not in first_assign:
                first_assign[e.order_id] = e
            if e.action in (Action.ASSIGN, Action.REASSIGN):
                last_store[e.order_id] = e.detail.get("store_id")

    def reached_count(status: str) -> int:
        return sum(1 for oid in cohort if status in reached[oid])

    # The same default as the lifecycle's: no method named → the system's is automatic, a person's manual.
    methods = Counter(str(e.detail.get("method") or ("auto" if e.actor == "system" else "manual"))
                      for e in first_assign.values())
    orders = {
        "received": len(cohort),
        **{status: reached_count(status) for status in _REACHED},
        "refused": reached_count(Status.REFUSED),
        "assigned_auto": methods.get("auto", 0),
        "assigned_manual": methods.get("manual", 0) + methods.get("suggested", 0),
        "assigned_suggested": methods.get("suggested", 0),
        "by_channel": kpi.count_map(o.channel for o in cohort.values()),
        "by_store": kpi.count_map(store for store in last_store.values() if store),
        "by_payment": kpi.count_map(o.payment_method for o in cohort.values()),
    }
    online_by_channel: dict[str, int] = defaultdict(int)
    for o in cohort.values():
        if o.payment_method == "online" and o.payment_status == "paid":
            online_by_channel[o.channel] += o.paid_amount or o.amount
    amounts = {
        "received": kpi.yuan(sum(o.amount for o in cohort.values())),
        "delivered": kpi.yuan(sum(o.amount for oid, o in cohort.items() if "delivered" in reached[oid])),
        "online_paid_by_channel": {ch: kpi.yuan(v) for ch, v in sorted(online_by_channel.items())},
    }
    per_hour = Counter(o.received_at.astimezone(tz).strftime("%H") for o in cohort.values())

    # Deliveries in the span: on time?  Picks in the span: within SLA?
    delivered_ev = _firsts(e for e in events if e.action == Action.DELIVER and e.order_id in customer_ids)
    on_time_n = sum(
        1 for oid, e in delivered_ev.items()
        if kpi.on_time(orders_of[oid].received_at, e.at, orders_of[oid].appointment_at, s.delivery.promise_minutes)
    )
    picked_ev = _firsts(e for e in events if e.action == Action.FINISH_PICKING and e.order_id in customer_ids)
    categories = _categories(session, sorted(picked_ev))
    assigned_before: dict[int, datetime] = {}
    for e in events:
        if e.order_id in picked_ev and e.to_status == Status.ASSIGNED and e.at <= picked_ev[e.order_id].at:
            assigned_before[e.order_id] = e.at  # the latest (re)assignment before the pick
    within: dict[int, bool] = {}
    for oid, e in picked_ev.items():
        start = assigned_before.get(oid) or orders_of[oid].assigned_at
        if start is not None and start <= e.at:
            within[oid] = kpi.picked_within_sla(start, e.at, categories.get(oid, []), s.picking.sla_minutes)

    # Orders taken by hand (phone, fax, e-mail): call → entry within `intake.entry_minutes`.
    entry = [m for o in cohort.values() if o.channel in _HAND_CHANNELS
             for m in [kpi.minutes(o.placed_at, o.received_at)] if m is not None]
    entry_minutes = {"orders": len(entry), **kpi.spread(entry),
                     "within_pct": kpi.pct(sum(1 for m in entry if m <= s.intake.entry_minutes), len(entry))}

    reasons = _reason_maps(events, customer_ids)
    deliveries = _deliveries(session, span, events)
    stores = _stores(session, cohort, reached, last_store, within, orders_of)
    figures: dict[str, Any] = {
        "orders": orders,
        "amounts": amounts,
        "orders_per_hour": dict(sorted(per_hour.items())),
        "on_time_pct": kpi.pct(on_time_n, len(delivered_ev)),
        "on_time": {"delivered": len(delivered_ev), "on_time": on_time_n},
        "picking_within_sla_pct": kpi.pct(sum(within.values()), len(within)),
        "picking": {"picked": len(within), "within_sla": sum(within.values())},
        "entry_minutes": entry_minutes,
        "stage_minutes": kpi.stage_summary(kpi.stage_durations(reached[oid]) for oid in cohort),
        "deliveries_by_tier": deliveries["by_tier"],
        **reasons,
        "service_requests": _service_requests(session, span, len(delivered_ev)),
        "anomalies": _anomalies(session, span, events),
        "reminders": _reminders(session, span),
        "operators": _operators(session, span, events, orders_of),
        "stores": stores,
        "couriers": deliveries["couriers"],
        "cash": cash_lines(session, span),
        "replenishment": _replenishment(session, span),
        "not_available": list(NOT_AVAILABLE),
        **{key: None for key in NOT_AVAILABLE},
    }
    return figures


def _firsts(events: Iterable[_Ev]) -> dict[int, _Ev]:
    out: dict[int, _Ev] = {}
    for e in events:
        if e.order_id is not None and e.order_id not in out:
            out[e.order_id] = e
    return out


def _categories(session: Session, order_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for part in chunks(order_ids):
        for oid, category in session.execute(
            select(OrderLine.order_id, OrderLine.category).where(OrderLine.order_id.in_(part))
        ):
            out[oid].append(category)
    return out


def _reason_maps(events: Sequence[_Ev], customer_ids: set[int]) -> dict[str, Any]:
    def of(action: Action) -> list[_Ev]:
        return [e for e in events if e.action == action and e.order_id in customer_ids]

    escalations = of(Action.ESCALATE)
    return {
        "escalations": kpi.count_map(e.detail.get("reason") for e in escalations),
        "escalations_by_tier": kpi.count_map(e.detail.get("to_tier") for e in escalations),
        "refusals": kpi.count_map(e.detail.get("reason") for e in of(Action.REFUSE)),
        "not_completed": kpi.count_map(e.detail.get("reason") for e in of(Action.FAIL)),
        "cancellations": kpi.count_map(e.detail.get("reason") for e in of(Action.CANCEL)),
    }


def _deliveries(session: Session, span: Span, events: Sequence[_Ev]) -> dict[str, Any]:
    """Delivery attempts dispatched in the span by tier, and per courier: attempts, outcomes, COD."""
    touched = sorted({e.order_id for e in events if e.order_id is not None
                      and e.action in (Action.DISPATCH, Action.DELIVER, Action.REFUSE, Action.FAIL)})
    rows: list[Delivery] = []
    for part in chunks(touched):
        rows.extend(session.execute(select(Delivery).where(Delivery.order_id.in_(part))).scalars())
    couriers = {c.id: c for c in session.execute(select(Courier)).scalars()}
    by_tier: Counter[str] = Counter()
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for d in rows:
        if span.holds(d.dispatched_at):
            by_tier[d.tier] += 1
            if d.courier_id:
                per[d.courier_id]["dispatched"] += 1
        if span.holds(d.finished_at) and d.courier_id and d.outcome in ("signed", "refused", "not_completed"):
            per[d.courier_id]["delivered" if d.outcome == "signed" else d.outcome] += 1
            per[d.courier_id]["cod"] += d.cod_collected
    lines = []
    for cid in sorted(per):
        c = couriers.get(cid)
        n = per[cid]
        lines.append({"courier_id": cid, "name": c.name if c else cid, "tier": c.tier if c else None,
                      "dispatched": n["dispatched"], "delivered": n["delivered"], "refused": n["refused"],
                      "not_completed": n["not_completed"], "cod_collected": kpi.yuan(n["cod"])})
    return {"by_tier": dict(sorted(by_tier.items())), "couriers": lines}


def _stores(session: Session, cohort: dict[int, Any], reached: dict[int, dict[str, datetime]],
            last_store: dict[int, str | None], within: dict[int, bool], orders_of: dict[int, Any]) -> list[dict[str, Any]]:
    names = dict(session.execute(select(Store.id, Store.name)).all())
    per: dict[str, dict[str, int]] = defaultdict(lambda: Counter())  # type: ignore[arg-type]
    for oid, store in last_store.items():
        if not store:
            continue
        n = per[store]
        n["received"] += 1
        n["amount"] += cohort[oid].amount
        for status in ("delivered", "cancelled", "refused", "not_completed"):
            n[status] += status in reached[oid]
    picks: dict[str, list[bool]] = defaultdict(list)
    for oid, ok in within.items():
        store = orders_of[oid].store_id
        if store:
            picks[store].append(ok)
    out = []
    for store in sorted(set(per) | set(picks)):
        n = per[store]
        p = picks.get(store, [])
        out.append({"store_id": store, "name": names.get(store, store), "received": n["received"],
                    "delivered": n["delivered"], "refused": n["refused"], "not_completed": n["not_completed"],
                    "cancelled": n["cancelled"], "amount": kpi.yuan(n["amount"]), "picked": len(p),
                    "picking_within_sla_pct": kpi.pct(sum(p), len(p))})
    return out


def cash_sums(session: Session, span: Span) -> dict[str, dict[str, int]]:
    """courier → {ledger kind → fen} of the entries of the span's business days."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CASH_KINDS, 0))
    for courier_id, kind, amount in session.execute(
        select(CashEntry.courier_id, CashEntry.kind, func.sum(CashEntry.amount))
        .where(CashEntry.business_date.in_(span.days())).group_by(CashEntry.courier_id, CashEntry.kind)
    ):
        if kind in CASH_KINDS:
            sums[courier_id][kind] = int(amount or 0)
    return dict(sums)


def cash_lines(session: Session, span: Span, counted: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """One line per courier with ledger entries; `counted` (fen) is what the supervisor entered,
    else what the ledger says was handed in (None when nothing was)."""
    counted = counted or {}
    sums = cash_sums(session, span)
    tiers = dict(session.execute(select(Courier.id, Courier.tier)).all())
    lines = []
    for cid in sorted(set(sums) | set(counted)):
        k = sums.get(cid, dict.fromkeys(CASH_KINDS, 0))
        expected = kpi.expected_cash(k["float"], k["cod_collected"], k["cash_refund"], k["compensation"])
        got = counted.get(cid, k["handed_in"] if cid in sums and k["handed_in"] else None)
        lines.append({"courier_id": cid, "tier": tiers.get(cid), "float": kpi.yuan(k["float"]),
                      "cod_collected": kpi.yuan(k["cod_collected"]), "refunds_paid": kpi.yuan(k["cash_refund"]),
                      "compensation": kpi.yuan(k["compensation"]), "expected": kpi.yuan(expected),
                      "counted": None if got is None else kpi.yuan(got),
                      "difference": None if got is None else kpi.yuan(got - expected),
                      "_expected_fen": expected, "_counted_fen": got})
    return lines


def public_cash(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in line.items() if not k.startswith("_")} for line in lines]


def _service_requests(session: Session, span: Span, delivered: int) -> dict[str, Any]:
    rows = session.execute(select(ServiceRequest.kind, ServiceRequest.status, ServiceRequest.created_at)).all()
    opened = [r for r in rows if span.holds(r.created_at)]
    returns = sum(1 for r in opened if r.kind in ("return", "exchange"))
    return {
        "opened": len(opened),
        "by_kind": kpi.count_map(r.kind for r in opened),
        "by_status": kpi.count_map(r.status for r in opened),
        "returns_exchanges_pct": kpi.pct(returns, delivered),
        "open_total": sum(1 for r in rows if r.status not in ("closed", "declined", "refunded", "exchanged")),
    }


def _anomalies(session: Session, span: Span, events: Sequence[_Ev]) -> dict[str, Any]:
    rows = session.execute(select(Anomaly.id, Anomaly.rule, Anomaly.status, Anomaly.first_seen)).all()
    rule_of = {r.id: r.rule for r in rows}
    raised = [r for r in rows if span.holds(r.first_seen)]
    resolved_ids = {int(e.subject_id) for e in events if e.subject_type == "anomaly" and e.subject_id.isdigit()
                    and (e.action in ("resolve", "resolved") or e.to_status == "resolved")}
    resolved_ids |= {r.id for r in raised if r.status == "resolved"}
    return {
        "raised": kpi.count_map(r.rule for r in raised),
        "resolved": kpi.count_map(rule_of[i] for i in resolved_ids if i in rule_of),
        "open": kpi.count_map(r.rule for r in rows if r.status in ("open", "acknowledged")),
    }


def _reminders(session: Session, span: Span) -> dict[str, Any]:
    rows = session.execute(select(Reminder.kind, Reminder.raised_at, Reminder.acknowledged_at)).all()
    raised = [r for r in rows if span.holds(r.raised_at)]
    acked: dict[str, list[float]] = defaultdict(list)
    for r in raised:
        m = kpi.minutes(r.raised_at, r.acknowledged_at)
        if m is not None:
            acked[r.kind].append(m)
    return {
        "raised": kpi.count_map(r.kind for r in raised),
        "acknowledged": {k: len(v) for k, v in sorted(acked.items())},
        "ack_minutes": {k: kpi.spread(v) for k, v in sorted(acked.items())},
    }


def _operators(session: Session, span: Span, events: Sequence[_Ev], orders_of: dict[int, Any]) -> list[dict[str, Any]]:
    """The assessment figures per operator: assignments by hand, how long the order had waited in
    the queue when they assigned it (median), reminders acknowledged, actions taken."""
    ops = {o.id: o for o in session.execute(select(Operator)).scalars()}
    actions: Counter[str] = Counter(e.actor for e in events if e.actor in ops)
    queued_at: dict[int, datetime] = {}
    waits: dict[str, list[float]] = defaultdict(list)
    for e in events:
        if e.order_id is None:
            continue
        if e.to_status == Status.UNASSIGNED:
            queued_at[e.order_id] = e.at
        if e.action == Action.ASSIGN and e.actor in ops:
            start = queued_at.get(e.order_id)
            if start is None and e.order_id in orders_of:
                start = orders_of[e.order_id].unassigned_at
            m = kpi.minutes(start, e.at)
            waits[e.actor].append(m if m is not None else 0.0)
    acks = Counter(
        who for who, at in session.execute(select(Reminder.acknowledged_by, Reminder.acknowledged_at)
                                           .where(Reminder.acknowledged_by.is_not(None)))
        if span.holds(at)
    )
    out = []
    for op_id in sorted(set(actions) | set(acks)):
        op = ops.get(op_id)
        out.append({"operator_id": op_id, "name": op.name if op else op_id, "role": op.role if op else None,
                    "assigned_by_hand": len(waits.get(op_id, [])),
                    "queue_to_assign_median": kpi.median(waits.get(op_id, [])),
                    "reminders_acknowledged": acks.get(op_id, 0), "actions": actions.get(op_id, 0)})
    return out


def _replenishment(session: Session, span: Span) -> dict[str, Any]:
    rows = session.execute(
        select(Order.store_id, Order.status, Order.amount, Order.payment_method)
        .where(Order.kind == OrderKind.REPLENISHMENT.value, Order.received_at >= span.start,
               Order.received_at < span.end)
    ).all()
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        n = per[r.store_id or "-"]
        n["orders"] += 1
        n["amount"] += r.amount
        if r.payment_method == "cod":
            n["cod"] += r.amount
    return {
        "received": len(rows),
        "amount": kpi.yuan(sum(r.amount for r in rows)),
        "by_status": kpi.count_map(r.status for r in rows),
        "by_store": [{"store_id": sid, "orders": n["orders"], "amount": kpi.yuan(n["amount"]),
                      "cod_amount": kpi.yuan(n["cod"])} for sid, n in sorted(per.items())],
    }


def not_completed_summary(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Monthly: the not-completed reasons, most frequent first, with their share (seed 000 ⑨)."""
    counts: dict[str, int] = figures.get("not_completed", {})
    total = sum(counts.values())
    return [{"reason": code, "count": n, "pct": kpi.pct(n, total)}
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
