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
from sqlmodel import Session, col

from ops_console.config import Settings
from ops_console.domain import kpi
from ops_console.domain.types import TIER_ORDER, OrderKind, Status
from ops_console.services.cash import CashLine, expected_cash
from ops_console.services.closeout_events import EventFacts, fold
from ops_console.services.context import AppContext
from ops_console.storage import closeout_queries as cq
from ops_console.storage.models import (
    Anomaly,
    Courier,
    Operator,
    Order,
    Reminder,
    ServiceRequest,
    Store,
)

_CHUNK = 900  # ids per IN (...) (SQLite's variable limit is far above; keeps statements small)
NOT_AVAILABLE = ("customer_satisfaction", "inventory_accuracy")  # no data source: never invented
_FINISHED = ("signed", "refused", "not_completed")
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

    def holds_ms(self, ms: int | None) -> bool:
        return ms is not None and self.start_ms <= ms < self.end_ms

    @property
    def start_ms(self) -> int:
        return round(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return round(self.end.timestamp() * 1000)


@dataclass
class DayData:
    """What the figures and the checks read, loaded once: the range's orders (rows of
    `closeout_queries._order_columns`, times in epoch ms) and what its order events say
    (services/closeout_events.py: one pass, the rows never all in memory)."""

    span: Span
    cohort: dict[int, Any]  # order id → row of the customer orders received in the span
    facts: EventFacts
    extra_orders: dict[int, Any] = field(default_factory=dict)  # orders touched in the span, received before it

    @property
    def received_ids(self) -> set[int]:  # orders with a `receive` event in the span
        return self.facts.received_ids


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load(session: Session, span: Span) -> DayData:
    cohort = {row.id: row for row in cq.orders_received(session, OrderKind.CUSTOMER.value, span.start, span.end)}
    facts = fold(cq.order_event_batches(session, span.start, span.end), cohort)
    touched = sorted(facts.others)
    extra = {row.id: row for row in cq.orders_by_id(session, touched)}
    return DayData(span, cohort, facts, extra)


def compute(session: Session, ctx: AppContext, span: Span, data: DayData | None = None,
            counted: dict[str, int] | None = None) -> dict[str, Any]:
    """Every figure of the span (not the checks, not the status): one JSON-ready dict. `cash` keeps
    the lines of `cash_lines` (with `counted`), private fields and all (see `public_cash`)."""
    data = data or load(session, span)
    s = ctx.settings
    tz = s.tz
    cohort = data.cohort
    orders_of = {**data.extra_orders, **cohort}
    customer = "customer"

    # The pass over the range's order events (load), kept to the customer orders.
    customer_ids = {oid for oid, o in orders_of.items() if o.kind == customer}
    f = data.facts.customer_only(customer_ids)
    reached = f.reached  # status → {cohort order → first instant}
    first_assign, last_store, delivered_at, picked_at = f.first_assign, f.last_store, f.delivered_at, f.picked_at
    assigned_before, waits = f.assigned_before, f.waits
    actors: Counter[str] = Counter(f.actors)
    for actor, n in cq.other_actions_by_actor(session, span.start, span.end).items():
        actors[actor] += n

    def reached_count(status: str) -> int:
        return len(reached.get(status, ()))

    methods = Counter(first_assign.values())
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
        "delivered": kpi.yuan(sum(cohort[oid].amount for oid in reached.get("delivered", ()))),
        "online_paid_by_channel": {ch: kpi.yuan(v) for ch, v in sorted(online_by_channel.items())},
    }
    per_hour = _hours((o.received for o in cohort.values()), span, tz)

    on_time_n = sum(
        1 for oid, at in delivered_at.items()
        if kpi.on_time(orders_of[oid].received, at, orders_of[oid].appointment, s.delivery.promise_minutes)
    )
    slas = _slas(session, sorted(picked_at), s.picking.sla_minutes)
    within: dict[int, bool] = {}
    for oid, at in picked_at.items():
        start = assigned_before.get(oid) or orders_of[oid].assigned
        if start is not None and start <= at:
            within[oid] = kpi.picked_within_sla(start, at, slas.get(oid, s.picking.sla_minutes["default"]))

    entry = [m for o in cohort.values() if o.channel in _HAND_CHANNELS
             for m in [kpi.minutes(o.placed, o.received)] if m is not None]
    entry_minutes = {"orders": len(entry), **kpi.spread(entry),
                     "within_pct": kpi.pct(sum(1 for m in entry if m <= s.intake.entry_minutes), len(entry))}
    deliveries = _deliveries(session, span, f.delivery_ids)
    figures: dict[str, Any] = {
        "orders": orders,
        "amounts": amounts,
        "orders_per_hour": dict(sorted(per_hour.items())),
        "on_time_pct": kpi.pct(on_time_n, len(delivered_at)),
        "on_time": {"delivered": len(delivered_at), "on_time": on_time_n},
        "picking_within_sla_pct": kpi.pct(sum(within.values()), len(within)),
        "picking": {"picked": len(within), "within_sla": sum(within.values())},
        # Orders taken by hand (phone, fax, e-mail): call → entry within `intake.entry_minutes`.
        "entry_minutes": entry_minutes,
        "stage_minutes": kpi.stage_summary_by_status(reached),
        "deliveries_by_tier": deliveries["by_tier"],
        "escalations": kpi.count_map(r for _, r, _ in f.escalations),
        "escalations_by_tier": kpi.count_map(t for _, _, t in f.escalations),
        "refusals": kpi.count_map(r for _, r in f.refusals),
        "not_completed": kpi.count_map(r for _, r in f.failures),
        "cancellations": kpi.count_map(r for _, r in f.cancels),
        "service_requests": _service_requests(session, span, len(delivered_at)),
        "anomalies": _anomalies(session, span),
        "reminders": _reminders(session, span),
        "operators": _operators(session, span, waits, orders_of, actors),
        "stores": _stores(session, cohort, reached, last_store, within, orders_of),
        "couriers": deliveries["couriers"],
        "cash": cash_lines(session, s, span, counted),
        "replenishment": _replenishment(session, span),
        "not_available": list(NOT_AVAILABLE),
        **{key: None for key in NOT_AVAILABLE},
    }
    return figures


def _hours(instants: Iterable[int], span: Span, tz: Any) -> Counter[str]:
    """Orders per local hour ("00".."23"); one offset for the whole span unless it changes in it (DST)."""
    first, last = span.start.astimezone(tz).utcoffset(), (span.end - timedelta(seconds=1)).astimezone(tz).utcoffset()
    if first == last and first is not None:
        offset = int(first.total_seconds() * 1000)
        hours = Counter((ms + offset) // 3_600_000 % 24 for ms in instants)  # ints: one string per hour
        return Counter({f"{h:02d}": n for h, n in hours.items()})
    return Counter(datetime.fromtimestamp(ms / 1000, tz).strftime("%H") for ms in instants)


def _slas(session: Session, order_ids: Sequence[int], sla: dict[str, int]) -> dict[int, int]:
    """Each order's picking SLA: the strictest of its lines' categories (domain/sla.py)."""
    wanted = set(order_ids)
    categories: dict[int, list[str]] = defaultdict(list)
    for oid, category in cq.line_categories(session, order_ids):
        if oid in wanted:
            categories[oid].append(category)
    # A day has a handful of distinct category mixes: each is worked out once.
    memo: dict[tuple[str, ...], int] = {}
    out: dict[int, int] = {}
    for oid, cats in categories.items():
        key = tuple(cats)
        minutes = memo.get(key)
        if minutes is None:
            minutes = memo[key] = kpi.strictest_sla(cats, sla)
        out[oid] = minutes
    return out


def _deliveries(session: Session, span: Span, order_ids: set[int]) -> dict[str, Any]:
    """Delivery attempts dispatched in the span by tier, and per courier: attempts, outcomes, COD."""
    couriers = {cid: (name, tier) for cid, name, tier in session.execute(select(col(Courier.id), col(Courier.name), col(Courier.tier)))}
    by_tier: Counter[str] = Counter()
    per: dict[str, Counter[str]] = defaultdict(Counter)
    start, end = span.start_ms, span.end_ms
    for oid, tier, courier, dispatched, finished, outcome, cod in cq.deliveries_of(session, list(order_ids)):
        if oid not in order_ids:
            continue
        if dispatched is not None and start <= dispatched < end:
            by_tier[tier] += 1
            if courier:
                per[courier]["dispatched"] += 1
        if finished is not None and start <= finished < end and courier and outcome in _FINISHED:
            per[courier]["delivered" if outcome == "signed" else outcome] += 1
            per[courier]["cod"] += cod or 0
    lines = []
    for cid in sorted(per):
        name, tier = couriers.get(cid, (cid, None))
        n = per[cid]
        lines.append({"courier_id": cid, "name": name, "tier": tier, "dispatched": n["dispatched"],
                      "delivered": n["delivered"], "refused": n["refused"], "not_completed": n["not_completed"],
                      "cod_collected": kpi.yuan(n["cod"])})
    return {"by_tier": dict(sorted(by_tier.items())), "couriers": lines}


def _stores(session: Session, cohort: dict[int, Any], reached: dict[str, dict[int, int]],
            last_store: dict[int, str | None], within: dict[int, bool], orders_of: dict[int, Any]) -> list[dict[str, Any]]:
    names = dict(session.execute(select(col(Store.id), col(Store.name))).all())
    # store → [received, delivered, refused, not_completed, cancelled, amount] (plain lists: 50,000 orders a day)
    per: dict[str, list[int]] = {}
    reached_delivered, reached_refused, reached_failed, reached_cancelled = (
        reached.get(status, {}) for status in ("delivered", "refused", "not_completed", "cancelled"))
    for oid, store in last_store.items():
        if not store:
            continue
        n = per.get(store)
        if n is None:
            n = per[store] = [0, 0, 0, 0, 0, 0]
        n[0] += 1
        n[1] += oid in reached_delivered
        n[2] += oid in reached_refused
        n[3] += oid in reached_failed
        n[4] += oid in reached_cancelled
        n[5] += cohort[oid].amount
    picks: dict[str, list[bool]] = defaultdict(list)
    for oid, ok in within.items():
        store = orders_of[oid].store_id
        if store:
            picks[store].append(ok)
    out = []
    for store in sorted(set(per) | set(picks)):
        received, delivered, refused, failed, cancelled, amount = per.get(store, [0, 0, 0, 0, 0, 0])
        p = picks.get(store, [])
        out.append({"store_id": store, "name": names.get(store, store), "received": received,
                    "delivered": delivered, "refused": refused, "not_completed": failed,
                    "cancelled": cancelled, "amount": kpi.yuan(amount), "picked": len(p),
                    "picking_within_sla_pct": kpi.pct(sum(p), len(p))})
    return out


def cash_lines(session: Session, settings: Settings, span: Span,
               counted: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """One line per courier who worked in the span, from the ledger's one computation
    (`services.cash.expected_cash`, summed over the span's business days), the emergency team last;
    `counted` (fen) is what the supervisor entered, else what the ledger says was handed in (None
    when nothing was)."""
    counted = counted or {}
    days: dict[str, list[CashLine]] = defaultdict(list)
    for day in span.days():
        for line in expected_cash(session, settings, day):
            days[line.courier_id].append(line)
    tiers: dict[str, str] = {cid: tier for cid, tier in session.execute(select(col(Courier.id), col(Courier.tier)))}
    rank = {t.value: i for i, t in enumerate(TIER_ORDER)}
    order = sorted(set(days) | set(counted), key=lambda cid: (rank.get(tiers.get(cid) or "", 99), cid))
    lines = []
    for cid in order:
        worked = days.get(cid, [])
        float_, cod, refunds, comp, handed = (sum(getattr(x, f) for x in worked) for f in
                                              ("float", "cod_collected", "refunds_paid", "compensation", "handed_in"))
        expected = sum(x.expected for x in worked)
        got = counted.get(cid, handed if handed else None)
        lines.append({"courier_id": cid, "tier": tiers.get(cid), "float": kpi.yuan(float_),
                      "cod_collected": kpi.yuan(cod), "refunds_paid": kpi.yuan(refunds),
                      "compensation": kpi.yuan(comp), "expected": kpi.yuan(expected),
                      "counted": None if got is None else kpi.yuan(got),
                      "difference": None if got is None else kpi.yuan(got - expected),
                      "_expected_fen": expected, "_counted_fen": got})
    return lines


def public_cash(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in line.items() if not k.startswith("_")} for line in lines]


# The tables below grow with the history (a year of requests, alerts, reminders): each is read with
# the span or the open statuses in SQL, never whole.


def _service_requests(session: Session, span: Span, delivered: int) -> dict[str, Any]:
    created = col(ServiceRequest.created_at)
    opened = session.execute(select(col(ServiceRequest.kind), col(ServiceRequest.status))
                             .where(created >= span.start, created < span.end)).all()
    returns = sum(1 for r in opened if r.kind in ("return", "exchange"))
    open_total = session.execute(select(func.count()).select_from(ServiceRequest).where(
        col(ServiceRequest.status).not_in(("closed", "declined", "refunded", "exchanged")))).scalar_one()
    return {
        "opened": len(opened),
        "by_kind": kpi.count_map(r.kind for r in opened),
        "by_status": kpi.count_map(r.status for r in opened),
        "returns_exchanges_pct": kpi.pct(returns, delivered),
        "open_total": int(open_total),
    }


def _anomalies(session: Session, span: Span) -> dict[str, Any]:
    first_seen = col(Anomaly.first_seen)
    raised = session.execute(select(col(Anomaly.id), col(Anomaly.rule), col(Anomaly.status))
                             .where(first_seen >= span.start, first_seen < span.end)).all()
    resolved_ids = cq.resolved_anomaly_ids(session, span.start, span.end)
    resolved_ids |= {r.id for r in raised if r.status == "resolved"}
    rule_of: dict[int, str] = {}
    for part in chunks(sorted(resolved_ids)):
        rule_of.update((r.id, r.rule) for r in session.execute(select(col(Anomaly.id), col(Anomaly.rule))
                                                               .where(col(Anomaly.id).in_(list(part)))))
    open_rules = session.execute(select(col(Anomaly.rule))
                                 .where(col(Anomaly.status).in_(("open", "acknowledged")))).scalars()
    return {
        "raised": kpi.count_map(r.rule for r in raised),
        "resolved": kpi.count_map(rule_of[i] for i in resolved_ids if i in rule_of),
        "open": kpi.count_map(open_rules),
    }


def _reminders(session: Session, span: Span) -> dict[str, Any]:
    raised_at = col(Reminder.raised_at)
    raised = session.execute(select(col(Reminder.kind), raised_at, col(Reminder.acknowledged_at))
                             .where(raised_at >= span.start, raised_at < span.end)).all()
    acked: dict[str, list[float]] = defaultdict(list)
    for r in raised:
        if r.acknowledged_at is not None and r.acknowledged_at >= r.raised_at:
            acked[r.kind].append((r.acknowledged_at - r.raised_at).total_seconds() / 60)
    return {
        "raised": kpi.count_map(r.kind for r in raised),
        "acknowledged": {k: len(v) for k, v in sorted(acked.items())},
        "ack_minutes": {k: kpi.spread(v) for k, v in sorted(acked.items())},
    }


def _operators(session: Session, span: Span, waits: list[tuple[str, int, int, int | None]],
               orders_of: dict[int, Any], actors: Counter[str]) -> list[dict[str, Any]]:
    """The assessment figures per operator: assignments by hand, how long the order had waited in
    the queue when they assigned it (median; queued before the span: the order's own clock),
    reminders acknowledged, actions taken (events of the span)."""
    ops = {op_id: (name, role) for op_id, name, role in session.execute(select(col(Operator.id), col(Operator.name), col(Operator.role)))}
    actions = {actor: n for actor, n in actors.items() if actor in ops}
    minutes: dict[str, list[float]] = defaultdict(list)
    for actor, oid, at, queued in waits:
        if actor not in ops:
            continue
        start = queued if queued is not None else orders_of[oid].unassigned
        m = kpi.minutes(start, at)
        minutes[actor].append(m if m is not None else 0.0)
    acked_at = col(Reminder.acknowledged_at)
    acks = Counter(session.execute(select(col(Reminder.acknowledged_by)).where(
        col(Reminder.acknowledged_by).is_not(None), acked_at >= span.start, acked_at < span.end)).scalars())
    out = []
    for op_id in sorted(set(actions) | set(acks)):
        name, role = ops[op_id]
        out.append({"operator_id": op_id, "name": name, "role": role,
                    "assigned_by_hand": len(minutes.get(op_id, [])),
                    "queue_to_assign_median": kpi.median(minutes.get(op_id, [])),
                    "reminders_acknowledged": acks.get(op_id, 0), "actions": actions.get(op_id, 0)})
    return out


def _replenishment(session: Session, span: Span) -> dict[str, Any]:
    rows = session.execute(
        select(col(Order.store_id), col(Order.status), col(Order.amount), col(Order.payment_method))
        .where(col(Order.kind) == OrderKind.REPLENISHMENT.value, col(Order.received_at) >= span.start,
               col(Order.received_at) < span.end)
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
