"""Order drafts (validated, not yet stored), their fingerprint, and what a file gave (IntakeBatch)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops_console.domain.intake.problems import (
    Problem,
    Unit,
)
from ops_console.domain.types import (
    Category,
    Channel,
    PaymentMethod,
    PaymentStatus,
)


@dataclass(slots=True)
class LineDraft:
    """One line of an order draft (read-only by convention; not frozen because it is built in bulk)."""

    line_no: int
    position: int  # where the line is in the source (CSV row; the order's line / index otherwise)
    sku: str
    name: str
    qty: int
    unit_price: int  # fen
    spec: str = ""
    category: Category | None = None  # None: not given, the catalogue decides
    unit: str = ""
    weight_g: int | None = None

    @property
    def amount(self) -> int:
        return self.qty * self.unit_price


@dataclass(slots=True)
class OrderDraft:
    """A validated order from a file, not yet stored (read-only by convention)."""

    source: str
    unit: Unit
    positions: tuple[int, ...]
    kind: str
    channel: Channel
    order_no: str
    customer_name: str
    phone: str
    address: str
    payment_method: PaymentMethod
    payment_status: PaymentStatus
    paid_amount: int
    lines: tuple[LineDraft, ...]
    placed_at: datetime | None = None
    urgent: bool = False
    custom: bool = False
    appointment_at: datetime | None = None
    remarks: str = ""
    store_id: str | None = None
    fingerprint: str = ""
    key: tuple[str, str] = ("", "")  # (channel, order_no): set with the fingerprint

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)

    def where(self) -> str:
        """Short source reference stored on the order, e.g. `orders.csv row 2-3`."""
        return f"{self.source} {self.unit.value} {_ranges(self.positions)}"


def _ranges(positions: Sequence[int]) -> str:
    parts: list[str] = []
    items = sorted(set(positions))
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        parts.append(str(items[i]) if i == j else f"{items[i]}-{items[j]}")
        i = j + 1
    return ",".join(parts)


def fingerprint(draft: OrderDraft) -> str:
    """Stable sha256 of the normalized content (not of where it came from or when it was read).

    Line order does not matter; the same order from a CSV and from a JSON file gives the same
    fingerprint; a time without offset depends on the configured time zone.
    """
    plain = _PLAIN
    lines = [
        (ln.sku, ln.name, ln.spec, plain[ln.category] if ln.category else "", ln.qty, ln.unit, ln.unit_price,
         ln.weight_g or 0)
        for ln in draft.lines
    ]  # fmt: skip
    if len(lines) > 1:
        lines.sort()
    content = [
        draft.kind,
        plain[draft.channel],
        draft.order_no,
        draft.placed_at.isoformat() if draft.placed_at else None,
        draft.customer_name,
        draft.phone,
        draft.address,
        plain[draft.payment_method],
        plain[draft.payment_status],
        draft.paid_amount,
        draft.urgent,
        draft.custom,
        draft.appointment_at.isoformat() if draft.appointment_at else None,
        draft.remarks,
        draft.store_id,
        lines,
    ]
    # repr of str / int / bool / None in lists is exact and stable; cheaper than json.dumps.
    return hashlib.sha256(repr(content).encode("utf-8")).hexdigest()


@dataclass(slots=True)
class NoticeDraft:
    """A payment notification or a tracking update from a file (kind `payment` / `tracking`)."""

    source: str
    unit: Unit
    positions: tuple[int, ...]
    kind: str  # payment / tracking
    channel: Channel
    order_no: str
    status: str  # payment: paid / pending / failed / refunded; tracking: as the courier's system writes it
    at: datetime
    payment_ref: str = ""
    amount: int = 0  # fen
    note: str = ""

    def where(self) -> str:
        return f"{self.source} {self.unit.value} {_ranges(self.positions)}"


@dataclass(slots=True)
class RejectedOrder:  # read-only by convention; not frozen for the same reason as Problem
    """An order (or a record that could not be read as one) set aside with its problems."""

    positions: tuple[int, ...]
    problems: tuple[Problem, ...]
    key: tuple[str, str] | None = None


@dataclass
class IntakeBatch:
    """What one file gave: orders to store, orders set aside, warnings.

    `noted` are orders taken in whose record is also copied to quarantine with a warning (a
    remark cut to MAX_REMARKS_BYTES): nothing is lost, and someone can see what was cut.
    """

    source: str
    unit: Unit
    drafts: list[OrderDraft] = dataclasses.field(default_factory=list)
    notices: list[NoticeDraft] = dataclasses.field(default_factory=list)  # payments and tracking updates
    rejected: list[RejectedOrder] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    noted: list[RejectedOrder] = dataclasses.field(default_factory=list)

    @property
    def rejected_positions(self) -> list[int]:
        return sorted({p for r in self.rejected for p in r.positions})

    @property
    def quarantine_positions(self) -> list[int]:
        """Positions whose records go to the quarantine copy: the set-aside and the noted ones."""
        return sorted({p for r in (*self.rejected, *self.noted) for p in r.positions})

    def problems_by_position(self) -> dict[int, list[Problem]]:
        out: dict[int, list[Problem]] = {}
        for rej in (*self.rejected, *self.noted):
            for prob in rej.problems:
                if prob.position is not None:
                    out.setdefault(prob.position, []).append(prob)
        return out


@dataclass(slots=True)
class SourceRecord:
    """One JSON / JSON Lines record: the object, or the verbatim text when it did not parse."""

    position: int
    data: Any = None
    raw: str | None = None
    error: str | None = None  # JSON parse error; data is then None
    error_key: str | None = None  # a catalog message instead of `error` (e.g. nested too deep)
    error_params: dict[str, Any] | None = None


# Enum member → its plain text (a dict look-up is cheaper than `.value` in the hot loops).
_PLAIN: dict[Any, str] = {m: m.value for e in (Channel, PaymentMethod, PaymentStatus, Category) for m in e}
