"""Rows from drafts: the Order and OrderLine columns an intake draft fills, the catalogue facts they
need and the orders already stored. Shared by file intake (services/intake.py) and phone entry
(services/phone_orders.py), so both write an order the same way."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ops_console.domain.intake import OrderDraft, line_category
from ops_console.domain.types import Category
from ops_console.storage.models import Order, Sku

_CHUNK = 900  # keys per IN (...) query (SQLite allows 32,766 variables)


def order_values(draft: OrderDraft) -> dict[str, Any]:
    """The Order columns a draft fills (intake files and phone entry alike)."""
    return {
        "channel": draft.key[0],
        "order_no": draft.order_no,
        "kind": draft.kind,
        "customer_name": draft.customer_name,
        "phone": draft.phone,
        "address": draft.address,
        "payment_method": str(draft.payment_method),
        "payment_status": str(draft.payment_status),
        "paid_amount": draft.paid_amount,
        "remarks": draft.remarks,
        "urgent": draft.urgent,
        "custom": draft.custom,
        "appointment_at": draft.appointment_at,
        "placed_at": draft.placed_at,
        "fingerprint": draft.fingerprint,
        "source": draft.where()[:500],
    }


def _existing(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(channel, order_no) → (id, fingerprint) of the orders already stored (index on channel, order_no)."""
    by_channel: dict[str, list[str]] = {}
    for channel, order_no in keys:
        by_channel.setdefault(channel, []).append(order_no)
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for channel, numbers in by_channel.items():
        for i in range(0, len(numbers), _CHUNK):
            rows = session.exec(
                select(Order.order_no, Order.id, Order.fingerprint).where(
                    Order.channel == channel,
                    col(Order.order_no).in_(numbers[i : i + _CHUNK]),
                )
            )
            for order_no, order_id, fp in rows:
                found[(channel, order_no)] = (order_id or 0, fp)
    return found


def line_values(draft: OrderDraft, skus: dict[str, tuple[Category, int]],
                categories: dict[str, Category] | None = None) -> list[dict[str, Any]]:
    """The OrderLine columns of a draft's lines; the catalogue gives the order step (and category)."""
    if categories is None:
        categories = {code: cat for code, (cat, _step) in skus.items()}
    return [
        {"sku": li.sku, "name": li.name, "spec": li.spec, "category": str(line_category(li, categories)),
         "qty": li.qty, "unit": li.unit, "unit_price": li.unit_price,
         "step": skus[li.sku][1] if li.sku in skus else 1, "weight_g": li.weight_g}
        for li in draft.lines
    ]  # fmt: skip


def catalogue_facts(session: Session, codes: set[str]) -> dict[str, tuple[Category, int]]:
    """SKU → (category, order step) for the known ones."""
    out: dict[str, tuple[Category, int]] = {}
    ordered = sorted(codes)
    for i in range(0, len(ordered), _CHUNK):
        for code, category, step in session.exec(
            select(col(Sku.code), col(Sku.category), col(Sku.step)).where(col(Sku.code).in_(ordered[i : i + _CHUNK]))
        ):
            try:
                cat = Category(category)
            except ValueError:
                cat = Category.DEFAULT
            out[code] = (cat, step or 1)
    return out
