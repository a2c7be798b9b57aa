"""How intake reports what is wrong: a position unit, a Problem (message key + place), FieldError."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from ops_console.domain.phone import mask_phone


class Unit(StrEnum):
    """How a position in a source file is counted."""

    ROW = "row"  # CSV record number, the header is row 1
    LINE = "line"  # JSON Lines line number, from 1
    INDEX = "index"  # position in a JSON list, from 0


@dataclass(slots=True)
class Problem:
    """One thing wrong (or worth a warning) in a source file; shown via the message catalog.

    Read-only by convention: not frozen, because a hostile file makes a million of them and a
    frozen dataclass is several times slower to build (it was unhashable anyway: `params`).
    """

    key: str
    position: int | None = None
    field: str | None = None  # canonical name, e.g. "qty" or "lines[1].qty"
    column: str | None = None  # the header / key as written in the file
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class FieldError(ValueError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class IntakeError(Exception):
    """The intake's own error type: a file (or its text) that cannot be read at all.

    `key`/`params` are a message of the catalog. The readers raise nothing else (see
    tests/services/test_intake_hostile.py): every other problem is set aside per record.
    """

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Checks:
    """Checks that need more than the value itself: the instant a file is read, the date window."""

    now: Any = None  # aware datetime, or None to skip the date window (tests of pure parsing)
    max_date_skew: timedelta = timedelta(days=366)


_DIGIT_RUN = re.compile(r"\d{7,}")


def error_text(exc: BaseException) -> str:
    """An unexpected exception as one short line for a problem message; digit runs masked like phones."""
    text = _DIGIT_RUN.sub(lambda m: mask_phone(m.group()), str(exc))
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
