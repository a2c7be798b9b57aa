"""A shortage while picking (DOMAIN step 5, `report_shortage`): which line, how much is there, and
what the order amount becomes. Pure: the service reads the line and writes the result."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ops_console.domain.lifecycle import RuleError
from ops_console.domain.types import ShortageResolution


@dataclass(frozen=True)
class ShortLine:
    """What a shortage does to one line and to the order amount (fen)."""

    line_no: int
    picked_qty: float
    substitute_sku: str | None
    amount_change: int  # fen, ≤ 0: only `partial` bills less


def short_line(*, line_no: int, qty: float, unit_price: int, already_short: bool, available: object,
               resolution: ShortageResolution, substitute_sku: str | None = None) -> ShortLine:
    """The line as picked. `available` is what the store has of it (0 ≤ available < qty).

    `partial` bills only what goes out; `substitute` and `wait` keep the amount (the substitute or
    the rest still reaches the customer). A line already marked short is refused: a second report
    would need to know what the first billed, and the store reports the final figure once."""
    if already_short:
        raise RuleError("shortage.line_already_short", line=line_no)
    try:
        have = float(str(available).strip())
    except ValueError:
        raise RuleError("shortage.available_invalid", value=str(available)) from None
    if not math.isfinite(have) or have < 0 or have >= qty:
        raise RuleError("shortage.available_range", value=f"{have:g}", qty=f"{qty:g}")
    change = -round((qty - have) * unit_price) if resolution == ShortageResolution.PARTIAL else 0
    sku = (substitute_sku or "").strip() or None
    return ShortLine(line_no, have, sku if resolution == ShortageResolution.SUBSTITUTE else None, change)
