"""The append-only event log: every change of anything is one row, written in its transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
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


class EventFeed:
    """The events after the last look, each exactly once, on SQLite and on PostgreSQL.

    "Events with an id above the last one seen" is not enough on PostgreSQL: ids come from a sequence
    when a row is inserted, but transactions commit in their own order, so id 41 may become visible
    after id 42 was already read — and a mark of 42 would skip it for good. The feed therefore
    remembers the ids it skipped over (the gaps below its mark) and asks for them again at every
    poll, until they show up or have stayed missing for `gap_grace` (a rolled-back transaction
    leaves a gap forever; no transaction of this program stays open nearly that long). On SQLite
    writers are serialised and ids commit in order, so there are no gaps and the extra cost is nil.
    """

    MAX_WAITING = 5000  # a rollback of a huge bulk insert must not make every poll a huge query

    def __init__(self, mark: int = 0, gap_grace: timedelta = timedelta(minutes=10)) -> None:
        self.mark = mark
        self.gap_grace = gap_grace
        self.waiting: dict[int, datetime] = {}  # id below the mark not seen yet → when first missed

    TRAILING = 1000  # ids below a fresh start's mark checked for transactions still committing

    def reset(self, mark: int) -> None:
        """Start after `mark`, assuming everything up to it was read."""
        self.mark = mark
        self.waiting.clear()

    def start(self, session: Session, mark: int, now: datetime) -> None:
        """Start after `mark` as read in `session` (a whole load): the ids missing just below it may
        belong to transactions still committing, so they are waited for like any gap."""
        from ops_console.storage.event_queries import ids_between

        self.reset(mark)
        low = max(0, mark - self.TRAILING)
        present = set(ids_between(session, low, mark))
        self.waiting = {i: now for i in range(low + 1, mark + 1) if i not in present}

    def state(self) -> tuple[int, dict[int, datetime]]:
        """To put back with `restore` when what the caller did with a poll failed."""
        return self.mark, dict(self.waiting)

    def restore(self, state: tuple[int, dict[int, datetime]]) -> None:
        self.mark, self.waiting = state[0], dict(state[1])

    def moved(self, max_id: int) -> bool:
        """Whether a poll can find anything, given the log's max(id) (the console's cheap check)."""
        return max_id != self.mark or bool(self.waiting)

    def poll(self, session: Session, now: datetime, limit: int = 2000) -> list[Any]:
        """The new events (rows of `storage.event_queries.FEED_COLUMNS`) in id order, late ones included."""
        from ops_console.storage.event_queries import feed_rows

        rows = list(feed_rows(session, self.mark, self.waiting, limit))
        expected = self.mark + 1
        for row in rows:
            if row.id in self.waiting:
                del self.waiting[row.id]
                continue
            for missing in range(max(expected, row.id - self.MAX_WAITING), row.id):  # skipped: maybe still committing
                self.waiting.setdefault(missing, now)
            expected = row.id + 1
            self.mark = max(self.mark, row.id)
        stale = [i for i, since in self.waiting.items() if now - since > self.gap_grace]
        for i in stale:
            del self.waiting[i]
        if len(self.waiting) > self.MAX_WAITING:
            for i in sorted(self.waiting)[: len(self.waiting) - self.MAX_WAITING]:
                del self.waiting[i]
        return rows
