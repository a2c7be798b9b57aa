"""Reading the event log as a feed: the events after a mark, plus the ids a feed is still waiting for."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, or_, select
from sqlmodel import Session

from ops_console.storage.models import Event
from ops_console.storage.tables import table_of

E = table_of(Event).c

FEED_COLUMNS = (E.id, E.subject_type, E.subject_id, E.order_id, E.action, E.from_status, E.to_status)


def feed_rows(session: Session, mark: int, waiting: Collection[int], limit: int,
              columns: Sequence[Any] = FEED_COLUMNS) -> Sequence[Row[Any]]:
    """Events with an id above `mark`, or one of the `waiting` ids below it, by id."""
    condition = E.id > mark
    if waiting:
        condition = or_(condition, E.id.in_(bindparam("waiting", sorted(waiting), expanding=True)))
    return session.execute(select(*columns).where(condition).order_by(E.id).limit(limit)).all()


def ids_between(session: Session, low: int, high: int) -> list[int]:
    """The ids in (low, high] that are visible now."""
    return list(session.execute(select(E.id).where(E.id > low, E.id <= high)).scalars())
