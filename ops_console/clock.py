"""The one clock. Nothing reads the wall clock directly: everything takes a Clock."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class ClockError(ValueError):
    pass


class Clock:
    """Wall clock, optionally shifted so that it started at a given instant (OPS_NOW)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        if start is not None:
            self._offset = ensure_utc(start) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock(Clock):
    """A clock that only moves when told to: tests and replays."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = ensure_utc(when)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def ensure_utc(when: datetime, tz: ZoneInfo | None = None) -> datetime:
    """Aware UTC; a naive time is read in `tz` (UTC when not given)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz or UTC)
    return when.astimezone(UTC)


def parse_instant(text: str, tz: ZoneInfo | None = None) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ClockError(f"OPS_NOW={text!r} is not an ISO 8601 time (e.g. 2026-11-24T09:30:00+08:00)") from exc
    return ensure_utc(parsed, tz)


def clock_from_env(tz: ZoneInfo | None = None, environ: dict[str, str] | None = None) -> Clock:
    """OPS_NOW starts the clock at that instant and lets it run from there."""
    env = os.environ if environ is None else environ
    value = env.get("OPS_NOW")
    if value:
        return Clock(parse_instant(value, tz))
    return Clock()
