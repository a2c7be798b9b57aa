"""Pane 4's verbs on anomaly rows (A acknowledge, T own, m silence, R resolve; y verify and x cancel a
held replenishment order), registered with the
main screen's alert actions at import: the calls are services/anomalies.py's, the forms alert_forms'."""

from __future__ import annotations

from ops_console.services import anomalies as anomaly_service
from ops_console.services import replenishment
from ops_console.tui.actions import register_alert_call
from ops_console.tui.dialogs import ALERT_FORM

SOURCE = "anomaly"

register_alert_call(SOURCE, "acknowledge", anomaly_service.acknowledge)
register_alert_call(SOURCE, "own", anomaly_service.take_ownership, form=ALERT_FORM)
register_alert_call(SOURCE, "silence", anomaly_service.silence, form=ALERT_FORM)
register_alert_call(SOURCE, "resolve", anomaly_service.resolve, form=ALERT_FORM)
# y / x on an alert of a held replenishment order (seed 004 §2.2): verified with the store, or cancelled.
register_alert_call(SOURCE, "verify", replenishment.verify_for_alert, form=ALERT_FORM)
register_alert_call(SOURCE, "cancel_hold", replenishment.cancel_for_alert, form=ALERT_FORM)
