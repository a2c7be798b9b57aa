"""Rules on one new order, as intake receives it (customer or replenishment).

Each rule is a small pure function; `evaluate_order` runs them all against a `HistoryIndex`
(the rolling history of quantities and amounts per store / customer phone) and merges the line
rules into one finding per rule and order. `HistoryIndex.observe` then adds the order to the
history, so the next order is judged against it without reading the database again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from ops_console.domain.anomaly.base import Finding, RuleId, Thresholds, subject_of
from ops_console.domain.anomaly.stats import Series, Stats, surge_limit, surges
from ops_console.domain.money import fen_to_yuan

CUSTOMER = "customer"
REPLENISHMENT = "replenishment"
COD = "cod"
AMOUNT_MAD_FLOOR = 100  # fen: amounts' MAD counts as at least one yuan (quantities': one unit)


# NamedTuples, not frozen dataclasses: intake builds one per order and line, and a frozen
# dataclass's __init__ (object.__setattr__ per field) costs several times more.
class LineFacts(NamedTuple):
    sku: str
    qty: float
    step: int = 1  # the SKU's order multiple (步长)
    stock: int | None = None  # None: not in the catalogue, no verdict


class OrderFacts(NamedTuple):
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


def qty_owner(order: OrderFacts) -> tuple[str, str] | None:
    """Whose quantities a line is judged against: the store's own replenishment orders, or the
    customer orders of the store the order is assigned to (per SKU; the issue's "per store and
    SKU"). A customer order not yet assigned to a store gets no quantity verdict."""
    if not order.store_id:
        return None
    return ("store", order.store_id) if order.kind == REPLENISHMENT else ("customers", order.store_id)


def amount_owner(order: OrderFacts) -> tuple[str, str] | None:
    """Whose order amounts an order is judged against: the store's (replenishment) or the customer's phone."""
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
    if not surges(order.amount, stats, th.surge_k, th.surge_min_ratio, AMOUNT_MAD_FLOOR):
        return None
    assert stats is not None
    return Finding(RuleId.AMOUNT_SURGE, subject_of("order", order.order_id),
                   {"order": order.order_no, "amount": fen_to_yuan(order.amount),
                    "median": fen_to_yuan(round(stats.median)),
                    "limit": fen_to_yuan(round(surge_limit(stats, th.surge_k, th.surge_min_ratio, AMOUNT_MAD_FLOOR))),
                    "n": stats.n},
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
    """A quantity that is not a whole multiple of the SKU's order step (步长, seed 004 §1.3: the
    stores' orders; `evaluate_order` asks it for replenishment lines only)."""
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


class RecentOrder(NamedTuple):
    order_id: int
    order_no: str
    placed_at: datetime
    lines: tuple[LineFacts, ...]


def duplicate_order(order: OrderFacts, recent: Iterable[RecentOrder], th: Thresholds) -> Finding | None:
    """Same customer phone and same lines within `duplicate_minutes` of an earlier order."""
    if order.kind != CUSTOMER or not order.phone:
        return None
    window = timedelta(minutes=th.duplicate_minutes)
    signature: tuple[tuple[str, float], ...] | None = None
    for other in recent:
        if other.order_id == order.order_id or abs(order.placed_at - other.placed_at) > window:
            continue
        if signature is None:  # only orders close in time are compared line by line
            signature = line_signature(order.lines)
        if line_signature(other.lines) == signature:
            return Finding(RuleId.DUPLICATE_ORDER, subject_of("order", order.order_id),
                           {"order": order.order_no, "other": other.order_no, "minutes": th.duplicate_minutes},
                           amount=order.amount)
    return None


# -------------------------------------------------------------------------------- the history


class HistoryIndex:
    """Rolling histories per owner: quantities per SKU, order amounts, recent orders (duplicates)."""

    def __init__(self, th: Thresholds) -> None:
        self.th = th
        self.qty: dict[tuple[str, str], dict[str, Series]] = {}  # owner → SKU → quantities
        self.amount: dict[tuple[str, str], Series] = {}
        self.recent: dict[str, list[RecentOrder]] = {}
        self.orders = 0
        self._window = timedelta(days=th.history_days)
        self._duplicate = timedelta(minutes=th.duplicate_minutes)

    def cutoff(self, now: datetime) -> datetime:
        """The oldest instant of the history that counts at `now`."""
        return now - self._window

    def qty_stats(self, owner: tuple[str, str], sku: str, cutoff: datetime) -> Stats | None:
        series = self.qty.get(owner, {}).get(sku)
        return series.stats(cutoff, self.th.min_history) if series is not None else None

    def amount_stats(self, owner: tuple[str, str], cutoff: datetime) -> Stats | None:
        series = self.amount.get(owner)
        return series.stats(cutoff, self.th.min_history) if series is not None else None

    def recent_orders(self, phone: str) -> Iterable[RecentOrder]:
        return self.recent.get(phone, ())

    def observe(self, order: OrderFacts) -> None:
        """Add an order to the history (after it was judged)."""
        self.orders += 1
        points = self.th.history_points
        at = order.placed_at
        owner = qty_owner(order)
        if owner is not None:
            by_sku = self.qty.get(owner)
            if by_sku is None:
                by_sku = self.qty[owner] = {}
            for line in order.lines:
                series = by_sku.get(line.sku)
                if series is None:
                    series = by_sku[line.sku] = Series(points)
                series.add(at, line.qty)
        owner = amount_owner(order)
        if owner is not None:
            series = self.amount.get(owner)
            if series is None:
                series = self.amount[owner] = Series(points)
            series.add(at, order.amount)
        if order.kind == CUSTOMER and order.phone:
            recent = self.recent.get(order.phone)
            if recent is None:
                recent = self.recent[order.phone] = []
            while recent and (at - recent[0].placed_at > self._duplicate or len(recent) >= 8):
                del recent[0]
            recent.append(RecentOrder(order.order_id, order.order_no, at, order.lines))


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
    """Every intake-time rule on one order, judged against the history before this order.

    Each rule function decides; the loop only skips calling it when a necessary condition already
    fails (a quantity not above min_ratio × median cannot surge, a whole multiple of the step cannot
    mismatch, stock above zero is not zero): per line that is a look-up and two comparisons.
    """
    out: list[Finding] = []
    owner = qty_owner(order)
    cutoff = order.placed_at - history._window
    min_points, ratio = th.min_history, th.surge_min_ratio
    by_sku = history.qty.get(owner) if owner is not None else None
    replenishment = order.kind == REPLENISHMENT  # the order step (步长) binds store orders, not customers
    for line in order.lines:
        if by_sku is not None:
            series = by_sku.get(line.sku)
            if series is not None:
                med = series.median(cutoff, min_points)
                if med is not None and line.qty > ratio * med:
                    hit = quantity_surge(order, line, series.stats(cutoff, min_points), th)
                    if hit is not None:
                        out.append(hit)
        if replenishment and line.step > 1 and line.qty % line.step:
            hit = step_mismatch(order, line)
            if hit is not None:
                out.append(hit)
        if line.stock is not None and line.stock <= 0:
            hit = zero_stock(order, line)
            if hit is not None:
                out.append(hit)
    owner = amount_owner(order)
    if owner is not None:
        series = history.amount.get(owner)
        med = series.median(cutoff, min_points) if series is not None else None
        if series is not None and med is not None and order.amount > ratio * med:
            hit = amount_surge(order, series.stats(cutoff, min_points), th)
            if hit is not None:
                out.append(hit)
    hit = amount_cap(order, th)
    if hit is not None:
        out.append(hit)
    if replenishment:
        hit = outside_reorder_window(order, th)
        if hit is not None:
            out.append(hit)
    elif order.phone:
        recent = history.recent.get(order.phone)
        if recent:
            hit = duplicate_order(order, recent, th)
            if hit is not None:
                out.append(hit)
    return _merge(out) if len(out) > 1 else out
