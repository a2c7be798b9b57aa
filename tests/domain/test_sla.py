from ops_console.config import Settings
from ops_console.domain.sla import normalize_category, picking_sla_minutes

SLA = Settings().picking.sla_minutes


def test_strictest_line_wins() -> None:
    assert picking_sla_minutes(["default", "蔬果", "冷冻"], SLA) == 5
    assert picking_sla_minutes(["冷藏", "日用品"], SLA) == 10
    assert picking_sla_minutes(["零食"], SLA) == 15
    assert picking_sla_minutes([], SLA) == 15


def test_category_names_from_files() -> None:
    assert normalize_category("生鲜") == "produce"
    assert normalize_category(" Frozen ") == "frozen"
    assert normalize_category(None) == "default"
