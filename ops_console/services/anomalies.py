"""Anomaly alerts: detect (intake, payments, the scheduler's checks, people), deduplicate, work to resolution.

- Detection lives in services/anomaly_checks.py (`evaluate_new_orders` for intake,
  `run_anomaly_checks` for the scheduler), which raises through `raise_finding` here.
- People: `acknowledge`, `take_ownership`, `resolve`, `silence`, `report` (staff_report).

Deduplication: an alert's `key` is rule + subject + episode. While an alert of that key is not
resolved, a repeat only counts (`count`, `last_seen`), whatever its status (an acknowledgement
holds, a silence holds). After a resolve, a new observation is a new alert (fingerprint `key#n`),
while a check that still sees the resolved episode stays quiet (no flapping). Every change is an
Event (subject type `anomaly`) with who and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ops_console.config import Settings, replenishment_window_minutes
from ops_console.domain.anomaly import Finding, RuleId, Thresholds
from ops_console.domain.anomaly.alerts import (
    LIVE,
    AlertAction,
    AlertRuleError,
    AlertStatus,
    check_resolution,
    episode_key,
    next_status,
    severity_for,
)
from ops_console.domain.anomaly.inspection import cash_difference, staff_report, weight_deviation
from ops_console.domain.reminders import SEVERITY_RANK
from ops_console.domain.types import Role, SubjectType
from ops_console.i18n import t
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import NotFound, Refused, ServiceError
from ops_console.services.events import record
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Anomaly, Event, Operator, Order, OrderLine, Store

CACHE_KEY = "anomalies.history"
CHECK_RULES = (RuleId.PICKING_OVERDUE, RuleId.DELIVERY_OVERDUE, RuleId.TRACKING_STALE)


def thresholds(settings: Settings) -> Thresholds:
    a = settings.anomaly
    return Thresholds(
        history_days=a.history_days,
        history_points=a.history_points,
        min_history=a.min_history,
        surge_k=a.surge_k,
        surge_min_ratio=a.surge_min_ratio,
        cap_customer_cod=settings.fen(a.amount_cap_customer_cod),
        cap_replenishment=settings.fen(a.amount_cap_replenishment),
        duplicate_minutes=a.duplicate_minutes,
        weight_tolerance_pct=a.weight_tolerance_pct,
        tracking_stale_minutes=a.tracking_stale_minutes,
        overdue_factor=a.overdue_factor,
        ack_timeout_minutes=a.ack_timeout_minutes,
        reorder_window=replenishment_window_minutes(settings),
    )


# ------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class AlertView:
    """An alert as the front ends show it; `message()` renders it in the current language."""

    id: int
    rule: str
    severity: str
    status: str
    subject: str
    order_id: int | None
    order_no: str | None
    order_kind: str | None
    store_id: str | None
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    owner: str | None
    deadline: datetime | None
    acknowledged_by: str | None
    silenced_until: datetime | None
    silence_reason: str | None
    escalated_to: str | None
    resolution: str | None
    resolved_by: str | None
    customer_informed: bool | None
    amount: int
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        return t(f"anomalies.msg.{self.rule}", lang, **self.params)

    def title(self, lang: str | None = None) -> str:
        return t(f"anomalies.rule.{self.rule}", lang)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "rule": self.rule, "severity": self.severity, "status": self.status,
            "order_no": self.order_no, "store_id": self.store_id, "subject": self.subject, "count": self.count,
            "first_seen": _iso(self.first_seen), "last_seen": _iso(self.last_seen), "owner": self.owner,
            "deadline": _iso(self.deadline), "acknowledged_by": self.acknowledged_by,
            "silenced_until": _iso(self.silenced_until), "silence_reason": self.silence_reason,
            "escalated_to": self.escalated_to, "resolution": self.resolution, "resolved_by": self.resolved_by,
            "customer_informed": self.customer_informed, "amount": f"{self.amount / 100:.2f}",
            "message": self.message(),
        }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


@dataclass(frozen=True)
class _OrderRef:
    """What an alert needs of its order (the new orders' path reads columns, not ORM objects)."""

    id: int
    order_no: str
    kind: str
    store_id: str | None
    channel: str


def _view(row: Anomaly, order: Order | None = None) -> AlertView:
    detail = row.detail or {}
    return AlertView(
        id=row.id or 0, rule=row.rule, severity=row.severity, status=row.status, subject=row.subject,
        order_id=row.order_id, order_no=order.order_no if order else detail.get("order_no"),
        order_kind=order.kind if order else detail.get("order_kind"), store_id=row.store_id, count=row.count,
        first_seen=row.first_seen, last_seen=row.last_seen, owner=row.owner, deadline=row.deadline,
        acknowledged_by=row.acknowledged_by, silenced_until=row.silenced_until, silence_reason=row.silence_reason,
        escalated_to=row.escalated_to, resolution=row.resolution, resolved_by=row.resolved_by,
        customer_informed=row.customer_informed, amount=row.amount, params=dict(detail.get("params", {})),
    )


# ------------------------------------------------------------------------------- raising alerts


@dataclass(frozen=True)
class Raised:
    """What `raise_finding` did: `raised` (a new alert), `repeated` (count + 1) or `quiet`."""

    change: str
    alert_id: int | None


def raise_finding(
    session: Session,
    ctx: AppContext,
    finding: Finding,
    *,
    order: Order | _OrderRef | None = None,
    store_id: str | None = None,
    episode: str = "",
    reopen: bool = True,
    repeat_counts: bool = True,
    actor: Actor = SYSTEM,
    note: str | None = None,
) -> Raised:
    """Raise an alert for a finding, or count a repeat of the live one of its key.

    `reopen`: after the episode's alert was resolved, a new observation is a new alert (intake,
    payments, people); checks pass False, so a resolved episode stays resolved while it lasts.
    `repeat_counts`: False for checks, which see a holding condition again at every run.
    """
    now = ctx.clock.now()
    key = episode_key(finding.rule.value, finding.subject, episode)
    rows = list(session.exec(select(Anomaly).where(Anomaly.key == key).order_by(col(Anomaly.id).desc())))
    live = next((r for r in rows if r.status in LIVE), None)
    kind = order.kind if order is not None else "customer"
    severity = severity_for(finding.rule, finding.amount, kind, thresholds(ctx.settings))
    if live is not None:
        if not repeat_counts:
            return Raised("quiet", live.id)
        live.count += 1
        live.last_seen = now
        if SEVERITY_RANK[severity] > SEVERITY_RANK.get(live.severity, 0):
            live.severity = severity.value
        live.amount = max(live.amount, finding.amount)
        live.detail = {**(live.detail or {}), "params": _params(finding)}
        session.add(live)
        session.flush()
        record(session, now, actor, SubjectType.ANOMALY, live.id or 0, AlertAction.REPEAT, order_id=live.order_id,
               from_status=live.status, to_status=live.status,
               detail={"rule": live.rule, "count": live.count, "params": _params(finding),
                       **({"note": note} if note else {})})
        return Raised("repeated", live.id)
    if rows and not reopen:
        return Raised("quiet", rows[0].id)
    fingerprint = key if not rows else f"{key}#{len(rows) + 1}"
    row = Anomaly(
        rule=finding.rule.value, severity=severity.value, order_id=order.id if order else None,
        store_id=store_id or (order.store_id if order else None), fingerprint=fingerprint, key=key,
        subject=finding.subject, first_seen=now, last_seen=now, count=1, status=AlertStatus.OPEN.value,
        amount=finding.amount,
        detail={"params": _params(finding), "lines": list(finding.lines), "episode": episode,
                "order_no": order.order_no if order else None, "order_kind": order.kind if order else None},
    )
    session.add(row)
    session.flush()
    record(session, now, actor, SubjectType.ANOMALY, row.id or 0, AlertAction.RAISE, order_id=row.order_id,
           to_status=row.status,
           detail={"rule": row.rule, "severity": row.severity, "subject": row.subject, "key": fingerprint,
                   "params": _params(finding), **({"note": note} if note else {})})
    return Raised("raised", row.id)


def _params(finding: Finding) -> dict[str, Any]:
    return {k: v for k, v in finding.params.items()}


# ------------------------------------------------------------------------------- people


def _get(s: Session, alert_id: int) -> Anomaly:
    row = s.get(Anomaly, alert_id)
    if row is None:
        raise NotFound("anomalies.not_found", id=alert_id)
    return row


def _person(actor: Actor) -> None:
    if actor.is_system:
        raise Refused("anomalies.needs_operator")


def _escalated_guard(row: Anomaly, actor: Actor) -> None:
    """Escalated after the ack timeout: only the role it went to may quiet it again."""
    if row.escalated_to and row.status == AlertStatus.OPEN and actor.role != Role(row.escalated_to):
        raise Refused("anomalies.escalated_needs_role", id=row.id, role=t(f"role.{row.escalated_to}"))


def _step(row: Anomaly, action: AlertAction) -> str:
    try:
        return next_status(action, row.status).value
    except AlertRuleError as exc:
        raise Refused(exc.code, id=row.id, status=t(f"anomalies.status.{row.status}"),
                      action=t(f"anomalies.action.{action.value}")) from None


def _order_of(s: Session, row: Anomaly) -> Order | None:
    return s.get(Order, row.order_id) if row.order_id else None


def acknowledge(ctx: AppContext, alert_id: int, actor: Actor) -> AlertView:
    """Seen: no more ringing while the condition holds (a critical one comes back after the ack timeout)."""
    _person(actor)
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        row = _get(s, alert_id)
        _escalated_guard(row, actor)
        before, row.status = row.status, _step(row, AlertAction.ACKNOWLEDGE)
        row.acknowledged_by, row.acknowledged_at = actor.id, now
        s.add(row)
        record(s, now, actor, SubjectType.ANOMALY, alert_id, AlertAction.ACKNOWLEDGE, order_id=row.order_id,
               from_status=before, to_status=row.status, detail={"rule": row.rule})
        return _view(row, _order_of(s, row))


def take_ownership(ctx: AppContext, alert_id: int, actor: Actor, deadline: datetime | None = None) -> AlertView:
    """The responsible person (and the time limit, seed 003 §六); past it, `alert_deadline` reminds."""
    _person(actor)
    now = ctx.clock.now()
    if deadline is not None and deadline <= now:
        raise Refused("anomalies.deadline_past")
    with write_session(ctx.engine) as s:
        row = _get(s, alert_id)
        _step(row, AlertAction.OWN)
        previous = row.owner
        row.owner = actor.id
        if deadline is not None:
            row.deadline = deadline
        s.add(row)
        record(s, now, actor, SubjectType.ANOMALY, alert_id, AlertAction.OWN, order_id=row.order_id,
               from_status=row.status, to_status=row.status,
               detail={"rule": row.rule, "owner": actor.id, "previous_owner": previous,
                       "deadline": _iso(row.deadline)})
        return _view(row, _order_of(s, row))


def _set_resolved(s: Session, row: Anomaly, actor: Actor, now: datetime, text: str, informed: bool | None,
                  *, system: bool = False) -> None:
    before = row.status
    row.status = AlertStatus.RESOLVED.value
    row.resolution = text
    row.resolved_by = actor.id
    row.resolved_at = now
    row.customer_informed = informed
    s.add(row)
    record(s, now, actor, SubjectType.ANOMALY, row.id or 0, AlertAction.RESOLVE, order_id=row.order_id,
           from_status=before, to_status=row.status,
           detail={"rule": row.rule, "text": text, "customer_informed": informed, "system": system})


def resolve(ctx: AppContext, alert_id: int, actor: Actor, text: str, informed: bool | None = None) -> AlertView:
    """Resolved with a text and, for a customer's order, whether the customer was informed."""
    _person(actor)
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        row = _get(s, alert_id)
        _step(row, AlertAction.RESOLVE)
        order = _order_of(s, row)
        try:
            check_resolution(text, order is not None and order.kind == "customer", informed)
        except AlertRuleError as exc:
            raise Refused(exc.code, id=alert_id) from None
        _set_resolved(s, row, actor, now, text.strip(), informed if order is not None else None)
        return _view(row, order)


def silence(ctx: AppContext, alert_id: int, actor: Actor, until: datetime, reason: str) -> AlertView:
    """Quiet until a time, with a reason; the silence ends by itself and the feed says so."""
    _person(actor)
    now = ctx.clock.now()
    if until <= now:
        raise Refused("anomalies.silence_past")
    if not reason.strip():
        raise Refused("anomalies.silence_needs_reason")
    with write_session(ctx.engine) as s:
        row = _get(s, alert_id)
        _escalated_guard(row, actor)
        before, row.status = row.status, _step(row, AlertAction.SILENCE)
        row.silenced_until, row.silence_reason, row.silenced_by = until, reason.strip(), actor.id
        row.detail = {**(row.detail or {}), "before_silence": before}
        s.add(row)
        record(s, now, actor, SubjectType.ANOMALY, alert_id, AlertAction.SILENCE, order_id=row.order_id,
               from_status=before, to_status=row.status,
               detail={"rule": row.rule, "until": until.isoformat(), "reason": reason.strip()})
        return _view(row, _order_of(s, row))


def report(ctx: AppContext, ref: str, text: str, actor: Actor, kind: str = "other") -> AlertView:
    """A staff report on an order (or a store): anyone may flag it abnormal with a description."""
    _person(actor)
    with write_session(ctx.engine) as s:
        order: Order | None = None
        store: Store | None = s.get(Store, ref) if ref else None
        if store is None:
            from ops_console.services.lifecycle import find_order

            order = find_order(s, ref)
        subject = f"order:{order.id}" if order is not None else f"store:{store.id if store else ref}"
        finding = staff_report(subject, order.order_no if order else ref, text, kind)
        if finding is None:
            raise Refused("anomalies.report_needs_text")
        if order is not None:
            finding = Finding(finding.rule, finding.subject, finding.params, order.amount)
        done = raise_finding(s, ctx, finding, order=order, store_id=store.id if store else None, actor=actor,
                             note=text.strip())
        row = _get(s, done.alert_id or 0)
        return _view(row, order)


def raise_cash_difference(session: Session, ctx: AppContext, courier_id: str, business_date: str, expected: int,
                          counted: int, actor: Actor = SYSTEM) -> int | None:
    """For closeout: a courier's counted cash differs from the ledger → a `cash_difference` alert
    (id), in closeout's transaction; None when the cash is right."""
    finding = cash_difference(courier_id, business_date, expected, counted)
    if finding is None:
        return None
    return raise_finding(session, ctx, finding, actor=actor).alert_id


def record_weight(ctx: AppContext, order_ref: str, sku: str, measured_g: int, actor: Actor) -> int | None:
    """At hand-over: the measured weight of a line against the ordered weight → `weight_deviation`."""
    with write_session(ctx.engine) as s:
        from ops_console.services.lifecycle import find_order

        order = find_order(s, order_ref)
        line = s.exec(select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.sku == sku)).first()
        if line is None:
            raise NotFound("anomalies.no_such_line", order=order.order_no, sku=sku)
        ordered = (line.weight_g or 0) * (line.qty if line.weight_g else 1)
        finding = weight_deviation(order.id or 0, order.order_no, sku, round(ordered), measured_g,
                                   thresholds(ctx.settings))
        if finding is None:
            return None
        return raise_finding(s, ctx, finding, order=order, actor=actor).alert_id


# --------------------------------------------------------------------------------- reading


def _sort_key(v: AlertView) -> tuple[int, int, float]:
    rank = SEVERITY_RANK.get(v.severity, 0)
    live = 0 if v.status == AlertStatus.OPEN else 1 if v.status in LIVE else 2
    return (live, -rank, -(v.last_seen.timestamp() if v.last_seen else 0.0))


def list_alerts(ctx: AppContext, *, include_all: bool = False, rule: str | None = None, order_id: int | None = None,
                store_id: str | None = None, limit: int = 500) -> list[AlertView]:
    """Alerts not resolved (open first, most severe first, newest first); `include_all` adds resolved."""
    if rule is not None and rule not in {r.value for r in RuleId}:
        raise ServiceError("anomalies.unknown_rule", rule=rule, known=", ".join(r.value for r in RuleId))
    with read_session(ctx.engine) as s:
        q = select(Anomaly, Order).join(Order, col(Order.id) == Anomaly.order_id, isouter=True)
        if not include_all:
            q = q.where(col(Anomaly.status).in_([x.value for x in LIVE]))
        if rule:
            q = q.where(Anomaly.rule == rule)
        if order_id is not None:
            q = q.where(Anomaly.order_id == order_id)
        if store_id is not None:
            q = q.where(Anomaly.store_id == store_id)
        rows = list(s.exec(q.order_by(col(Anomaly.last_seen).desc(), col(Anomaly.id).desc()).limit(limit)))
    return sorted((_view(a, o) for a, o in rows), key=_sort_key)


def open_critical_count(ctx: AppContext) -> int:
    """For the header: critical alerts open (not acknowledged, silenced or resolved)."""
    with read_session(ctx.engine) as s:
        return s.exec(select(func.count()).select_from(Anomaly).where(
            Anomaly.status == AlertStatus.OPEN.value, Anomaly.severity == "critical")).one()


def get_alert(ctx: AppContext, alert_id: int) -> tuple[AlertView, list[Event], dict[str, str]]:
    """An alert, its whole history (events, oldest first) and the names of the people in it."""
    with read_session(ctx.engine) as s:
        row = _get(s, alert_id)
        events = list(s.exec(select(Event).where(Event.subject_type == SubjectType.ANOMALY.value,
                                                 Event.subject_id == str(alert_id)).order_by(col(Event.id))))
        people = {e.actor for e in events} | {x for x in (row.owner, row.acknowledged_by) if x}
        names = {op.id: op.name for op in s.exec(select(Operator).where(col(Operator.id).in_(list(people))))}
        return _view(row, _order_of(s, row)), events, names


@dataclass(frozen=True)
class AlertChange:
    """One thing that happened to an alert (an Event of subject `anomaly`), for the console's feed."""

    event_id: int
    at: datetime
    action: str
    actor: str
    alert: AlertView


def changes_since(ctx: AppContext, cursor: int, limit: int = 2000) -> tuple[list[AlertChange], int]:
    """Alert changes made by any process after event id `cursor`, oldest first, and the new cursor:
    how a console learns of alerts raised, repeated, escalated, unsilenced… elsewhere."""
    with read_session(ctx.engine) as s:
        events = list(s.exec(select(Event).where(col(Event.id) > cursor,
                                                 Event.subject_type == SubjectType.ANOMALY.value)
                             .order_by(col(Event.id)).limit(limit)))
        if not events:
            newest = s.exec(select(func.max(Event.id))).one() or cursor
            return [], max(cursor, newest)
        ids = {int(e.subject_id) for e in events}
        rows = {a.id: a for a in s.exec(select(Anomaly).where(col(Anomaly.id).in_(list(ids))))}
        orders = {o.id: o for o in s.exec(select(Order).where(
            col(Order.id).in_([a.order_id for a in rows.values() if a.order_id])))}
        out = [AlertChange(e.id or 0, e.at, e.action, e.actor,
                           _view(rows[int(e.subject_id)], orders.get(rows[int(e.subject_id)].order_id)))
               for e in events if int(e.subject_id) in rows]
        return out, events[-1].id or cursor


def alerts_for_orders(ctx: AppContext, order_ids: Sequence[int]) -> dict[int, list[str]]:
    """Rule ids of the alerts raised on each order (for `replenish list`, the order detail)."""
    if not order_ids:
        return {}
    out: dict[int, list[str]] = {}
    with read_session(ctx.engine) as s:
        for order_id, rule in s.exec(select(Anomaly.order_id, Anomaly.rule)
                                     .where(col(Anomaly.order_id).in_(list(order_ids)))
                                     .order_by(col(Anomaly.id))):
            rules = out.setdefault(order_id or 0, [])
            if rule not in rules:
                rules.append(rule)
    return out


__all__ = ["AlertChange", "AlertView", "Raised", "acknowledge", "alerts_for_orders", "changes_since",
           "get_alert", "list_alerts", "open_critical_count", "raise_cash_difference",
           "raise_finding", "record_weight", "report", "resolve", "silence", "take_ownership",
           "thresholds"]
