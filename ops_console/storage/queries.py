"""Read queries for the panes and summaries: small, indexed, columns rather than ORM objects."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from ops_console.storage.models import Courier, Event, Operator, Order, Sku, Store


def status_counts(session: Session) -> dict[str, int]:
    rows = session.exec(select(Order.status, func.count()).group_by(Order.status)).all()
    return {status: n for status, n in rows}


def master_counts(session: Session) -> dict[str, int]:
    return {
        "stores": session.exec(select(func.count()).select_from(Store)).one(),
        "couriers": session.exec(select(func.count()).select_from(Courier)).one(),
        "skus": session.exec(select(func.count()).select_from(Sku)).one(),
        "operators": session.exec(select(func.count()).select_from(Operator)).one(),
        "events": session.exec(select(func.count()).select_from(Event)).one(),
    }


def oldest_unassigned(session: Session) -> Order | None:
    return session.exec(
        select(Order).where(col(Order.status) == "unassigned").order_by(col(Order.unassigned_at)).limit(1)
    ).first()
