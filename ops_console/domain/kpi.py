"""KPI maths of the reports and the closeout: pure functions, no I/O.

Conventions (the same in every report, so a figure can be re-computed by hand):
- durations are minutes; a median of an even count is the mean of the two middle values; the
  90th percentile is the nearest-rank one (the ⌈0.9·n⌉-th smallest value); both one decimal;
- a percentage is one decimal, and None (shown "n/a") when there is nothing to divide by;
- an order is on time when delivered within `promise_minutes` of being received, or — when it
  has an appointment — by the appointment + `APPOINTMENT_GRACE_MINUTES`;
- picking is within SLA when picked within the strictest SLA of the order's lines, counted from
  `assign`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from ops_console.domain.sla import picking_sla_minutes

APPOINTMENT_GRACE_MINUTES = 10

# The stage clocks of CONTRACTS "Closeout JSON" `stage_minutes`: (key, from status, to status).
STAGES: tuple[tuple[str, str, str], ...] = (
    ("received_assigned", "received", "assigned"),
    ("assigned_picking", "assigned", "picking"),
    ("picking_picked", "picking", "picked"),
    ("picked_dispatched", "picked", "dispatched"),
    ("dispatched_out", "dispatched", "out_for_delivery"),
    ("out_delivered", "out_for_delivery", "delivered"),
)


def round1(value: float) -> float:
    """One decimal, halves away from zero (Python's round() would give 0.2 for 0.25)."""
    scaled = abs(value) * 10
    out = math.floor(scaled + 0.5) / 10
    return out if value >= 0 else -out


def median(values: Iterable[float]) -> float | None:
    items = sorted(values)
    n = len(items)
    if n == 0:
        return None
    mid = n // 2
    value = items[mid] if n % 2 else (items[mid - 1] + items[mid]) / 2
    return round1(value)


def p90(values: Iterable[float]) -> float | None:
    """Nearest-rank 90th percentile: the ⌈0.9·n⌉-th smallest value."""
    items = sorted(values)
    if not items:
        return None
    rank = math.ceil(0.9 * len(items))
    return round1(items[rank - 1])


def spread(values: Iterable[float]) -> dict[str, float | None]:
    items = sorted(values)  # once: median and p90 sort a sorted list in linear time
    return {"median": median(items), "p90": p90(items)}


def pct(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return round1(100.0 * part / whole)


def minutes(start_ms: int | None, end_ms: int | None) -> float | None:
    """Minutes between two instants given as epoch milliseconds (None when one is missing or the
    end comes first). Instants are integers so a boundary compares exactly."""
    if start_ms is None or end_ms is None or end_ms < start_ms:
        return None
    return (end_ms - start_ms) / 60_000


def on_time(received_ms: int, delivered_ms: int, appointment_ms: int | None, promise_minutes: int) -> bool:
    if appointment_ms is not None:
        return delivered_ms <= appointment_ms + APPOINTMENT_GRACE_MINUTES * 60_000
    return delivered_ms <= received_ms + promise_minutes * 60_000


def picked_within_sla(assigned_ms: int, picked_ms: int, sla_minutes: int) -> bool:
    """`sla_minutes`: the order's SLA, the strictest of its lines' categories (domain/sla.py)."""
    return picked_ms <= assigned_ms + sla_minutes * 60_000


def strictest_sla(categories: Iterable[str | None], sla: Mapping[str, int]) -> int:
    return picking_sla_minutes(categories, sla)


def stage_durations(first_reached: Mapping[str, int]) -> dict[str, float]:
    """Minutes of each stage an order went through: first time it reached one status to the first
    time it reached the next (a stage not reached, or reached out of order, is left out)."""
    out: dict[str, float] = {}
    for key, start, end in STAGES:
        value = minutes(first_reached.get(start), first_reached.get(end))
        if value is not None:
            out[key] = value
    return out


def stage_summary(per_order: Iterable[Mapping[str, float]]) -> dict[str, dict[str, float | None]]:
    collected: dict[str, list[float]] = {key: [] for key, _, _ in STAGES}
    for durations in per_order:
        for key, value in durations.items():
            collected[key].append(value)
    return {key: spread(values) for key, values in collected.items()}


def stage_summary_by_status(first_reached: Mapping[str, Mapping[int, int]]) -> dict[str, dict[str, float | None]]:
    """`stage_summary` of many orders' first-reached instants, kept per status ({status: {order:
    first instant, epoch ms}}): one pass per stage."""
    out: dict[str, dict[str, float | None]] = {}
    for key, start, end in STAGES:
        starts, ends = first_reached.get(start, {}), first_reached.get(end, {})
        values = [(e - s) / 60_000 for oid, e in ends.items() if (s := starts.get(oid)) is not None and e >= s]
        out[key] = spread(values)
    return out


def count_map(codes: Iterable[str | None]) -> dict[str, int]:
    """{code: n} of the codes that occurred, sorted by code (a missing code counts as `other`)."""
    counts = Counter(code or "other" for code in codes)
    return dict(sorted(counts.items()))


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def expected_cash(float_fen: int, cod_fen: int, refunds_fen: int, compensation_fen: int) -> int:
    """What a courier must hand in: the change float plus COD collected, less cash refunds paid
    and compensation paid out."""
    return float_fen + cod_fen - refunds_fen - compensation_fen


def business_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


UNCHECKED = ("checksum", "status", "report_files")


def canonical_json(figures: Mapping[str, Any]) -> str:
    return json.dumps(figures, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def checksum(figures: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of the figures (without the checksum itself, the status, which
    changes when a day is reopened, and the list of report files written after the freeze)."""
    body = {k: v for k, v in figures.items() if k not in UNCHECKED}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
