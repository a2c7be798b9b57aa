"""Rules on clocks the scheduler's checks watch: a stage far past its SLA, a silent courier.

The plain SLA breach is a reminder (domain/reminders.py); past `overdue_factor` × SLA it is also
an anomaly, which someone must resolve — or the stage's completion does, when nobody owns it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ops_console.domain.anomaly.base import Finding, RuleId, Thresholds, subject_of


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def picking_overdue(order_id: int, order_no: str, since: datetime, now: datetime, sla_minutes: int,
                    th: Thresholds, amount: int = 0) -> Finding | None:
    """Picking (from `assign`) past overdue_factor × the order's picking SLA."""
    limit = timedelta(minutes=sla_minutes * th.overdue_factor)
    if now - since < limit:
        return None
    return Finding(RuleId.PICKING_OVERDUE, subject_of("order", order_id),
                   {"order": order_no, "minutes": _minutes(now - since), "sla": sla_minutes,
                    "limit": _minutes(limit)}, amount=amount)


def delivery_overdue(order_id: int, order_no: str, since: datetime, now: datetime, sla_minutes: int,
                     th: Thresholds, amount: int = 0) -> Finding | None:
    """Out for delivery past overdue_factor × `delivery.sla_minutes`."""
    limit = timedelta(minutes=sla_minutes * th.overdue_factor)
    if now - since < limit:
        return None
    return Finding(RuleId.DELIVERY_OVERDUE, subject_of("order", order_id),
                   {"order": order_no, "minutes": _minutes(now - since), "sla": sla_minutes,
                    "limit": _minutes(limit)}, amount=amount)


def tracking_stale(order_id: int, order_no: str, last_update: datetime, now: datetime,
                   th: Thresholds) -> Finding | None:
    """A third-party delivery with no tracking update (or none since dispatch) for too long."""
    limit = timedelta(minutes=th.tracking_stale_minutes)
    if now - last_update < limit:
        return None
    return Finding(RuleId.TRACKING_STALE, subject_of("order", order_id),
                   {"order": order_no, "minutes": _minutes(now - last_update), "limit": th.tracking_stale_minutes})
