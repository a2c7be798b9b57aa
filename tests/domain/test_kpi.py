"""The KPI maths of the reports: medians, percentiles, percentages, the on-time and SLA rules."""

from __future__ import annotations

from ops_console.domain import kpi

T = 1_795_485_600_000  # 2026-11-24 02:00 UTC in epoch milliseconds
MIN = 60_000
SLA = {"produce": 5, "chilled": 10, "frozen": 10, "default": 15}


def test_median_and_p90_by_hand() -> None:
    assert kpi.median([]) is None and kpi.p90([]) is None
    assert kpi.median([7]) == 7.0 and kpi.p90([7]) == 7.0
    assert kpi.median([4, 1, 3]) == 3.0
    assert kpi.median([1, 2, 3, 10]) == 2.5
    # nearest rank: ⌈0.9·10⌉ = 9th of 1..10; ⌈0.9·4⌉ = 4th
    assert kpi.p90(range(1, 11)) == 9.0
    assert kpi.p90([20, 25, 30, 45]) == 45.0
    assert kpi.median([0.25, 0.25]) == 0.3  # halves round away from zero, not to even


def test_percentages_have_one_decimal_and_none_without_a_base() -> None:
    assert kpi.pct(1, 3) == 33.3
    assert kpi.pct(2, 3) == 66.7
    assert kpi.pct(0, 0) is None
    assert kpi.pct(5, 5) == 100.0


def test_on_time_rule_promise_or_appointment_plus_ten() -> None:
    assert kpi.on_time(T, T + 60 * MIN, None, 60)
    assert not kpi.on_time(T, T + 60 * MIN + 1, None, 60)  # one millisecond late is late
    appointment = T + 180 * MIN
    assert kpi.on_time(T, appointment + 10 * MIN, appointment, 60)
    assert not kpi.on_time(T, appointment + 11 * MIN, appointment, 60)


def test_picking_sla_is_the_strictest_line_category_from_assign() -> None:
    assert kpi.strictest_sla(["produce", "frozen"], SLA) == 5
    assert kpi.strictest_sla(["冷冻", "蔬果"], SLA) == 5
    assert kpi.strictest_sla(["weird", None], SLA) == 15
    assert kpi.picked_within_sla(T, T + 5 * MIN, 5)
    assert not kpi.picked_within_sla(T, T + 6 * MIN, 5)


def test_stage_durations_skip_stages_not_reached() -> None:
    reached = {"received": T, "assigned": T + 4 * MIN, "picked": T + 9 * MIN, "dispatched": T + 12 * MIN}
    assert kpi.stage_durations(reached) == {"received_assigned": 4.0, "picked_dispatched": 3.0}
    summary = kpi.stage_summary([kpi.stage_durations(reached), {"received_assigned": 10.0}])
    assert summary["received_assigned"] == {"median": 7.0, "p90": 10.0}
    assert summary["out_delivered"] == {"median": None, "p90": None}


def test_money_cash_and_checksum() -> None:
    assert kpi.yuan(-150) == "-1.50" and kpi.yuan(5) == "0.05"
    assert kpi.expected_cash(20000, 3500, 3500, 0) == 20000
    a = {"date": "2026-11-24", "orders": {"received": 1}, "status": "closed"}
    b = {"orders": {"received": 1}, "date": "2026-11-24", "status": "reopened", "checksum": "x"}
    assert kpi.checksum(a) == kpi.checksum(b)  # key order, status and the checksum itself do not count
    assert kpi.checksum(a) != kpi.checksum({**a, "orders": {"received": 2}})
    assert kpi.count_map(["late", None, "late"]) == {"late": 2, "other": 1}
