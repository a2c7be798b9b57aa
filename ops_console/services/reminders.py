"""Reminders: run the checks, keep one `Reminder` row per episode, acknowledge, list, follow.

`run_checks` is one write transaction: it reads the facts (storage/reminder_queries.py), asks the
pure checks which conditions hold (domain/reminders.py), and raises, raises again or closes rows,
each change an Event (subject type `reminder`). The transactions of all processes on one database
are serialized (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), and the dedup key is
unique, so several consoles and `watch` processes raise each reminder exactly once; all state
lives in the database, so a restart picks up where the last run left off.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ops_console.config import Settings, replenishment_window_minutes
from ops_console.domain.reminders import (
    LIVE_STATUSES,
    SEVERITY_RANK,
    Condition,
    Facts,
    Limits,
    LiveReminder,
    ReminderStatus,
    Severity,
    evaluate,
    needs_reorder_facts,
    reconcile,
    reorder_window,
    thresholds,
)
from ops_console.domain.types import SubjectType
from ops_console.i18n import Ref, t
from ops_console.services.auto_confirm import confirm_due
from ops_console.services.context import SYSTEM, Actor, AppContext
from ops_console.services.errors import Conflict, NotFound, Refused
from ops_console.services.events import EventFeed, last_event_id, record
from ops_console.services.service_requests import reminder_conditions
from ops_console.storage import reminder_queries as q
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Operator, Reminder

LAST_RUN = "scheduler.last_run"
_PG_LOCK = 6_060_601  # pg_advisory_xact_lock key: one reminder run at a time across processes

RAISED = "raised"
RE_RAISED = "re_raised"
ACKNOWLEDGED = "acknowledged"
CLOSED = "closed"
CHANGES = (RAISED, RE_RAISED, ACKNOWLEDGED, CLOSED)


@dataclass(frozen=True)
class ReminderView:
    """A reminder as the front ends show it; `message` is rendered in the current language."""

    id: int
    kind: str
    severity: str
    subject: str
    status: str
    raised_at: datetime | None
    last_raised_at: datetime | None
    raise_count: int
    acknowledged_by: str | None
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    message_key: str
    params: dict[str, Any] = field(default_factory=dict)
    refs: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def critical(self) -> bool:
        return self.severity == Severity.CRITICAL

    def message(self, lang: str | None = None) -> str:
        params = {k: Ref(v) if k in self.refs and isinstance(v, str) else v for k, v in self.params.items()}
        return t(self.message_key, lang, **params)

    def title(self, lang: str | None = None) -> str:
        return t(f"reminders.kind.{self.kind}", lang)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "subject": self.subject,
            "status": self.status,
            "raised_at": _iso(self.raised_at),
            "last_raised_at": _iso(self.last_raised_at),
            "raise_count": self.raise_count,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": _iso(self.acknowledged_at),
            "closed_at": _iso(self.closed_at),
            "message": self.message(),
            "message_key": self.message_key,
            "params": self.params,
        }


@dataclass(frozen=True)
class ReminderChange:
    """One thing that happened to a reminder: raised, re_raised, acknowledged or closed."""

    change: str
    at: datetime
    reminder: ReminderView
    event_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"change": self.change, "at": _iso(self.at), **self.reminder.to_json()}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _view(row: Reminder, ack_name: str | None = None, status: str | None = None) -> ReminderView:
    payload = row.payload or {}
    return ReminderView(
        id=row.id or 0,
        kind=row.kind,
        severity=row.severity,
        subject=row.subject,
        status=status or row.status,
        raised_at=row.raised_at,
        last_raised_at=row.last_raised_at,
        raise_count=row.raise_count,
        acknowledged_by=row.acknowledged_by,
        acknowledged_by_name=ack_name,
        acknowledged_at=row.acknowledged_at,
        closed_at=row.closed_at,
        message_key=str(payload.get("message", f"reminders.kind.{row.kind}")),
        params=dict(payload.get("params", {})),
        refs=tuple(payload.get("refs", ())),
        detail=dict(payload.get("detail", {})),
    )


def _payload(cond: Condition) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "message": cond.message,
        "params": dict(cond.params),
        "refs": list(cond.refs),
        "episode": cond.episode.isoformat(),
        "detail": dict(cond.detail),
    }
    # The order a reminder is about (the alert feed opens it on Enter).
    if isinstance(cond.detail.get("order_id"), int):
        payload["order_id"] = cond.detail["order_id"]
        payload["order_no"] = str(cond.params.get("order", ""))
    return payload


# ------------------------------------------------------------------------------------ the checks


def reminder_limits(settings: Settings) -> Limits:
    """The numbers the pure checks compare with, taken from the settings."""
    r = settings.reminders
    start, end = replenishment_window_minutes(settings)
    return Limits(
        backlog_warn_minutes=r.backlog_warn_minutes,
        backlog_critical_minutes=r.backlog_critical_minutes,
        backlog_max_orders=r.backlog_max_orders,
        picking_sla_minutes=dict(settings.picking.sla_minutes),
        courier_wait_minutes=settings.dispatch.wait_minutes_before_escalation,
        delivery_sla_minutes=settings.delivery.sla_minutes,
        auto_confirm_hours=settings.delivery.auto_confirm_hours,
        manual_review_hours=settings.review.manual_hours,
        check_seconds=r.check_seconds,
        repeat_minutes=r.repeat_minutes,
        window_start_minute=start,
        window_end_minute=end,
        tz=settings.tz,
        decision_minutes=settings.dispatch.decision_minutes,
    )


def gather_facts(session: Session, ctx: AppContext, now: datetime, last_run: datetime | None) -> Facts:
    th = thresholds(reminder_limits(ctx.settings))
    count, oldest, newest = q.unassigned_queue(session)
    awaiting = q.awaiting_decision(session, now - th.decision)
    stores: tuple[tuple[str, str], ...] = ()
    reordered: frozenset[str] = frozenset()
    if needs_reorder_facts(now, reminder_limits(ctx.settings)):
        w = reorder_window(now, reminder_limits(ctx.settings))
        stores = q.active_stores(session)
        reordered = q.stores_reordered(session, w.day_start, w.day_end)
    return Facts(
        unassigned_count=count,
        oldest_unassigned=oldest,
        newest_unassigned_at=newest,
        picking=q.picking_clocks(session, now - th.picking_min),
        picked_waiting=q.picked_waiting(session, now - th.courier_wait),
        out_for_delivery=q.out_for_delivery(session, now - th.delivery),
        delivered=q.delivered_unconfirmed(session, now - th.unconfirmed),
        manual_review=q.manual_review(session, now - th.manual_review),
        awaiting_decision=awaiting,
        decided=q.decided(session, awaiting),
        stores=stores,
        stores_reordered_today=reordered,
        anomaly_deadlines=q.anomaly_deadlines(session, now),
        last_run=last_run,
    )


def run_checks(ctx: AppContext) -> list[ReminderChange]:
    """Run every check once: raise, raise again and close reminders; record the run time."""
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        last = q.get_meta(s, LAST_RUN)
        last_run = datetime.fromisoformat(last) if last else None
        confirm_due(s, ctx, now)  # delivery (#16): auto-confirm first, so its reminders close in this run
        facts = gather_facts(s, ctx, now, last_run)
        limits = reminder_limits(ctx.settings)
        conditions = evaluate(facts, now, limits)
        conditions += reminder_conditions(s, ctx.settings, now)  # service request deadlines
        plan = reconcile(conditions, q.live_reminders(s), now, thresholds(limits).repeat)
        changes: list[ReminderChange] = []
        for cond in plan.raise_new:
            row = _insert(s, cond, now)
            if row is not None:
                changes.append(ReminderChange(RAISED, now, _view(row)))
        for live, cond in plan.raise_again:
            row = _raise_again(s, live, cond, now)
            if row is not None:
                changes.append(ReminderChange(RE_RAISED, now, _view(row)))
        for live in plan.close:
            row = _close(s, live, now)
            if row is not None:
                changes.append(ReminderChange(CLOSED, now, _view(row)))
        if last_run is None or now > last_run:
            q.set_meta(s, LAST_RUN, now.isoformat(), now)
    return changes


def _insert(s: Session, cond: Condition, now: datetime) -> Reminder | None:
    """A new row for the condition's episode, or None when that episode's row exists already (another
    process raised it first). A closed row with the same key (a clock set back, a threshold changed)
    ended its episode: the new one gets the key with `#2`, `#3`…, so it is a new row all the same."""
    key = cond.dedup_key
    n = 1
    while True:
        existing = q.reminder_by_key(s, key)
        if existing is None:
            row = Reminder(kind=cond.kind.value, severity=cond.severity.value, dedup_key=key, subject=cond.subject,
                           status=ReminderStatus.OPEN.value, raised_at=now, last_raised_at=now, raise_count=1,
                           payload=_payload(cond))
            try:
                with s.begin_nested():
                    s.add(row)
                    s.flush()
            except IntegrityError:  # another process inserted the same key meanwhile: read theirs
                existing = q.reminder_by_key(s, key)
                if existing is None:
                    raise
            else:
                record(s, now, SYSTEM, SubjectType.REMINDER, row.id or 0, RAISED, to_status=row.status,
                       detail={"kind": row.kind, "severity": row.severity, "key": key, "raise_count": 1,
                               "message": cond.message, "params": dict(cond.params)})
                return row
        if existing.status != ReminderStatus.CLOSED:
            return None
        n += 1
        key = f"{cond.dedup_key}#{n}"


def _raise_again(s: Session, live: LiveReminder, cond: Condition, now: datetime) -> Reminder | None:
    result = s.exec(
        update(Reminder)
        .where(col(Reminder.id) == live.id, col(Reminder.status) == ReminderStatus.OPEN.value)
        .values(raise_count=Reminder.raise_count + 1, last_raised_at=now, payload=_payload(cond))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # acknowledged or closed meanwhile
        return None
    row = _fresh(s, live.id)
    record(s, now, SYSTEM, SubjectType.REMINDER, live.id, RE_RAISED, from_status=row.status, to_status=row.status,
           detail={"kind": row.kind, "severity": row.severity, "key": row.dedup_key, "raise_count": row.raise_count,
                   "message": cond.message, "params": dict(cond.params)})
    return row


def _close(s: Session, live: LiveReminder, now: datetime) -> Reminder | None:
    result = s.exec(
        update(Reminder)
        .where(col(Reminder.id) == live.id, col(Reminder.status).in_([x.value for x in LIVE_STATUSES]))
        .values(status=ReminderStatus.CLOSED.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    row = _fresh(s, live.id)
    record(s, now, SYSTEM, SubjectType.REMINDER, live.id, CLOSED, from_status=live.status,
           to_status=ReminderStatus.CLOSED.value,
           detail={"kind": row.kind, "key": row.dedup_key, "raise_count": row.raise_count,
                   "reason": "condition_ended"})
    return row


def _fresh(s: Session, reminder_id: int) -> Reminder:
    row = s.get(Reminder, reminder_id, populate_existing=True)
    assert row is not None
    return row


# ------------------------------------------------------------------------------ people and views


def acknowledge(ctx: AppContext, reminder_id: int, actor: Actor) -> ReminderView:
    """An operator has seen the reminder: it stays quiet (no more repeats) until it closes."""
    if actor.is_system:
        raise Refused("reminders.ack_needs_operator")
    now = ctx.clock.now()
    with write_session(ctx.engine) as s:
        row = s.get(Reminder, reminder_id)
        if row is None:
            raise NotFound("reminders.not_found", id=reminder_id)
        if row.status != ReminderStatus.OPEN:
            raise _not_open(s, ctx, row)
        result = s.exec(
            update(Reminder)
            .where(col(Reminder.id) == reminder_id, col(Reminder.status) == ReminderStatus.OPEN.value)
            .values(status=ReminderStatus.ACKNOWLEDGED.value, acknowledged_by=actor.id, acknowledged_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            s.rollback()
            raise _not_open(s, ctx, _fresh(s, reminder_id), Conflict)
        row = _fresh(s, reminder_id)
        record(s, now, actor, SubjectType.REMINDER, reminder_id, ACKNOWLEDGED, from_status=ReminderStatus.OPEN.value,
               to_status=ReminderStatus.ACKNOWLEDGED.value,
               detail={"kind": row.kind, "key": row.dedup_key, "raise_count": row.raise_count})
        return _view(row, actor.name)


def _not_open(s: Session, ctx: AppContext, row: Reminder, cls: type[Refused] | type[Conflict] = Refused
              ) -> Refused | Conflict:
    tz = ctx.settings.tz
    if row.status == ReminderStatus.ACKNOWLEDGED:
        op = s.get(Operator, row.acknowledged_by) if row.acknowledged_by else None
        at = row.acknowledged_at.astimezone(tz).strftime("%H:%M") if row.acknowledged_at else "-"
        return cls("reminders.already_acknowledged", id=row.id, who=op.name if op else (row.acknowledged_by or "-"),
                   at=at)
    at = row.closed_at.astimezone(tz).strftime("%H:%M") if row.closed_at else "-"
    return cls("reminders.already_closed", id=row.id, at=at)


def _sort_key(v: ReminderView) -> tuple[int, int, float]:
    rank = SEVERITY_RANK.get(v.severity, 0)
    stamp = v.last_raised_at.timestamp() if v.last_raised_at else 0.0
    return (0 if v.status == ReminderStatus.OPEN else 1, -rank, -stamp)


def list_reminders(ctx: AppContext, *, include_closed: bool = False, limit: int = 500) -> list[ReminderView]:
    """Live reminders (open first, critical first, latest first), or with --all the latest of all."""
    with read_session(ctx.engine) as s:
        views = [_view(r, name) for r, name in q.reminder_rows(s, include_closed=include_closed, limit=limit)]
    if include_closed:
        return views
    return sorted(views, key=_sort_key)


def open_reminders(ctx: AppContext) -> list[ReminderView]:
    """Reminders not closed: the open ones first (critical first), then the acknowledged ones."""
    return list_reminders(ctx)


def get_reminder(ctx: AppContext, reminder_id: int) -> ReminderView:
    with read_session(ctx.engine) as s:
        row = s.get(Reminder, reminder_id)
        if row is None:
            raise NotFound("reminders.not_found", id=reminder_id)
        op = s.get(Operator, row.acknowledged_by) if row.acknowledged_by else None
        return _view(row, op.name if op else None)


def last_run(ctx: AppContext) -> datetime | None:
    """When the checks last ran, by any process on this database."""
    with read_session(ctx.engine) as s:
        value = q.get_meta(s, LAST_RUN)
    return datetime.fromisoformat(value) if value else None


def is_stale(ctx: AppContext, when: datetime | None = None) -> bool:
    """True when the checks have not run for more than three intervals (nobody runs a scheduler)."""
    ran = last_run(ctx)
    now = when or ctx.clock.now()
    return ran is None or now - ran > thresholds(reminder_limits(ctx.settings)).stale


def feed_cursor(ctx: AppContext) -> int:
    """The position in the event log from which `changes_since` reports."""
    with read_session(ctx.engine) as s:
        return last_event_id(s)


def changes_since(ctx: AppContext, cursor: int, limit: int = 5000) -> tuple[list[ReminderChange], int]:
    """Reminder changes made by any process after `cursor`, oldest first, and the new cursor: how every
    console and `watch` learns of reminders raised or acknowledged elsewhere."""
    with read_session(ctx.engine) as s:
        rows, new_cursor = q.reminder_events_after(s, cursor, limit)
    return _changes(rows), new_cursor


def reminder_feed(ctx: AppContext) -> EventFeed:
    """A feed of reminder changes from now on, exact on PostgreSQL too (late commits are not skipped)."""
    feed = EventFeed()
    with read_session(ctx.engine) as s:
        feed.start(s, last_event_id(s), ctx.clock.now())
    return feed


def changes_in_feed(ctx: AppContext, feed: EventFeed, limit: int = 5000) -> list[ReminderChange]:
    """The reminder changes among the feed's new events (each once, whatever order they committed in)."""
    before = feed.state()
    try:
        with read_session(ctx.engine) as s:
            ids = [r.id for r in feed.poll(s, ctx.clock.now(), limit) if r.subject_type == "reminder"]
            rows = q.reminder_events(s, ids)
    except BaseException:
        feed.restore(before)
        raise
    return _changes(rows)


def _changes(rows: list[Any]) -> list[ReminderChange]:
    out = []
    for ev, row, name in rows:
        if ev.action not in CHANGES:
            continue
        view = _view(row, name if ev.action == ACKNOWLEDGED else None, status=ev.to_status or row.status)
        if ev.action in (RAISED, RE_RAISED):
            view = replace(view, raise_count=int(ev.detail.get("raise_count", view.raise_count)),
                           last_raised_at=ev.at)
        out.append(ReminderChange(ev.action, ev.at, view, ev.id))
    return out
