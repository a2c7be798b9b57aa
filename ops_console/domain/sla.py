"""Service-level clocks: an order's picking SLA is the strictest of its lines' categories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ops_console.domain.types import Category

# Category names as they appear in platform files (CONTRACTS.md "Intake fields").
CATEGORY_ALIASES: dict[str, Category] = {
    "蔬果": Category.PRODUCE,
    "生鲜": Category.PRODUCE,
    "果蔬": Category.PRODUCE,
    "produce": Category.PRODUCE,
    "冷藏": Category.CHILLED,
    "chilled": Category.CHILLED,
    "冷冻": Category.FROZEN,
    "frozen": Category.FROZEN,
}


def normalize_category(value: str | None) -> Category:
    """蔬果/生鲜/produce → produce, 冷藏 → chilled, 冷冻 → frozen, anything else → default."""
    if not value:
        return Category.DEFAULT
    return CATEGORY_ALIASES.get(value.strip().lower(), Category.DEFAULT)


def picking_sla_minutes(categories: Iterable[str | None], sla: Mapping[str, int]) -> int:
    """The strictest (smallest) SLA among the lines' categories; `default` for unknown ones."""
    default = sla["default"]
    values = [sla.get(normalize_category(c).value, default) for c in categories]
    return min(values) if values else default
