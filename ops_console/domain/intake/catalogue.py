"""Catalogue facts about drafts (the automatic review itself is domain/review.py)."""

from __future__ import annotations

from collections.abc import Container, Mapping

from ops_console.domain.intake.drafts import (
    LineDraft,
    OrderDraft,
)
from ops_console.domain.intake.problems import (
    Problem,
    Unit,
)
from ops_console.domain.types import (
    Category,
)

# The automatic review itself is domain/review.py (one rule for every way in).


def line_category(line: LineDraft, catalogue: Mapping[str, Category]) -> Category:
    """The catalogue's category for a known SKU, else the file's, else `default`."""
    known = catalogue.get(line.sku)
    if known is not None:
        return known
    return line.category or Category.DEFAULT


def unknown_sku_warnings(draft: OrderDraft, known: Container[str]) -> list[Problem]:
    """A warning per line whose SKU is not in the catalogue (the line is kept)."""
    out = []
    for line in draft.lines:
        if line.sku not in known:
            fld = "sku" if draft.unit is Unit.ROW else f"lines[{line.line_no - 1}].sku"
            out.append(Problem("intake.sku.unknown", line.position, fld, fld, {"sku": line.sku, "order_no": draft.order_no}))
    return out
