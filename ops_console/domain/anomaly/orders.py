"""Rules on one new order, as intake receives it (customer or replenishment).

Each rule is a small pure function; `evaluate_order` runs them all against a `HistoryIndex`
(the rolling history of quantities and amounts per store / customer phone) and merges the line
rules into one finding per rule and order. `HistoryIndex.observe` then adds the order to the
history, so the next order is judged against it without reading the database again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ops_console.domain.anomaly.base import Finding, RuleId, Thresholds, subject_of
from ops_console.domain.anomaly.stats import Series, Stats, surge_limit, surges
from ops_console.domain.money import fen_to_yuan

CUSTOMER = "customer"
REPLENISHMENT = "replenishment"
COD = "cod"


@dataclass(frozen=True)
class LineFacts:
    sku: str
    qty: float
    step: int = 1  # the SKU's order multiple (步长)
    stock: int | None = None  # None: not in the catalogue, no verdict


@dataclass(frozen=True)
class OrderFacts:
    order_id: int
    order_no: str
    kind: str  # customer / replenishment
    placed_at: datetime  # aware
    local_minutes: int  # placed_at as minutes after local midnight (the reorder window)
    amount: int  # fen
    lines: tuple[LineFacts, ...]
    store_id: str | None = None
    phone: str = ""
    payment_method: str = "online"


def history_owner(order: OrderFacts) -> tuple[str, str] | None:
    """Whose history an order is judged against: the store's (replenishment) or the customer's phone."""
    if order.kind == REPLENISHMENT:
        return ("store", order.store_id) if order.store_id else None
    return ("phone", order.phone) if order.phone else None


def _qty(value: float) -> str:
    return f"{value:g}"


# ------------------------------------------------------------------------------------ the rules


def quantity_surge(order: OrderFacts, line: LineFacts, stats: Stats | None, th: Thresholds) -> Finding | None:
    """A line's quantity far above the owner's history of that SKU (median + k·MAD and ratio × median)."""
    if not surges(line.qty, stats, th.surge_k, th.surge_min_ratio):
        return None
    assert stats is not None
    return Finding(RuleId.QUANTITY_SURGE, subject_of("order", order.order_id),
                   {"order": order.order_no, "sku": line.sku, "qty": _qty(line.qty), "median": _qty(stats.median),
                    "limit": _qty(surge_limit(stats, th.surge_k, th.surge_min_ratio)), "n": stats.n},
                   amount=order.amount, lines=(line.sku,))


def amount_surge(order: OrderFacts, stats: Stats | None, th: Thresholds) -> Finding | None:
    """The order's amount far above the owner's history of order amounts."""
    if not surges(order.amount, stats, th.surge_k, th.surge_min_ratio):
        return None
    assert stats is not None
    return Finding(RuleId.AMOUNT_SURGE, subject_of("order", order.order_id),
                   {"order": order.order_no, "amount": fen_to_yuan(order.amount),
                    "median": fen_to_yuan(round(stats.median)),
                    "limit": fen_to_yuan(round(surge_limit(stats, th.surge_k, th.surge_min_ratio))), "n": stats.n},
                   amount=order.amount)


def amount_cap(order: OrderFacts, th: Thresholds) -> Finding | None:
    """Cash on delivery above the absolute cap: every replenishment order (stores pay on delivery),
    and customer orders paid on delivery."""
    if order.kind == REPLENISHMENT:
        cap = th.cap_replenishment
    elif order.payment_method == COD:
        cap = th.cap_customer_cod
    else:
        return None
    if order.amount <= cap:
        return None
    return Finding(RuleId.AMOUNT_CAP, subject_of("order", order.order_id),
                   {"order": order.order_no, "amount": fen_to_yuan(order.amount), "cap": fen_to_yuan(cap)},
                   amount=order.amount)


def step_mismatch(order: OrderFacts, line: LineFacts) -> Finding | None:
    """A quantity that is not a whole multiple of the SKU's order step (步长)."""
    step = line.step if line.step and line.step > 0 else 1
    ratio = line.qty / step
    if abs(ratio - round(ratio)) < 1e-9:
        return None
    return Finding(RuleId.STEP_MISMATCH, subject_of("order", order.order_id),
                   {"order": order.order_no, "sku": line.sku, "qty": _qty(line.qty), "step": step},
                   amount=order.amount, lines=(line.sku,))


def zero_stock(order: OrderFacts, line: LineFacts) -> Finding | None:
    """A line for an SKU at zero stock (an SKU missing from the catalogue gives no verdict)."""
    if line.stock is None or line.stock > 0:
        return None
    return Finding(RuleId.ZERO_STOCK, subject_of("order", order.order_id),
                   {"order": order.order_no, "sku": line.sku, "qty": _qty(line.qty)}, lines=(line.sku,))


def outside_reorder_window(order: OrderFacts, th: Thresholds) -> Finding | None:
    """A replenishment order placed outside the daily window (13:00–15:00 by default)."""
    if order.kind != REPLENISHMENT:
        return None
    start, end = th.reorder_window
    if start <= order.local_minutes < end:
        return None
    return Finding(RuleId.OUTSIDE_REORDER_WINDOW, subject_of("order", order.order_id),
                   {"order": order.order_no, "at": f"{order.local_minutes // 60:02d}:{order.local_minutes % 60:02d}",
                    "window": f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"})


def line_signature(lines: Iterable[LineFacts]) -> tuple[tuple[str, float], ...]:
    """What makes two orders "the same lines": SKUs and quantities, in any order."""
    merged: dict[str, float] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.qty
    return tuple(sorted(merged.items()))


@dataclass(frozen=True)
class RecentOrder:
    order_id: int
    order_no: str
    placed_at: datetime
    signature: tuple[tuple[str, float], ...]


def duplicate_order(order: OrderFacts, recent: Iterable[RecentOrder], th: Thresholds) -> Finding | None:
    """Same customer phone and same lines within `duplicate_minutes` of an earlier order."""
    if order.kind != CUSTOMER or not order.phone:
        return None
    window = timedelta(minutes=th.duplicate_minutes)
    signature = line_signature(order.lines)
    for other in recent:
        if other.order_id != order.order_id and other.signature == signature \
                and abs(order.placed_at - other.placed_at) <= window:
            return Finding(RuleId.DUPLICATE_ORDER, subject_of("order", order.order_id),
                           {"order": order.order_no, "other": other.order_no, "minutes": th.duplicate_minutes},
                           amount=order.amount)
    return None


# -------------------------------------------------------------------------------- the history


class HistoryIndex:
    """Rolling histories per owner: quantities per SKU, order amounts, recent orders (duplicates)."""

    def __init__(self, th: Thresholds) -> None:
        self.th = th
        self.qty: dict[tuple[str, str, str], Series] = {}
        self.amount: dict[tuple[str, str], Series] = {}
        self.recent: dict[str, deque[RecentOrder]] = {}
        self.orders = 0

    def qty_stats(self, owner: tuple[str, str], sku: str, now: datetime) -> Stats | None:
        series = self.qty.get((owner[0], owner[1], sku))
        return series.stats(now, self.th.history_days, self.th.min_history) if series is not None else None

    def amount_stats(self, owner: tuple[str, str], now: datetime) -> Stats | None:
        series = self.amount.get(owner)
        return series.stats(now, self.th.history_days, self.th.min_history) if series is not None else None

    def recent_orders(self, phone: str) -> Iterable[RecentOrder]:
        return self.recent.get(phone, ())

    def observe(self, order: OrderFacts) -> None:
        """Add an order to the history (after it was judged)."""
        owner = history_owner(order)
        self.orders += 1
        if owner is None:
            return
        points = self.th.history_points
        at = order.placed_at
        for line in order.lines:
            key = (owner[0], owner[1], line.sku)
            series = self.qty.get(key)
            if series is None:
                series = self.qty[key] = Series(points)
            series.add(at, line.qty)
        series = self.amount.get(owner)
        if series is None:
            series = self.amount[owner] = Series(points)
        series.add(at, order.amount)
        if order.kind == CUSTOMER:
            recent = self.recent.get(order.phone)
            if recent is None:
                recent = self.recent[order.phone] = deque(maxlen=8)
            window = timedelta(minutes=self.th.duplicate_minutes)
            while recent and at - recent[0].placed_at > window:
                recent.popleft()
            recent.append(RecentOrder(order.order_id, order.order_no, at, line_signature(order.lines)))


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per rule and subject: line rules list every SKU concerned."""
    merged: dict[tuple[RuleId, str], Finding] = {}
    for f in findings:
        key = (f.rule, f.subject)
        first = merged.get(key)
        if first is None:
            merged[key] = f
            continue
        params = dict(first.params)
        if "sku" in params and "sku" in f.params:
            params["sku"] = f"{params['sku']}, {f.params['sku']}"
            if "qty" in params:
                params["qty"] = f"{params['qty']}, {f.params['qty']}"
        merged[key] = Finding(first.rule, first.subject, params, max(first.amount, f.amount), first.lines + f.lines)
    return list(merged.values())


def evaluate_order(order: OrderFacts, history: HistoryIndex, th: Thresholds) -> list[Finding]:
    """Every intake-time rule on one order, judged against the history before this order."""
    out: list[Finding] = []
    owner = history_owner(order)
    now = order.placed_at
    for line in order.lines:
        if owner is not None:
            hit = quantity_surge(order, line, history.qty_stats(owner, line.sku, now), th)
            if hit is not None:
                out.append(hit)
        hit = step_mismatch(order, line)
        if hit is not None:
            out.append(hit)
        hit = zero_stock(order, line)
        if hit is not None:
            out.append(hit)
    if owner is not None:
        hit = amount_surge(order, history.amount_stats(owner, now), th)
        if hit is not None:
            out.append(hit)
    for hit in (amount_cap(order, th), outside_reorder_window(order, th),
                duplicate_order(order, history.recent_orders(order.phone), th) if order.phone else None):
        if hit is not None:
            out.append(hit)
    return _merge(out) if len(out) > 1 else out
