"""How intake reports what is wrong: a position unit, a Problem (message key + place), FieldError."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Unit(StrEnum):
    """How a position in a source file is counted."""

    ROW = "row"  # CSV record number, the header is row 1
    LINE = "line"  # JSON Lines line number, from 1
    INDEX = "index"  # position in a JSON list, from 0


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a source file; shown via the message catalog."""

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
