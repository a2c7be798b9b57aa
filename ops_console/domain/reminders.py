"""Reminders: pure checks of a snapshot of facts and the time, and what to do about the open rows.

No I/O and no settings object: `evaluate(facts, now, limits)` says which conditions hold right
now, each with the start of its episode; `reconcile(conditions, open_rows, now, repeat)` says
which reminders to raise, raise again, or close. The service (services/reminders.py) builds the `Limits` from the
settings, gathers the facts and applies the plan in one transaction.

Episodes and dedup keys (CONTRACTS.md: kind + subject + episode):
- Timers of one order (picking, courier wait, delivery, confirmation, review) and the anomaly
  deadline have an exact episode in the data: the moment the order entered the stage (or the
  deadline). Leaving the stage and entering it again gives a new moment, so a new episode,
  whether or not a check ran in between.
- The backlog kinds and `scheduler_stale` are conditions of the whole queue: an episode is one
  unbroken stretch as seen by the checks. While a reminder of that kind is not closed and the
  condition still holds, the same row continues, even if the oldest order changed. A new episode
  starts when the condition was false at one check and true at a later one; its key is derived
  from the data (the `unassigned_at` of the oldest order at the crossing, the newest one for the
  count), so two processes crossing at the same time compute the same key.
- The replenishment window is keyed by the local business day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from ops_console.domain.sla import picking_sla_minutes
from ops_console.domain.types import Tier, next_tier


class ReminderKind(StrEnum):
    BACKLOG_WARN = "backlog_warn"
    BACKLOG_CRITICAL = "backlog_critical"
    BACKLOG_COUNT = "backlog_count"
    PICKING_OVERDUE = "picking_overdue"
    COURIER_WAIT = "courier_wait"
    DELIVERY_OVERDUE = "delivery_overdue"
    UNCONFIRMED_DELIVERY = "unconfirmed_delivery"
    MANUAL_REVIEW_OVERDUE = "manual_review_overdue"
    REORDER_WINDOW_OPEN = "reorder_window_open"
    REORDER_MISSING = "reorder_missing"
    REORDER_WINDOW_CLOSED = "reorder_window_closed"
    ALERT_DEADLINE = "alert_deadline"
    SCHEDULER_STALE = "scheduler_stale"
    DECISION_WAITING = "decision_waiting"


class Severity(StrEnum):
    INFO = "info"  # an announcement: raised once, not repeated
    WARNING = "warning"
    CRITICAL = "critical"  # rings the bell, stays on screen until acknowledged


SEVERITY_RANK: dict[str, int] = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}  # str keys: rows hold text


class ReminderStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


LIVE_STATUSES = (ReminderStatus.OPEN, ReminderStatus.ACKNOWLEDGED)

# Kinds whose episode is a stretch seen by the checks rather than a moment in the data.
CONTINUING_KINDS = frozenset(
    {ReminderKind.BACKLOG_WARN, ReminderKind.BACKLOG_CRITICAL, ReminderKind.BACKLOG_COUNT,
     ReminderKind.SCHEDULER_STALE}
)

QUEUE = "queue"  # the subject of the backlog reminders: the unassigned queue
CHECKS = "checks"  # the subject of scheduler_stale
STALE_INTERVALS = 3  # the checks are stale when they last ran more than this many intervals ago
REORDER_MISSING_LEAD = timedelta(minutes=15)  # reorder_missing this long before the window ends


# --------------------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class OrderClock:
    """One order and the moment its current clock started."""

    order_id: int
    order_no: str
    since: datetime
    store: str = ""  # store name, for the message
    categories: tuple[str, ...] = ()  # line categories (picking SLA)
    tier: str | None = None  # current courier tier (courier wait)
    status: str = ""  # the order's status, when the message names it (refused / not_completed)


@dataclass(frozen=True)
class AnomalyDeadline:
    anomaly_id: int
    rule: str
    deadline: datetime
    owner: str = ""
    order_no: str = ""


@dataclass(frozen=True)
class Facts:
    """What the checks need to know, read in one transaction. Order lists may hold only the orders
    already past their threshold (the queries pre-filter); the checks test the threshold again."""

    unassigned_count: int = 0
    oldest_unassigned: OrderClock | None = None
    newest_unassigned_at: datetime | None = None
    picking: tuple[OrderClock, ...] = ()  # assigned / picking, since = assigned_at
    picked_waiting: tuple[OrderClock, ...] = ()  # picked, since = picked or last escalated
    out_for_delivery: tuple[OrderClock, ...] = ()  # since = out_for_delivery_at
    delivered: tuple[OrderClock, ...] = ()  # delivered, not confirmed; since = delivered_at
    manual_review: tuple[OrderClock, ...] = ()  # since = entry into manual review
    # Refused / not completed orders, since = entry into that status; and those of them for which
    # a service request (return, exchange, refund) was opened since: a decision was taken.
    awaiting_decision: tuple[OrderClock, ...] = ()
    decided: frozenset[int] = frozenset()
    stores: tuple[tuple[str, str], ...] = ()  # active stores (id, name)
    stores_reordered_today: frozenset[str] = frozenset()
    anomaly_deadlines: tuple[AnomalyDeadline, ...] = ()
    last_run: datetime | None = None  # when the checks last ran (before this run)


# ----------------------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Condition:
    """A condition that holds now: one reminder (one row per episode)."""

    kind: StrEnum  # a ReminderKind, or a service's own kind (ServiceReminderKind): stored as text
    severity: Severity
    subject: str
    episode: datetime
    message: str  # catalog key
    params: Mapping[str, str | int] = field(default_factory=dict, compare=False, hash=False)
    refs: tuple[str, ...] = ()  # params that are catalog keys themselves (translated when shown)
    detail: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def continuing(self) -> bool:
        return self.kind in CONTINUING_KINDS

    @property
    def dedup_key(self) -> str:
        return dedup_key(self.kind, self.subject, self.episode)


def dedup_key(kind: str, subject: str, episode: datetime) -> str:
    stamp = episode.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{kind}|{subject}|{stamp}"


@dataclass(frozen=True)
class Thresholds:
    """How old a clock must be before its reminder; the queries use them to pre-filter."""

    backlog_warn: timedelta
    backlog_critical: timedelta
    picking_min: timedelta  # the strictest category: no order can be overdue before this
    courier_wait: timedelta
    delivery: timedelta
    unconfirmed: timedelta
    manual_review: timedelta
    decision: timedelta
    stale: timedelta
    repeat: timedelta


@dataclass(frozen=True)
class Limits:
    """The plain numbers the checks compare with (built from the settings by the service), so the
    rules never import the configuration."""

    backlog_warn_minutes: int
    backlog_critical_minutes: int
    backlog_max_orders: int
    picking_sla_minutes: Mapping[str, int]  # by category, with "default"
    courier_wait_minutes: int
    delivery_sla_minutes: int
    auto_confirm_hours: float
    manual_review_hours: float
    check_seconds: float
    repeat_minutes: float
    window_start_minute: int  # the replenishment window, minutes after local midnight
    window_end_minute: int
    tz: tzinfo  # business days and the times in messages are local
    decision_minutes: int = 15  # refused / not completed, no redispatch, service request or cancel


def thresholds(limits: Limits) -> Thresholds:
    return Thresholds(
        backlog_warn=timedelta(minutes=limits.backlog_warn_minutes),
        backlog_critical=timedelta(minutes=limits.backlog_critical_minutes),
        picking_min=timedelta(minutes=min(limits.picking_sla_minutes.values())),
        courier_wait=timedelta(minutes=limits.courier_wait_minutes),
        delivery=timedelta(minutes=limits.delivery_sla_minutes),
        unconfirmed=timedelta(hours=limits.auto_confirm_hours),
        manual_review=timedelta(hours=limits.manual_review_hours),
        decision=timedelta(minutes=limits.decision_minutes),
        stale=timedelta(seconds=STALE_INTERVALS * limits.check_seconds),
        repeat=timedelta(minutes=limits.repeat_minutes),
    )


@dataclass(frozen=True)
class Window:
    """Today's replenishment window, as instants."""

    day: date
    start: datetime
    end: datetime
    missing_from: datetime  # reorder_missing from here to the end
    day_start: datetime
    day_end: datetime
    text: str  # "13:00-15:00"


def reorder_window(now: datetime, limits: Limits) -> Window:
    tz = limits.tz
    local = now.astimezone(tz)
    day = local.date()
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    a, b = limits.window_start_minute, limits.window_end_minute
    start = (midnight + timedelta(minutes=a)).astimezone(UTC)
    end = (midnight + timedelta(minutes=b)).astimezone(UTC)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return Window(day, start, end, max(start, end - REORDER_MISSING_LEAD), midnight.astimezone(UTC), day_end,
                  f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}")


def needs_reorder_facts(now: datetime, limits: Limits) -> bool:
    """Only from `reorder_missing` to the end of the day do the checks need today's orders."""
    w = reorder_window(now, limits)
    return w.missing_from <= now < w.day_end


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def evaluate(facts: Facts, now: datetime, limits: Limits) -> list[Condition]:
    """Every condition that holds at `now`, at most one per (kind, subject)."""
    th = thresholds(limits)
    tz = limits.tz

    def hhmm(when: datetime) -> str:
        return when.astimezone(tz).strftime("%H:%M")

    def day_time(when: datetime) -> str:
        local = when.astimezone(tz)
        return local.strftime("%H:%M") if local.date() == now.astimezone(tz).date() else local.strftime("%m-%d %H:%M")

    out: list[Condition] = []

    # The unassigned queue (DOMAIN step 3: look every 10 minutes, never leave it 30).
    oldest = facts.oldest_unassigned
    if oldest is not None:
        age = now - oldest.since
        params: dict[str, str | int] = {"order": oldest.order_no, "minutes": _minutes(age), "since": hhmm(oldest.since),
                                        "count": facts.unassigned_count}
        if age >= th.backlog_warn:
            out.append(Condition(ReminderKind.BACKLOG_WARN, Severity.WARNING, QUEUE, oldest.since,
                                 "reminders.msg.backlog_warn",
                                 {**params, "limit": limits.backlog_warn_minutes},
                                 detail={"order_id": oldest.order_id}))
        if age >= th.backlog_critical:
            out.append(Condition(ReminderKind.BACKLOG_CRITICAL, Severity.CRITICAL, QUEUE, oldest.since,
                                 "reminders.msg.backlog_critical",
                                 {**params, "limit": limits.backlog_critical_minutes},
                                 detail={"order_id": oldest.order_id}))
    if facts.unassigned_count > limits.backlog_max_orders:
        out.append(Condition(ReminderKind.BACKLOG_COUNT, Severity.WARNING, QUEUE,
                             facts.newest_unassigned_at or now, "reminders.msg.backlog_count",
                             {"count": facts.unassigned_count, "limit": limits.backlog_max_orders}))

    # Timers of single orders.
    for o in facts.picking:
        sla = picking_sla_minutes(o.categories, limits.picking_sla_minutes)
        if now - o.since >= timedelta(minutes=sla):
            out.append(_order(ReminderKind.PICKING_OVERDUE, o, "reminders.msg.picking_overdue",
                              minutes=_minutes(now - o.since), sla=sla, since=hhmm(o.since)))
    for o in facts.picked_waiting:
        if now - o.since < th.courier_wait:
            continue
        tier = _tier(o.tier)
        nxt = next_tier(tier)
        if nxt is None:
            out.append(_order(ReminderKind.COURIER_WAIT, o, "reminders.msg.courier_wait_last",
                              refs=("tier",), minutes=_minutes(now - o.since), tier=f"tier.{tier.value}"))
        else:
            out.append(_order(ReminderKind.COURIER_WAIT, o, "reminders.msg.courier_wait",
                              refs=("tier", "next_tier"), minutes=_minutes(now - o.since),
                              tier=f"tier.{tier.value}", next_tier=f"tier.{nxt.value}",
                              detail={"suggested_tier": nxt.value}))
    for o in facts.out_for_delivery:
        if now - o.since >= th.delivery:
            out.append(_order(ReminderKind.DELIVERY_OVERDUE, o, "reminders.msg.delivery_overdue",
                              minutes=_minutes(now - o.since), sla=limits.delivery_sla_minutes,
                              since=hhmm(o.since)))
    for o in facts.delivered:
        if now - o.since >= th.unconfirmed:
            out.append(_order(ReminderKind.UNCONFIRMED_DELIVERY, o, "reminders.msg.unconfirmed_delivery",
                              hours=_hours(limits.auto_confirm_hours), since=day_time(o.since)))
    for o in facts.manual_review:
        if now - o.since >= th.manual_review:
            out.append(_order(ReminderKind.MANUAL_REVIEW_OVERDUE, o, "reminders.msg.manual_review_overdue",
                              minutes=_minutes(now - o.since), hours=_hours(limits.manual_review_hours),
                              since=day_time(o.since)))

    # A failed delivery needs a person's decision: redispatch, a return / exchange, or cancel.
    for o in facts.awaiting_decision:
        if o.order_id in facts.decided or now - o.since < th.decision:
            continue
        out.append(_order(ReminderKind.DECISION_WAITING, o, "reminders.msg.decision_waiting",
                          refs=("status",), minutes=_minutes(now - o.since), since=day_time(o.since),
                          status=f"status.{o.status or 'refused'}", limit=limits.decision_minutes))

    out.extend(_window(facts, now, limits))

    for a in facts.anomaly_deadlines:
        if a.deadline <= now:
            out.append(Condition(ReminderKind.ALERT_DEADLINE, Severity.WARNING, f"anomaly:{a.anomaly_id}", a.deadline,
                                 "reminders.msg.alert_deadline",
                                 {"anomaly": a.anomaly_id, "rule": a.rule, "deadline": day_time(a.deadline),
                                  "owner": a.owner or "-", "order": a.order_no or "-"},
                                 detail={"anomaly_id": a.anomaly_id}))

    if facts.last_run is not None and now - facts.last_run > th.stale:
        out.append(Condition(ReminderKind.SCHEDULER_STALE, Severity.WARNING, CHECKS, facts.last_run,
                             "reminders.msg.scheduler_stale",
                             {"since": day_time(facts.last_run), "minutes": _minutes(now - facts.last_run)}))
    return out


def _tier(value: str | None) -> Tier:
    try:
        return Tier(value or Tier.COMPANY)
    except ValueError:
        return Tier.COMPANY


def _hours(value: float) -> str:
    return f"{value:g}"


def _order(kind: ReminderKind, o: OrderClock, message: str, *, refs: tuple[str, ...] = (),
           detail: Mapping[str, object] | None = None, **params: str | int) -> Condition:
    return Condition(kind, Severity.WARNING, f"order:{o.order_id}", o.since, message,
                     {"order": o.order_no, "store": o.store or "-", **params}, refs,
                     {"order_id": o.order_id, **(detail or {})})


def _window(facts: Facts, now: datetime, limits: Limits) -> Iterable[Condition]:
    w = reorder_window(now, limits)
    subject = f"day:{w.day.isoformat()}"
    tz = limits.tz
    end = w.end.astimezone(tz).strftime("%H:%M")
    stores = dict(facts.stores)
    missing = [sid for sid in stores if sid not in facts.stores_reordered_today]
    names = ", ".join(f"{stores[sid]}({sid})" for sid in missing)
    if w.start <= now < w.end:
        yield Condition(ReminderKind.REORDER_WINDOW_OPEN, Severity.INFO, subject, w.start,
                        "reminders.msg.reorder_window_open", {"window": w.text, "end": end})
    if w.missing_from <= now < w.end and missing:
        yield Condition(ReminderKind.REORDER_MISSING, Severity.WARNING, subject, w.missing_from,
                        "reminders.msg.reorder_missing",
                        {"end": end, "count": len(missing), "stores": names, "window": w.text},
                        detail={"stores": missing})
    if w.end <= now < w.day_end:
        ordered = len(stores) - len(missing)
        if missing:
            yield Condition(ReminderKind.REORDER_WINDOW_CLOSED, Severity.INFO, subject, w.end,
                            "reminders.msg.reorder_window_closed_missing",
                            {"window": w.text, "ordered": ordered, "total": len(stores), "count": len(missing),
                             "stores": names},
                            detail={"stores": missing})
        else:
            yield Condition(ReminderKind.REORDER_WINDOW_CLOSED, Severity.INFO, subject, w.end,
                            "reminders.msg.reorder_window_closed",
                            {"window": w.text, "ordered": ordered, "total": len(stores)})


# ----------------------------------------------------------------------------------- reconcile


@dataclass(frozen=True)
class LiveReminder:
    """A reminder row that is not closed."""

    id: int
    kind: str
    subject: str
    dedup_key: str
    status: str
    severity: str
    last_raised_at: datetime


@dataclass(frozen=True)
class Plan:
    raise_new: tuple[Condition, ...] = ()
    raise_again: tuple[tuple[LiveReminder, Condition], ...] = ()
    close: tuple[LiveReminder, ...] = ()
    keep: tuple[tuple[LiveReminder, Condition], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.raise_new or self.raise_again or self.close)


def reconcile(conditions: Sequence[Condition], live: Sequence[LiveReminder], now: datetime,
              repeat: timedelta) -> Plan:
    """Match the conditions that hold with the reminders that are not closed.

    - a condition with no reminder of its episode: raise a new one;
    - an open (unacknowledged) reminder whose condition holds and which was last raised at least
      `repeat` ago: raise it again (same row) — announcements (`info`) are not repeated;
    - an acknowledged reminder whose condition holds: keep quiet;
    - a reminder whose condition no longer holds (or whose episode ended): close it.
    """
    by_key = {r.dedup_key: r for r in live}
    by_subject: dict[tuple[str, str], LiveReminder] = {}
    for r in sorted(live, key=lambda r: r.id):  # the newest row wins if there were ever two
        by_subject[(r.kind, r.subject)] = r
    matched: set[int] = set()
    raise_new: list[Condition] = []
    again: list[tuple[LiveReminder, Condition]] = []
    keep: list[tuple[LiveReminder, Condition]] = []
    for cond in conditions:
        row = by_key.get(cond.dedup_key)
        if row is None and cond.continuing:
            row = by_subject.get((cond.kind.value, cond.subject))
        if row is None or row.id in matched:
            raise_new.append(cond)
            continue
        matched.add(row.id)
        if (row.status == ReminderStatus.OPEN and cond.severity != Severity.INFO
                and now - row.last_raised_at >= repeat):
            again.append((row, cond))
        else:
            keep.append((row, cond))
    close = tuple(r for r in live if r.id not in matched)
    return Plan(tuple(raise_new), tuple(again), close, tuple(keep))
