"""The alert lifecycle: statuses, which action leads where, severity, ack timeout, silences.

`open → acknowledged → resolved`, or `silenced` until a time (then back to where it was). An
acknowledgement holds until the condition clears (a repeat only counts); an acknowledged critical
alert still unresolved after `ack_timeout_minutes` is raised again and escalated to the
supervisor role. The service (services/anomalies.py) applies these answers in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ops_console.domain.anomaly.base import RuleId, Thresholds
from ops_console.domain.reminders import Severity


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    SILENCED = "silenced"


LIVE = frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SILENCED})


class AlertAction(StrEnum):
    RAISE = "raised"
    REPEAT = "repeated"
    ACKNOWLEDGE = "acknowledged"
    OWN = "owned"
    RESOLVE = "resolved"
    SILENCE = "silenced"
    SILENCE_EXPIRED = "silence_expired"
    ESCALATE = "escalated"
    CONDITION_CLEARED = "condition_cleared"


class AlertRuleError(Exception):
    """A refused alert action: `code` is a message-catalog key."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


# action → the statuses it may start from, and where it leads (None: the status stays).
TRANSITIONS: dict[AlertAction, tuple[frozenset[AlertStatus], AlertStatus | None]] = {
    AlertAction.ACKNOWLEDGE: (frozenset({AlertStatus.OPEN}), AlertStatus.ACKNOWLEDGED),
    AlertAction.OWN: (LIVE, None),
    AlertAction.RESOLVE: (LIVE, AlertStatus.RESOLVED),
    AlertAction.SILENCE: (frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED}), AlertStatus.SILENCED),
}


def next_status(action: AlertAction, status: str) -> AlertStatus:
    sources, target = TRANSITIONS[action]
    current = AlertStatus(status)
    if current not in sources:
        raise AlertRuleError("anomalies.wrong_status", action=action.value, status=current.value)
    return target or current


def check_resolution(text: str, about_customer_order: bool, informed: bool | None) -> None:
    """Resolving needs a text and, for a customer's order, whether the customer was informed."""
    if not text.strip():
        raise AlertRuleError("anomalies.resolve_needs_text")
    if about_customer_order and informed is None:
        raise AlertRuleError("anomalies.resolve_needs_informed")


# Rules whose alerts are critical whatever the amount: money is already wrong.
CRITICAL_RULES = frozenset({RuleId.AMOUNT_CAP, RuleId.PAYMENT_DUPLICATE, RuleId.PAYMENT_MISMATCH,
                            RuleId.CASH_DIFFERENCE})
INFO_RULES = frozenset({RuleId.OUTSIDE_REORDER_WINDOW})


def severity_for(rule: RuleId | str, amount: int, kind: str, th: Thresholds) -> Severity:
    """From the rule, raised to critical when the money at risk reaches the order kind's cap."""
    rule = RuleId(rule)
    if rule in CRITICAL_RULES:
        return Severity.CRITICAL
    cap = th.cap_replenishment if kind == "replenishment" else th.cap_customer_cod
    if amount > 0 and amount >= cap:
        return Severity.CRITICAL
    if rule in INFO_RULES:
        return Severity.INFO
    return Severity.WARNING


def ack_timed_out(status: str, severity: str, acknowledged_at: datetime | None, now: datetime,
                  th: Thresholds) -> bool:
    """An acknowledged critical alert still unresolved `ack_timeout_minutes` after the acknowledgement."""
    return (status == AlertStatus.ACKNOWLEDGED and severity == Severity.CRITICAL and acknowledged_at is not None
            and now - acknowledged_at >= timedelta(minutes=th.ack_timeout_minutes))


def silence_expired(status: str, until: datetime | None, now: datetime) -> bool:
    return status == AlertStatus.SILENCED and (until is None or until <= now)


def episode_key(rule: str, subject: str, episode: str) -> str:
    """The fingerprint of one episode of a condition: rule + subject + episode."""
    return f"{rule}|{subject}|{episode}"
