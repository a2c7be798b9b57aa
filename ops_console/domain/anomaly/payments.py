"""Rules on payment notifications against the order they pay (seed 003 §六(三))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ops_console.domain.anomaly.base import Finding, RuleId, subject_of
from ops_console.domain.money import fen_to_yuan

PAID = "paid"
FAILED = "failed"
TOLERANCE_FEN = 1  # rounding between platforms: one fen is not a mismatch


@dataclass(frozen=True)
class PaymentFacts:
    payment_ref: str
    amount: int  # fen
    status: str  # paid / pending / failed / refunded


def payment_failed(order_id: int, order_no: str, payment: PaymentFacts) -> Finding | None:
    if payment.status != FAILED:
        return None
    return Finding(RuleId.PAYMENT_FAILED, subject_of("order", order_id),
                   {"order": order_no, "ref": payment.payment_ref, "amount": fen_to_yuan(payment.amount)},
                   amount=payment.amount)


def payment_duplicate(order_id: int, order_no: str, payments: Sequence[PaymentFacts]) -> Finding | None:
    """Two successful payments with different references, or one reference with different amounts."""
    paid = [p for p in payments if p.status == PAID]
    refs = sorted({p.payment_ref for p in paid})
    amounts_by_ref: dict[str, set[int]] = {}
    for p in payments:
        amounts_by_ref.setdefault(p.payment_ref, set()).add(p.amount)
    clashing = sorted(ref for ref, amounts in amounts_by_ref.items() if len(amounts) > 1)
    if len(refs) < 2 and not clashing:
        return None
    total = sum(p.amount for p in paid)
    return Finding(RuleId.PAYMENT_DUPLICATE, subject_of("order", order_id),
                   {"order": order_no, "refs": ", ".join(clashing or refs), "total": fen_to_yuan(total)},
                   amount=total)


def payment_mismatch(order_id: int, order_no: str, payments: Sequence[PaymentFacts], due: int) -> Finding | None:
    """Successful payments that differ from the amount due by more than one fen (no verdict before
    any payment succeeded: that is the review's `payment` reason, or still pending)."""
    paid = [p for p in payments if p.status == PAID]
    if not paid:
        return None
    total = sum(p.amount for p in paid)
    if abs(total - due) <= TOLERANCE_FEN:
        return None
    return Finding(RuleId.PAYMENT_MISMATCH, subject_of("order", order_id),
                   {"order": order_no, "paid": fen_to_yuan(total), "due": fen_to_yuan(due),
                    "difference": fen_to_yuan(total - due)},
                   amount=abs(total - due))
