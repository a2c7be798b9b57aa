"""The console's dialogs. Each is a ModalScreen that performs its own service calls in a thread
worker and dismisses with an ActionResult (per-order `(order_no, ok, message)`), or None on Esc
before anything was done. ConfirmScreen dismisses with a bool; OrderDetailScreen with None.
"""

from ops_console.tui.screens.assign import AssignScreen
from ops_console.tui.screens.base import ActionResult, OrderOutcome
from ops_console.tui.screens.call import CallOutcomeScreen
from ops_console.tui.screens.confirm import ConfirmScreen
from ops_console.tui.screens.courier import CourierScreen
from ops_console.tui.screens.detail import OrderDetailScreen
from ops_console.tui.screens.handover import HandOverScreen
from ops_console.tui.screens.phone_order import PhoneOrderScreen, ReadBackScreen
from ops_console.tui.screens.reason import REASON_ACTIONS, ReasonScreen
from ops_console.tui.screens.shortage import ShortageScreen

__all__ = [
    "REASON_ACTIONS",
    "ActionResult",
    "AssignScreen",
    "CallOutcomeScreen",
    "ConfirmScreen",
    "CourierScreen",
    "HandOverScreen",
    "OrderDetailScreen",
    "OrderOutcome",
    "PhoneOrderScreen",
    "ReadBackScreen",
    "ReasonScreen",
    "ShortageScreen",
]
