"""Column types: datetimes are stored as UTC and always come back timezone-aware."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

_fromisoformat = datetime.fromisoformat


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_utc(value: Any) -> datetime | None:
    """SQLite's text (naive UTC, as we store it) straight to an aware datetime in one C call.

    The generic path (SQLAlchemy's parser, then `process_result_value`, then `replace`) costs about
    five times as much per value, and the console's panes and the closeout read tens of thousands.
    """
    if value is None:
        return None
    try:
        return _fromisoformat(value + "+00:00")
    except (TypeError, ValueError):  # a value written with an offset, or not text: the slow, general way
        if isinstance(value, datetime):
            return _aware(value)
        return _aware(_fromisoformat(value))


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: every stored time must be timezone-aware")
        value = value.astimezone(UTC)
        # SQLite keeps no offset: store naive UTC there; PostgreSQL keeps timestamptz.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return _aware(value)

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], datetime | None] | None:
        if dialect.name == "sqlite":
            return _sqlite_utc
        return super().result_processor(dialect, coltype)
