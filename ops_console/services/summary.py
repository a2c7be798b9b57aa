"""A shift summary of a database: what `make run` shows before the console opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ops_console.services.context import AppContext
from ops_console.storage.db import read_session
from ops_console.storage.queries import master_counts, oldest_unassigned, status_counts


@dataclass(frozen=True)
class Summary:
    now: datetime
    statuses: dict[str, int]
    masters: dict[str, int]
    backlog_minutes: float | None


def summarize(ctx: AppContext) -> Summary:
    now = ctx.clock.now()
    with read_session(ctx.engine) as s:
        oldest = oldest_unassigned(s)
        age = (now - oldest.unassigned_at).total_seconds() / 60 if oldest and oldest.unassigned_at else None
        return Summary(now, status_counts(s), master_counts(s), age)
