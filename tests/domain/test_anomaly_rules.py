"""Every anomaly rule: a hand-made history that fires it, and one just inside its threshold that does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ops_console.domain.anomaly import RuleId, Thresholds
from ops_console.domain.anomaly.alerts import (
    AlertAction,
    AlertRuleError,
    ack_timed_out,
    check_resolution,
    next_status,
    severity_for,
    silence_expired,
)
from ops_console.domain.anomaly.inspection import cash_difference, staff_report, weight_deviation
from ops_console.domain.anomaly.orders import (
    HistoryIndex,
    LineFacts,
    OrderFacts,
    amount_cap,
    evaluate_order,
    outside_reorder_window,
    step_mismatch,
    zero_stock,
)
from ops_console.domain.anomaly.payments import (
    PaymentFacts,
    payment_duplicate,
    payment_failed,
    payment_mismatch,
)
from ops_console.domain.anomaly.stats import robust_stats
from ops_console.domain.anomaly.timers import delivery_overdue, picking_overdue, tracking_stale
from ops_console.domain.replenishment import ReplAction, ReplRuleError, ReplStatus, resolve_repl
from ops_console.domain.types import Role

TH = Thresholds()
T0 = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)  # 13:30 in Shanghai: inside the reorder window
_ids = iter(range(1, 10**9))


def repl(qty: float | list[float], *, sku: str = "G001", store: str = "S01", at: datetime = T0, price: int = 200,
         step: int = 1, stock: int | None = 100, minutes: int = 13 * 60 + 30) -> OrderFacts:
    qtys = qty if isinstance(qty, list) else [qty]
    lines = tuple(LineFacts(f"{sku}{i or ''}", q, step, stock) for i, q in enumerate(qtys))
    n = next(_ids)
    return OrderFacts(n, f"R{n}", "replenishment", at, minutes, round(sum(q * price for q in qtys)), lines,
                      store_id=store, payment_method="cod")


def customer(qty: float, *, phone: str = "13812341234", at: datetime = T0, payment: str = "online",
             price: int = 350, sku: str = "P001") -> OrderFacts:
    n = next(_ids)
    return OrderFacts(n, f"MT{n}", "customer", at, 600, round(qty * price), (LineFacts(sku, qty, 1, 100),),
                      phone=phone, payment_method=payment)


def history(*orders: OrderFacts) -> HistoryIndex:
    index = HistoryIndex(TH)
    for o in orders:
        index.observe(o)
    return index


def past(qtys: list[float], **kw: object) -> list[OrderFacts]:
    return [repl(q, at=T0 - timedelta(days=len(qtys) - i), **kw) for i, q in enumerate(qtys)]  # type: ignore[arg-type]


def rules(order: OrderFacts, index: HistoryIndex) -> set[str]:
    return {f.rule.value for f in evaluate_order(order, index, TH)}


# ------------------------------------------------------------------------------ quantity_surge


def test_quantity_surge_fires_on_tenfold_and_not_just_inside() -> None:
    index = history(*past([10, 12, 9, 11, 10, 10, 13, 8]))
    stats = robust_stats([10, 12, 9, 11, 10, 10, 13, 8])
    assert stats.median == 10 and stats.mad == 1
    limit = max(stats.median + TH.surge_k * stats.mad, TH.surge_min_ratio * stats.median)  # 15
    assert "quantity_surge" in rules(repl(100), index)
    assert "quantity_surge" in rules(repl(limit + 1), index)
    assert "quantity_surge" not in rules(repl(limit), index)


def test_quantity_surge_flat_history_does_not_fire_on_plus_one() -> None:
    index = history(*past([12] * 10))
    assert "quantity_surge" not in rules(repl(13), index)
    assert "quantity_surge" not in rules(repl(18), index)  # 1.5 × 12: just inside the ratio
    assert "quantity_surge" in rules(repl(19), index)


def test_quantity_surge_too_little_history_gives_no_verdict() -> None:
    index = history(*past([10, 10, 10, 10]))  # min_history = 5
    assert "quantity_surge" not in rules(repl(1000), index)
    index.observe(repl(10, at=T0 - timedelta(hours=1)))
    assert "quantity_surge" in rules(repl(1000), index)


def test_quantity_surge_forgets_history_older_than_the_window() -> None:
    old = [repl(10, at=T0 - timedelta(days=TH.history_days + 1 + i)) for i in range(10)]
    assert "quantity_surge" not in rules(repl(1000), history(*old))


def test_quantity_surge_is_per_store() -> None:
    index = history(*past([10] * 8, store="S02"))
    assert "quantity_surge" not in rules(repl(100, store="S01"), index)


# -------------------------------------------------------------------------- amount_surge / cap


def test_amount_surge_against_the_customers_own_history() -> None:
    index = history(*[customer(2, at=T0 - timedelta(days=i + 1)) for i in range(6)])  # 7.00 yuan each
    assert "amount_surge" in rules(customer(20, sku="X1"), index)
    assert "amount_surge" not in rules(customer(3, sku="X1"), index)  # 1.5 × median: inside


def test_amount_cap_customer_cod_and_replenishment() -> None:
    cap = TH.cap_customer_cod
    assert amount_cap(customer(cap / 350 + 1, payment="cod"), TH) is not None
    assert amount_cap(OrderFacts(1, "MT1", "customer", T0, 600, cap, (), payment_method="cod"), TH) is None
    assert amount_cap(OrderFacts(1, "MT1", "customer", T0, 600, cap * 5, (), payment_method="online"), TH) is None
    rcap = TH.cap_replenishment
    assert amount_cap(OrderFacts(1, "R1", "replenishment", T0, 800, rcap + 1, (), store_id="S01"), TH) is not None
    assert amount_cap(OrderFacts(1, "R1", "replenishment", T0, 800, rcap, (), store_id="S01"), TH) is None


# ------------------------------------------------------------------------ step, stock, window


def test_step_mismatch() -> None:
    assert step_mismatch(repl(13, step=12), LineFacts("G001", 13, 12)) is not None
    assert step_mismatch(repl(24, step=12), LineFacts("G001", 24, 12)) is None
    assert "step_mismatch" in rules(repl(25, step=12), HistoryIndex(TH))


def test_zero_stock() -> None:
    o = repl(1)
    assert zero_stock(o, LineFacts("F001", 1, 1, 0)) is not None
    assert zero_stock(o, LineFacts("F001", 1, 1, 1)) is None
    assert zero_stock(o, LineFacts("F001", 1, 1, None)) is None  # not in the catalogue: no verdict


def test_outside_reorder_window_edges() -> None:
    assert outside_reorder_window(repl(1, minutes=13 * 60), TH) is None
    assert outside_reorder_window(repl(1, minutes=15 * 60 - 1), TH) is None
    assert outside_reorder_window(repl(1, minutes=15 * 60), TH) is not None
    assert outside_reorder_window(repl(1, minutes=12 * 60 + 59), TH) is not None
    assert outside_reorder_window(customer(1), TH) is None


def test_duplicate_order_same_phone_same_lines_within_minutes() -> None:
    first = customer(2, at=T0)
    index = history(first)
    assert "duplicate_order" in rules(customer(2, at=T0 + timedelta(minutes=TH.duplicate_minutes)), index)
    assert "duplicate_order" not in rules(customer(2, at=T0 + timedelta(minutes=TH.duplicate_minutes, seconds=1)),
                                          index)
    assert "duplicate_order" not in rules(customer(3, at=T0 + timedelta(minutes=1)), index)
    assert "duplicate_order" not in rules(customer(2, phone="13900000000", at=T0 + timedelta(minutes=1)), index)


# -------------------------------------------------------------------------------- payments


def test_payment_rules() -> None:
    assert payment_failed(1, "MT1", PaymentFacts("A", 700, "failed")) is not None
    assert payment_failed(1, "MT1", PaymentFacts("A", 700, "paid")) is None
    one = [PaymentFacts("A", 700, "paid")]
    assert payment_duplicate(1, "MT1", one) is None
    assert payment_duplicate(1, "MT1", [*one, PaymentFacts("A", 700, "paid")]) is None  # the same notice twice
    assert payment_duplicate(1, "MT1", [*one, PaymentFacts("B", 700, "paid")]) is not None
    assert payment_duplicate(1, "MT1", [*one, PaymentFacts("B", 700, "failed")]) is None
    assert payment_duplicate(1, "MT1", [*one, PaymentFacts("A", 800, "paid")]) is not None
    assert payment_mismatch(1, "MT1", one, 701) is None  # one fen: rounding
    assert payment_mismatch(1, "MT1", one, 702) is not None
    assert payment_mismatch(1, "MT1", [PaymentFacts("A", 700, "pending")], 9999) is None


# ---------------------------------------------------------------------------------- timers


def test_timer_rules_fire_at_factor_times_sla() -> None:
    sla = 5
    limit = timedelta(minutes=sla * TH.overdue_factor)
    assert picking_overdue(1, "MT1", T0, T0 + limit, sla, TH) is not None
    assert picking_overdue(1, "MT1", T0, T0 + limit - timedelta(seconds=1), sla, TH) is None
    dlimit = timedelta(minutes=45 * TH.overdue_factor)
    assert delivery_overdue(1, "MT1", T0, T0 + dlimit, 45, TH) is not None
    assert delivery_overdue(1, "MT1", T0, T0 + dlimit - timedelta(seconds=1), 45, TH) is None
    stale = timedelta(minutes=TH.tracking_stale_minutes)
    assert tracking_stale(1, "MT1", T0, T0 + stale, TH) is not None
    assert tracking_stale(1, "MT1", T0, T0 + stale - timedelta(seconds=1), TH) is None


# ------------------------------------------------------------------------------ inspection


def test_weight_cash_and_staff_report() -> None:
    assert weight_deviation(1, "MT1", "P001", 1000, 1051, TH) is not None
    assert weight_deviation(1, "MT1", "P001", 1000, 1050, TH) is None
    assert weight_deviation(1, "MT1", "P001", 1000, 949, TH) is not None
    assert weight_deviation(1, "MT1", "P001", 1000, 950, TH) is None
    assert cash_difference("C01", "2026-11-24", 12000, 11990) is not None
    assert cash_difference("C01", "2026-11-24", 12000, 12000) is None
    assert staff_report("order:1", "MT1", "送错了商品") is not None
    assert staff_report("order:1", "MT1", "   ") is None


# ------------------------------------------------------------------------- alert lifecycle


def test_alert_transitions_and_resolution_checks() -> None:
    assert next_status(AlertAction.ACKNOWLEDGE, "open") == "acknowledged"
    assert next_status(AlertAction.OWN, "acknowledged") == "acknowledged"
    assert next_status(AlertAction.SILENCE, "open") == "silenced"
    assert next_status(AlertAction.RESOLVE, "silenced") == "resolved"
    for action, status in ((AlertAction.ACKNOWLEDGE, "acknowledged"), (AlertAction.RESOLVE, "resolved")):
        try:
            next_status(action, status)
        except AlertRuleError as exc:
            assert exc.code == "anomalies.wrong_status"
        else:  # pragma: no cover
            raise AssertionError("accepted")
    for text, customer_order, informed, ok in (("", False, None, False), ("done", True, None, False),
                                               ("done", True, False, True), ("done", False, None, True)):
        try:
            check_resolution(text, customer_order, informed)
            assert ok
        except AlertRuleError:
            assert not ok


def test_severity_ack_timeout_and_silence() -> None:
    assert severity_for(RuleId.AMOUNT_CAP, 0, "customer", TH) == "critical"
    assert severity_for(RuleId.QUANTITY_SURGE, 1000, "replenishment", TH) == "warning"
    assert severity_for(RuleId.QUANTITY_SURGE, TH.cap_replenishment, "replenishment", TH) == "critical"
    assert severity_for(RuleId.OUTSIDE_REORDER_WINDOW, 0, "replenishment", TH) == "info"
    at = T0
    timeout = timedelta(minutes=TH.ack_timeout_minutes)
    assert ack_timed_out("acknowledged", "critical", at, at + timeout, TH)
    assert not ack_timed_out("acknowledged", "critical", at, at + timeout - timedelta(seconds=1), TH)
    assert not ack_timed_out("acknowledged", "warning", at, at + timeout * 10, TH)
    assert silence_expired("silenced", at, at)
    assert not silence_expired("silenced", at, at - timedelta(seconds=1))


def test_replenishment_table() -> None:
    assert resolve_repl(ReplAction.PLACE, None, Role.SYSTEM) == ReplStatus.PLACED
    assert resolve_repl(ReplAction.HOLD, "placed", Role.SYSTEM) == ReplStatus.ON_HOLD
    assert resolve_repl(ReplAction.VERIFY, "on_hold", Role.DISPATCHER) == ReplStatus.ACCEPTED
    for action, status, role in ((ReplAction.VERIFY, "placed", Role.DISPATCHER),
                                 (ReplAction.HOLD, "placed", Role.DISPATCHER),
                                 (ReplAction.CANCEL, "delivered", Role.SUPERVISOR)):
        try:
            resolve_repl(action, status, role)
        except ReplRuleError:
            pass
        else:  # pragma: no cover
            raise AssertionError(f"{action} from {status} accepted")


# -------------------------------------------------------------------------------- property

_qty = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(_qty, min_size=0, max_size=40), st.sampled_from(["replenishment", "customer"]))
def test_history_rules_never_raise_and_never_fire_on_the_median(values: list[float], kind: str) -> None:
    index = HistoryIndex(TH)
    for i, v in enumerate(values):
        at = T0 - timedelta(hours=len(values) - i)
        index.observe(OrderFacts(i + 1, f"H{i}", kind, at, 800, round(v * 100), (LineFacts("X", v),),
                                 store_id="S01", phone="13812341234"))
    recent = values[-TH.history_points:]
    median = robust_stats(recent).median if recent else 1.0
    amounts = [round(v * 100) for v in recent]
    amount = round(robust_stats(amounts).median) if amounts else 100
    order = OrderFacts(10**6, "N", kind, T0 + timedelta(days=1), 800, amount,
                       (LineFacts("X", median),), store_id="S01", phone="13800000000")
    hits = {f.rule for f in evaluate_order(order, index, TH)}
    assert RuleId.QUANTITY_SURGE not in hits
    assert RuleId.AMOUNT_SURGE not in hits


def test_duplicate_found_even_after_a_late_older_order_of_the_same_phone() -> None:
    first = customer(2, at=T0)
    late = customer(5, at=T0 - timedelta(hours=2))  # an old order from a late platform file
    index = history(first, late)
    assert "duplicate_order" in rules(customer(2, at=T0 + timedelta(minutes=5)), index)


def test_flat_history_of_ones_does_not_fire_on_a_second_unit() -> None:
    index = history(*past([1] * 10))
    assert "quantity_surge" not in rules(repl(2), index)
    assert "quantity_surge" not in rules(repl(1 + TH.surge_k), index)  # MAD counts as one unit at least
    assert "quantity_surge" in rules(repl(2 + TH.surge_k), index)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 30), st.sampled_from(["add", "median", "stats"])),
                max_size=80))
def test_series_forgets_like_a_plain_list(steps: list[tuple[int, int, str]]) -> None:
    """A series keeps the last `points` observations and forgets, when asked at a cutoff, the
    leading ones older than it (arrival order, not time order): the same as a plain list would."""
    from ops_console.domain.anomaly.stats import Series

    series = Series(6)
    times: list[datetime] = []
    values: list[float] = []
    for minute, value, op in steps:
        at = T0 + timedelta(minutes=minute)
        if op == "add":
            series.add(at, value)
            times.append(at)
            values.append(value)
            if len(values) > 6:
                del times[0], values[0]
            continue
        while times and times[0] < at:  # `at` as the cutoff
            del times[0], values[0]
        want = robust_stats(values).median if len(values) >= 2 else None
        got = series.median(at, 2) if op == "median" else series.stats(at, 2)
        assert (got if op == "median" or got is None else got.median) == want
        assert (series.times, series.values, series.ordered) == (times, values, sorted(values))
