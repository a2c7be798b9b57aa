"""The registry of the console's dialogs: a key names a dialog, the registry gives its class.

Dialogs built elsewhere (the anomalies branch's staff report) register themselves with
`register_dialog`; a name with no dialog yet makes the key say "not available" instead of failing.
"""

from __future__ import annotations

from typing import Any

from ops_console.tui.screens import (
    AssignScreen,
    CallOutcomeScreen,
    ConfirmScreen,
    CourierScreen,
    HandOverScreen,
    OrderDetailScreen,
    PhoneOrderScreen,
    ReasonScreen,
    ShortageScreen,
)
from ops_console.tui.screens.alert_detail import AlertDetailScreen
from ops_console.tui.screens.alert_forms import AlertFormScreen, StaffReportScreen
from ops_console.tui.screens.service_step import ServiceStepScreen

ASSIGN, REASON, COURIER, HAND_OVER, CALL_OUTCOME, SHORTAGE, DETAIL, PHONE_ORDER, CONFIRM, STAFF_REPORT = (
    "assign", "reason", "courier", "hand_over", "call_outcome", "shortage", "detail", "phone_order", "confirm",
    "staff_report")
ALERT_FORM, ALERT_DETAIL, SERVICE_STEP = "alert_form", "alert_detail", "service_step"

DIALOGS: dict[str, type[Any]] = {
    ASSIGN: AssignScreen,
    REASON: ReasonScreen,
    COURIER: CourierScreen,
    HAND_OVER: HandOverScreen,
    CALL_OUTCOME: CallOutcomeScreen,
    SHORTAGE: ShortageScreen,
    DETAIL: OrderDetailScreen,
    PHONE_ORDER: PhoneOrderScreen,
    CONFIRM: ConfirmScreen,
    STAFF_REPORT: StaffReportScreen,
    ALERT_FORM: AlertFormScreen,
    ALERT_DETAIL: AlertDetailScreen,
    SERVICE_STEP: ServiceStepScreen,
}


def register_dialog(name: str, cls: type[Any]) -> None:
    """A dialog of another module (called at its import); the same name twice is a programming error."""
    if name in DIALOGS and DIALOGS[name] is not cls:
        raise ValueError(f"dialog {name!r} is registered already")
    DIALOGS[name] = cls


def dialog_class(name: str) -> type[Any] | None:
    return DIALOGS.get(name)
