"""Messages the console's thread workers post to the UI (workers never touch widgets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from textual.message import Message

from ops_console.services.panes import Snapshot


class SnapshotLoaded(Message):
    """A refresh finished: the panes that moved (maybe none) and the header facts."""

    def __init__(self, snapshot: Snapshot | None, mark: int, took_ms: float) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.mark = mark
        self.took_ms = took_ms


class DatabaseTrouble(Message):
    """A refresh failed; the console shows it in the header and tries again."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


@dataclass(frozen=True)
class OrderResult:
    """One order's outcome of an action: done, or the readable reason it was not."""

    order_no: str
    ok: bool
    message: str


@dataclass(frozen=True)
class UndoOffer:
    """A one-key action that `u` / ctrl+z may take back: the version it produced guards the undo."""

    order_id: int
    order_no: str
    action: str
    version: int


@dataclass
class ActionReport:
    title: str
    results: list[OrderResult] = field(default_factory=list)
    offers: list[UndoOffer] = field(default_factory=list)  # what the toast offers to undo

    @property
    def failed(self) -> list[OrderResult]:
        return [r for r in self.results if not r.ok]


class ActionsDone(Message):
    def __init__(self, report: ActionReport) -> None:
        super().__init__()
        self.report = report


class SimulatorStepped(Message):
    def __init__(self, error: str | None = None) -> None:
        super().__init__()
        self.error = error


class SchedulerRan(Message):
    """The reminder checks of this console ran (tui/reminders.py → the app → the header)."""

    def __init__(self, ran_at: datetime) -> None:
        super().__init__()
        self.ran_at = ran_at


class RemindersChanged(Message):
    """Reminders were raised, acknowledged or closed: the panes reload."""


class SchedulerTrouble(Message):
    """The reminder checks failed; the header shows it."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class OrderLookedUp(Message):
    """A worker found the order a key or a command named (or why not): the screen goes on with it."""

    def __init__(self, purpose: str, order_id: int | None, error: str | None = None) -> None:
        super().__init__()
        self.purpose = purpose  # "detail": open its detail; "goto": also put the cursor on it
        self.order_id = order_id
        self.error = error


def first_line(exc: BaseException) -> str:
    """An exception as one short line for a toast or the header."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]
