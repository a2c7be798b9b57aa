"""The append-only event log: every change of anything is one row, written in its transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, select

from ops_console.services.context import Actor
from ops_console.storage.models import Event


def event_row(
    at: datetime,
    actor: Actor,
    subject_type: str,
    subject_id: str | int,
    action: str,
    *,
    order_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": actor.id,
        "actor_role": str(actor.role),
        "subject_type": str(subject_type),
        "subject_id": str(subject_id),
        "order_id": order_id,
        "action": str(action),
        "from_status": from_status,
        "to_status": to_status,
        "detail": detail or {},
    }


def record(session: Session, at: datetime, actor: Actor, subject_type: str, subject_id: str | int, action: str,
           **kw: Any) -> None:
    session.execute(insert(Event).values(**event_row(at, actor, subject_type, subject_id, action, **kw)))


def last_event_id(session: Session) -> int:
    return session.exec(select(func.max(Event.id))).one() or 0
