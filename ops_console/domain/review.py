"""Automatic review of a new order (DOMAIN step 2): stock, price, payment, data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ops_console.domain.types import PaymentMethod, PaymentStatus, ReviewReason


@dataclass(frozen=True)
class LineFacts:
    sku: str
    qty: float
    unit_price: int  # fen


@dataclass(frozen=True)
class SkuFacts:
    price: int  # fen
    stock: float


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: ReviewReason | None = None
    detail: str = ""


def review(
    lines: Sequence[LineFacts],
    catalogue: Mapping[str, SkuFacts],
    payment_method: str,
    payment_status: str,
    amount: int,
    paid_amount: int,
) -> Verdict:
    """Pass, or the first failing check in the order stock → price → payment → data.

    An unknown SKU is not a failure here: intake keeps the line with a warning and the store
    sees it. A price that differs from the catalogue sends the order to a person.
    """
    if not lines:
        return Verdict(False, ReviewReason.DATA, "no lines")
    wanted: dict[str, float] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.qty
    for sku, qty in wanted.items():
        facts = catalogue.get(sku)
        if facts is not None and facts.stock < qty:
            return Verdict(False, ReviewReason.STOCK, f"{sku}: {qty:g} > {facts.stock:g}")
    for line in lines:
        facts = catalogue.get(line.sku)
        if facts is not None and line.unit_price != facts.price:
            return Verdict(False, ReviewReason.PRICE, f"{line.sku}: {line.unit_price} != {facts.price}")
    if payment_method == PaymentMethod.ONLINE:
        if payment_status != PaymentStatus.PAID:
            return Verdict(False, ReviewReason.PAYMENT, f"online payment {payment_status}")
        # Platform coupons and 满减 make the paid amount smaller than the lines' total: normal.
        # Nothing paid, or more paid than the goods cost, is an entry or payment error.
        if paid_amount <= 0 or paid_amount > amount:
            return Verdict(False, ReviewReason.PAYMENT, f"paid {paid_amount} for amount {amount}")
    if payment_method == PaymentMethod.INSTALLMENT and payment_status == PaymentStatus.FAILED:
        return Verdict(False, ReviewReason.PAYMENT, "installment payment failed")
    return Verdict(True)
