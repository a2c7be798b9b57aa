"""The shared names of the anomaly rules: ids, thresholds, findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class RuleId(StrEnum):
    QUANTITY_SURGE = "quantity_surge"
    AMOUNT_SURGE = "amount_surge"
    AMOUNT_CAP = "amount_cap"
    STEP_MISMATCH = "step_mismatch"
    ZERO_STOCK = "zero_stock"
    OUTSIDE_REORDER_WINDOW = "outside_reorder_window"
    DUPLICATE_ORDER = "duplicate_order"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_DUPLICATE = "payment_duplicate"
    PAYMENT_MISMATCH = "payment_mismatch"
    PICKING_OVERDUE = "picking_overdue"
    DELIVERY_OVERDUE = "delivery_overdue"
    TRACKING_STALE = "tracking_stale"
    WEIGHT_DEVIATION = "weight_deviation"
    CASH_DIFFERENCE = "cash_difference"
    STAFF_REPORT = "staff_report"


# A replenishment order tripping one of these is put on hold until someone verifies it with the
# store (seed 004 §2.2): cash on delivery makes an absurd quantity a financial risk.
HOLD_RULES = frozenset({RuleId.QUANTITY_SURGE, RuleId.AMOUNT_SURGE, RuleId.AMOUNT_CAP, RuleId.STEP_MISMATCH})


@dataclass(frozen=True)
class Thresholds:
    """The anomaly.* settings as plain numbers (money in fen, the window in local minutes)."""

    history_days: int = 56
    history_points: int = 20
    min_history: int = 5
    surge_k: float = 4.0
    surge_min_ratio: float = 1.5
    cap_customer_cod: int = 100_000
    cap_replenishment: int = 2_000_000
    duplicate_minutes: int = 10
    weight_tolerance_pct: float = 5
    tracking_stale_minutes: int = 30
    overdue_factor: float = 2
    ack_timeout_minutes: int = 30
    reorder_window: tuple[int, int] = (13 * 60, 15 * 60)


@dataclass(frozen=True)
class Finding:
    """One rule that fires: about a subject (`order:12`, `courier:C01:2026-11-24`, …).

    `params` fill the message `anomalies.msg.<rule>`; `amount` is the money at risk in fen (it
    raises the severity); `lines` are the SKUs concerned for line rules.
    """

    rule: RuleId
    subject: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    amount: int = 0
    lines: tuple[str, ...] = ()


def subject_of(kind: str, ident: str | int) -> str:
    return f"{kind}:{ident}"
