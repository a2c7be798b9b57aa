"""Errors a person can read: a catalog key and its parameters, rendered in the current language."""

from __future__ import annotations

from typing import Any

from ops_console.i18n import t


class ServiceError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return t(self.code, **self.params)

    def __str__(self) -> str:
        return self.message


class NotFound(ServiceError):
    pass


class Refused(ServiceError):
    """The rules or the operator's role do not allow the action."""


class Conflict(ServiceError):
    """Someone else changed the thing first (lost race, stale version, duplicate)."""
