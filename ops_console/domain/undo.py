"""Which one-key actions can be taken back right after, and to which status (the console's 5-second
undo). An undo is its own event (`undo`), never a deletion: the history shows both steps."""

from __future__ import annotations

from ops_console.domain.types import Action, Status

UNDO_ACTION = "undo"  # the event action of a reversal
UNDO_SECONDS = 60  # the service accepts an undo this long after the action (the console offers 5 s)

# action → (the status it led to, the status an undo returns to)
UNDOABLE: dict[Action, tuple[Status, Status]] = {
    Action.DELIVER: (Status.DELIVERED, Status.OUT_FOR_DELIVERY),
}


def undo_target(action: Action, status: Status) -> Status | None:
    """The status an undo of `action` leads back to, or None when the order is no longer where it left it."""
    found = UNDOABLE.get(action)
    if found is None or found[0] != status:
        return None
    return found[1]
