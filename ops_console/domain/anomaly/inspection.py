"""Rules on what people record: weight at hand-over, cash at closeout, a staff report."""

from __future__ import annotations

from ops_console.domain.anomaly.base import Finding, RuleId, Thresholds, subject_of
from ops_console.domain.money import fen_to_yuan

# What a staff report is about (seed 004: wrong order, changed order, exchange, return; 003: complaint).
STAFF_REPORT_KINDS = ("wrong_order", "changed_order", "exchange", "return", "complaint", "other")


def weight_deviation(order_id: int, order_no: str, sku: str, ordered_g: int, measured_g: int,
                     th: Thresholds) -> Finding | None:
    """Measured weight off the ordered weight by more than `weight_tolerance_pct` percent."""
    if ordered_g <= 0:
        return None
    pct = (measured_g - ordered_g) * 100 / ordered_g
    if abs(pct) <= th.weight_tolerance_pct:
        return None
    return Finding(RuleId.WEIGHT_DEVIATION, subject_of("order", order_id),
                   {"order": order_no, "sku": sku, "ordered": ordered_g, "measured": measured_g,
                    "pct": f"{pct:+.1f}", "tolerance": f"{th.weight_tolerance_pct:g}"}, lines=(sku,))


def cash_difference(courier_id: str, business_date: str, expected: int, counted: int) -> Finding | None:
    """A courier's counted cash differs from what the ledger expects (raised by closeout)."""
    if counted == expected:
        return None
    return Finding(RuleId.CASH_DIFFERENCE, subject_of("courier", f"{courier_id}:{business_date}"),
                   {"courier": courier_id, "date": business_date, "expected": fen_to_yuan(expected),
                    "counted": fen_to_yuan(counted), "difference": fen_to_yuan(counted - expected)},
                   amount=abs(counted - expected))


def staff_report(subject: str, ref: str, text: str, kind: str = "other") -> Finding | None:
    """Anyone may flag an order (or store) abnormal with a description; no text, no report."""
    text = text.strip()
    if not text:
        return None
    return Finding(RuleId.STAFF_REPORT, subject, {"ref": ref, "text": text[:500], "kind": kind})
