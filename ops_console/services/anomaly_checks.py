"""Anomaly detection over orders: the cached per-store / per-customer history, the intake-time rules
for new orders, and the scheduler's timer checks — raising alerts through services/anomalies.py.

- `evaluate_new_orders(session, ctx, order_ids)` is the one function intake calls for new orders
  (customer or replenishment): the intake-time rules against the cached history, alerts raised,
  waiting payment / tracking notices applied, a replenishment order that trips a hold rule held.
- `run_anomaly_checks(ctx)` is what the scheduler runs with the reminder checks: orders far past
  their picking / delivery SLA, silent third-party deliveries, acknowledged critical alerts past
  the ack timeout (raised again, escalated to the supervisor role), silences that expired.

It sits above the alert lifecycle, payments and replenishment (it calls all three), so none of
them imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func

# SQLModel's select() is typed for at most four columns: the wider row reads use SQLAlchemy's.
from sqlalchemy import select as wide_select
from sqlmodel import Session, col, select

from ops_console.domain.anomaly import Finding, Thresholds
from ops_console.domain.anomaly.alerts import (
    LIVE,
    AlertAction,
    AlertStatus,
    ack_timed_out,
    episode_key,
    severity_for,
    silence_expired,
)
from ops_console.domain.anomaly.orders import HistoryIndex, LineFacts, OrderFacts, evaluate_order
from ops_console.domain.anomaly.timers import delivery_overdue, picking_overdue, tracking_stale
from ops_console.domain.sla import picking_sla_minutes
from ops_console.domain.types import Role, SubjectType, Tier
from ops_console.i18n import t
from ops_console.services import payments, replenishment
from ops_console.services.anomalies import (
    CACHE_KEY,
    CHECK_RULES,
    _iso,
    _OrderRef,
    _params,
    _set_resolved,
    raise_finding,
    thresholds,
)
from ops_console.services.context import SYSTEM, AppContext
from ops_console.services.events import event_row, record
from ops_console.storage import reminder_queries as rq
from ops_console.storage.bulk import insert_rows, reserve_ids, row_defaults
from ops_console.storage.db import write_session
from ops_console.storage.models import Anomaly, Event, Order, OrderLine, Sku, TrackingUpdate
from ops_console.storage.tables import table_of

# ------------------------------------------------------------------------- intake: new orders


@dataclass
class _Cache:
    index: HistoryIndex
    last_id: int  # every order with an id up to this one is in the index
    th: Thresholds


_FACT_COLUMNS = (col(Order.id), col(Order.order_no), col(Order.kind), col(Order.placed_at), col(Order.received_at),
                 col(Order.amount), col(Order.store_id), col(Order.phone), col(Order.payment_method))


def _facts_of(row: Sequence[Any], lines: tuple[LineFacts, ...], tz: tzinfo, now: datetime) -> OrderFacts:
    """OrderFacts from a row of `_FACT_COLUMNS` (`now`: the time of an order with neither stamp)."""
    oid, no, kind, placed, received, amount, store_id, phone, method = row[:9]
    at = placed or received or now
    if at.tzinfo is None:  # raw rows on SQLite may come back naive: stored as UTC
        at = at.replace(tzinfo=UTC)
    minutes = 0
    if kind == "replenishment":  # only the reorder window looks at the local time of day
        local = at.astimezone(tz)
        minutes = local.hour * 60 + local.minute
    return OrderFacts(oid, no, kind, at, minutes, amount, lines, store_id, phone or "", method)


def _history_facts(session: Session, ctx: AppContext, since: datetime | None, after_id: int,
                   exclude: Sequence[int]) -> list[OrderFacts]:
    """Orders for the history (not cancelled / rejected), oldest first, as facts: plain columns,
    no ORM objects (priming reads 90 days of a city's orders)."""
    q = wide_select(*_FACT_COLUMNS).where(col(Order.id) > after_id, col(Order.status).not_in(("cancelled", "rejected")))
    if since is not None:
        q = q.where(col(Order.placed_at) >= since)
    skip: set[int] = set()
    if exclude:
        # The batch's ids are reserved together: leave out their range in SQL (a NOT IN of a
        # thousand bound values costs more than the rows), and only the ids inside it that are
        # someone else's are read and filtered here.
        low, high = min(exclude), max(exclude)
        skip = set(exclude)
        if high - low + 1 == len(skip):
            q = q.where(~col(Order.id).between(low, high))
    conn = session.connection()
    rows: list[Any] = [r for r in conn.execute(q) if r[0] not in skip] if skip else list(conn.execute(q))
    if not rows:
        return []
    lines: dict[int, list[LineFacts]] = {}
    lq = select(OrderLine.order_id, OrderLine.sku, OrderLine.qty).where(col(OrderLine.order_id) > after_id)
    if len(rows) < 900:
        lq = select(OrderLine.order_id, OrderLine.sku, OrderLine.qty).where(
            col(OrderLine.order_id).in_([r[0] for r in rows]))
    for order_id, sku, qty in conn.execute(lq):
        lines.setdefault(order_id, []).append(LineFacts(sku, qty))
    tz, now = ctx.settings.tz, ctx.clock.now()
    out = [_facts_of(r, tuple(lines.get(r[0], ())), tz, now) for r in rows]
    out.sort(key=lambda f: (f.placed_at, f.order_id))
    return out


def history_index(session: Session, ctx: AppContext, exclude: Sequence[int] = ()) -> HistoryIndex:
    """The rolling history of this process, built once from the database and then kept up to date:
    orders written since (by anyone: other processes too) are added before judging new ones."""
    th = thresholds(ctx.settings)
    cache = ctx.cache.get(CACHE_KEY)
    since: datetime | None = None
    if not isinstance(cache, _Cache) or cache.th != th:
        cache = _Cache(HistoryIndex(th), 0, th)
        ctx.cache[CACHE_KEY] = cache
        since = ctx.clock.now() - timedelta(days=th.history_days)
    newest = session.exec(select(func.max(Order.id))).one() or 0
    if newest > cache.last_id and not _only(exclude, cache.last_id + 1, newest):
        observe = cache.index.observe
        for facts in _history_facts(session, ctx, since, cache.last_id, exclude):
            observe(facts)
        cache.last_id = newest
    return cache.index


def _only(ids: Sequence[int], low: int, high: int) -> bool:
    """Whether `ids` are exactly the ids from `low` to `high` (intake's batch, its ids reserved
    together right after the last order the history has seen: nothing else to read)."""
    return bool(ids) and min(ids) == low and max(ids) == high and len(set(ids)) == high - low + 1


def forget_history(ctx: AppContext) -> None:
    ctx.cache.pop(CACHE_KEY, None)



NewOrderFacts = tuple[tuple[Any, ...], list[tuple[str, float, int]]]  # (row of _FACT_COLUMNS + channel, lines)


def evaluate_new_orders(session: Session, ctx: AppContext, order_ids: Sequence[int],
                        known: Mapping[int, NewOrderFacts] | None = None) -> dict[int, list[Finding]]:
    """THE intake seam: the intake-time rules for newly received orders (customer or replenishment),
    in the caller's transaction, after the orders and their lines are written.

    Judges each order against the history before it, raises its alerts, adds it to the history,
    applies payment / tracking notices that arrived before the order, and holds a replenishment
    order that trips a hold rule (services/replenishment.py). Returns the findings per order id.
    A few queries per call whatever the number of orders: call it once per batch. `known`: the
    facts of new orders the caller has in hand (intake's bulk path: the very rows it wrote — its
    `row`, the columns of `_FACT_COLUMNS` then the channel, and its lines as (sku, qty, step)),
    so they are not read back; the others are read.
    """
    if not order_ids:
        return {}
    th = thresholds(ctx.settings)
    index = history_index(session, ctx, exclude=order_ids)
    ids = list(order_ids)
    conn = session.connection()  # Core, not the ORM: plain rows for a whole batch
    rows: dict[int, Sequence[Any]] = {}
    raw_lines: dict[int, list[tuple[str, float, int]]] = {}
    if known:
        for order_id in ids:
            got = known.get(order_id)
            if got is not None:
                rows[order_id], raw_lines[order_id] = got
    unread = [order_id for order_id in ids if order_id not in rows]
    for i in range(0, len(unread), 900):
        part = unread[i:i + 900]
        rows.update((int(r[0] or 0), tuple(r)) for r in conn.execute(wide_select(*_FACT_COLUMNS, col(Order.channel))
                                                                    .where(col(Order.id).in_(part))))
        for order_id, sku, qty, step in conn.execute(
                select(OrderLine.order_id, OrderLine.sku, OrderLine.qty, OrderLine.step)
                .where(col(OrderLine.order_id).in_(part)).order_by(col(OrderLine.order_id), col(OrderLine.line_no))):
            raw_lines.setdefault(order_id, []).append((sku, qty, step))
    codes = list({sku for ls in raw_lines.values() for sku, _, _ in ls})
    catalogue = {code: (step or 1, stock) for code, step, stock in
                 conn.execute(select(Sku.code, Sku.step, Sku.stock).where(col(Sku.code).in_(codes)))} if codes else {}
    out: dict[int, list[Finding]] = {}
    found: list[tuple[Finding, _OrderRef]] = []  # alerts to raise, in order: written together
    tz, now = ctx.settings.tz, ctx.clock.now()
    for order_id in ids:
        row = rows.get(order_id)
        if row is None:
            continue
        lines = []
        for sku, qty, step in raw_lines.get(order_id, ()):
            listed = catalogue.get(sku)
            lines.append(LineFacts(sku, qty, listed[0], listed[1]) if listed is not None
                         else LineFacts(sku, qty, step or 1, None))
        facts = _facts_of(row, tuple(lines), tz, now)
        findings = evaluate_order(facts, index, th)
        index.observe(facts)
        out[order_id] = findings
        if findings:
            ref = _OrderRef(order_id, row[1], row[2], row[6], row[9])
            found.extend((finding, ref) for finding in findings)
        if row[2] == "replenishment":
            # Its hold or accept Event comes after its alerts' Events, as when raised one by one.
            raise_new_findings(session, ctx, found)
            found.clear()
            order = session.get(Order, order_id)
            if order is not None:
                replenishment.after_rules(session, ctx, order, findings)
    raise_new_findings(session, ctx, found)
    payments.apply_waiting_many(session, ctx, [(order_id, rows[order_id][9], rows[order_id][1])
                                               for order_id in ids if order_id in rows])
    cache = ctx.cache.get(CACHE_KEY)
    if isinstance(cache, _Cache):
        cache.last_id = max(cache.last_id, *ids)
    return out


def raise_new_findings(session: Session, ctx: AppContext, found: Sequence[tuple[Finding, _OrderRef]]) -> None:
    """`raise_finding` with its defaults (no episode, the system) for findings on new orders, in
    order, with the same rows: the keys are looked up in one query, and the alerts of keys never
    seen (all of them, but for an order id used before) are written with their Events as two
    executemany statements instead of an ORM flush and an insert each. A key already known (or
    twice in `found`) goes through `raise_finding` itself."""
    if not found:
        return
    keys = [episode_key(f.rule.value, f.subject, "") for f, _ in found]
    known: set[str] = set()
    for i in range(0, len(keys), 500):
        known.update(session.exec(select(Anomaly.key).where(col(Anomaly.key).in_(keys[i:i + 500]))))
    now, th = ctx.clock.now(), thresholds(ctx.settings)
    fresh: list[tuple[Finding, _OrderRef, str]] = []
    for (finding, ref), key in zip(found, keys, strict=True):
        if key in known:
            _write_alerts(session, fresh, now, th)
            fresh.clear()
            raise_finding(session, ctx, finding, order=ref)
            continue
        known.add(key)
        fresh.append((finding, ref, key))
    _write_alerts(session, fresh, now, th)


def _write_alerts(session: Session, fresh: Sequence[tuple[Finding, _OrderRef, str]], now: datetime,
                  th: Thresholds) -> None:
    """New alerts and their `raised` Events: the columns and values `raise_finding` writes."""
    if not fresh:
        return
    session.flush()  # what raise_finding's query would flush first (the alerts refer to their orders)
    conn = session.connection()
    ids = reserve_ids(conn, table_of(Anomaly), len(fresh))
    defaults = row_defaults(Anomaly)
    alerts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    status = AlertStatus.OPEN.value
    for alert_id, (finding, ref, key) in zip(ids, fresh, strict=True):
        rule = finding.rule.value
        severity = severity_for(finding.rule, finding.amount, ref.kind, th).value
        alerts.append({**defaults, "id": alert_id, "rule": rule, "severity": severity, "order_id": ref.id,
                       "store_id": ref.store_id, "fingerprint": key, "key": key, "subject": finding.subject,
                       "first_seen": now, "last_seen": now, "count": 1, "status": status,
                       "amount": finding.amount,
                       "detail": {"params": _params(finding), "lines": list(finding.lines), "episode": "",
                                  "order_no": ref.order_no, "order_kind": ref.kind}})
        events.append(event_row(now, SYSTEM, SubjectType.ANOMALY, alert_id, AlertAction.RAISE, order_id=ref.id,
                                to_status=status,
                                detail={"rule": rule, "severity": severity, "subject": finding.subject,
                                        "key": key, "params": _params(finding)}))
    insert_rows(conn, table_of(Anomaly), alerts)
    insert_rows(conn, table_of(Event), events)


def evaluate_new_order(session: Session, ctx: AppContext, order_id: int) -> list[Finding]:
    """`evaluate_new_orders` for one order."""
    return evaluate_new_orders(session, ctx, [order_id]).get(order_id, [])


# ------------------------------------------------------------------------------ scheduler checks


@dataclass(frozen=True)
class CheckResult:
    raised: int = 0
    cleared: int = 0
    escalated: int = 0
    unsilenced: int = 0


def run_anomaly_checks(ctx: AppContext) -> CheckResult:
    """One run of the timer rules and the alert clocks, in one transaction (idempotent by key)."""
    now = ctx.clock.now()
    th = thresholds(ctx.settings)
    raised = cleared = escalated = unsilenced = 0
    with write_session(ctx.engine) as s:
        holding: set[str] = set()
        sla = ctx.settings.picking.sla_minutes
        pick_cutoff = now - timedelta(minutes=min(sla.values()) * th.overdue_factor)
        for o in rq.picking_clocks(s, pick_cutoff):
            f = picking_overdue(o.order_id, o.order_no, o.since, now, picking_sla_minutes(o.categories, sla), th)
            if f is not None:
                raised += _raise_check(s, ctx, f, o.order_id, o.since, holding)
        dsla = ctx.settings.delivery.sla_minutes
        for o in rq.out_for_delivery(s, now - timedelta(minutes=dsla * th.overdue_factor)):
            f = delivery_overdue(o.order_id, o.order_no, o.since, now, dsla, th)
            if f is not None:
                raised += _raise_check(s, ctx, f, o.order_id, o.since, holding)
        for order_id, order_no, since in _third_party_silent(s, now - timedelta(minutes=th.tracking_stale_minutes)):
            f = tracking_stale(order_id, order_no, since, now, th)
            if f is not None:
                raised += _raise_check(s, ctx, f, order_id, since, holding)
        # Conditions that cleared: the stage completed (or tracking came). Nobody owns it: resolved
        # with a system note; an owner keeps it (they said they would see to it).
        for row in s.exec(select(Anomaly).where(col(Anomaly.rule).in_([r.value for r in CHECK_RULES]),
                                                col(Anomaly.status).in_([x.value for x in LIVE]))):
            if row.key in holding or (row.detail or {}).get("cleared"):
                continue
            if row.owner:
                row.detail = {**(row.detail or {}), "cleared": now.isoformat()}
                s.add(row)
                record(s, now, SYSTEM, SubjectType.ANOMALY, row.id or 0, AlertAction.CONDITION_CLEARED,
                       order_id=row.order_id, from_status=row.status, to_status=row.status,
                       detail={"rule": row.rule, "owner": row.owner})
            else:
                _set_resolved(s, row, SYSTEM, now, t("anomalies.system_note.cleared", "en"), None, system=True)
            cleared += 1
        for row in s.exec(select(Anomaly).where(col(Anomaly.status) == AlertStatus.ACKNOWLEDGED.value,
                                                Anomaly.severity == "critical")):
            if ack_timed_out(row.status, row.severity, row.acknowledged_at, now, th):
                before = row.status
                row.status = AlertStatus.OPEN.value
                row.escalated_to = Role.SUPERVISOR.value
                row.escalated_at = now
                row.last_seen = now
                s.add(row)
                record(s, now, SYSTEM, SubjectType.ANOMALY, row.id or 0, AlertAction.ESCALATE, order_id=row.order_id,
                       from_status=before, to_status=row.status,
                       detail={"rule": row.rule, "to_role": Role.SUPERVISOR.value,
                               "acknowledged_by": row.acknowledged_by,
                               "acknowledged_at": _iso(row.acknowledged_at),
                               "minutes": th.ack_timeout_minutes})
                row.acknowledged_at = None
                escalated += 1
        for row in s.exec(select(Anomaly).where(col(Anomaly.status) == AlertStatus.SILENCED.value)):
            if silence_expired(row.status, row.silenced_until, now):
                back = str((row.detail or {}).get("before_silence") or AlertStatus.OPEN.value)
                record(s, now, SYSTEM, SubjectType.ANOMALY, row.id or 0, AlertAction.SILENCE_EXPIRED,
                       order_id=row.order_id, from_status=row.status, to_status=back,
                       detail={"rule": row.rule, "until": _iso(row.silenced_until), "reason": row.silence_reason})
                row.status = back
                s.add(row)
                unsilenced += 1
    return CheckResult(raised, cleared, escalated, unsilenced)


def _raise_check(s: Session, ctx: AppContext, f: Finding, order_id: int, since: datetime, holding: set[str]) -> int:
    episode = since.isoformat()
    holding.add(episode_key(f.rule.value, f.subject, episode))
    order = s.get(Order, order_id)
    if order is not None:
        f = Finding(f.rule, f.subject, f.params, order.amount, f.lines)
    return int(raise_finding(s, ctx, f, order=order, episode=episode, reopen=False,
                             repeat_counts=False).change == "raised")


def _third_party_silent(s: Session, cutoff: datetime) -> list[tuple[int, str, datetime]]:
    """Third-party deliveries whose last tracking update (or dispatch) is at or before `cutoff`."""
    rows = list(s.execute(
        wide_select(col(Order.id), col(Order.order_no), col(Order.channel), col(Order.dispatched_at), col(Order.status_entered_at))
        .where(col(Order.status).in_(("dispatched", "out_for_delivery")), col(Order.tier) == Tier.THIRD_PARTY.value)
    ))
    out = []
    for order_id, order_no, channel, dispatched_at, entered in rows:
        last = s.exec(select(func.max(TrackingUpdate.at)).where(TrackingUpdate.order_no == order_no,
                                                                TrackingUpdate.channel == channel)).one()
        since = max(x for x in (dispatched_at or entered, rq._utc(last) if last is not None else None)
                    if x is not None)
        if since <= cutoff:
            out.append((order_id or 0, order_no, since))
    return out
