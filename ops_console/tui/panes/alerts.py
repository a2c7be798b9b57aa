"""Pane 4: the alert feed: reminders and anomalies, newest first, coloured by severity, with how
many times each was raised."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from ops_console.services.panes import AlertRow
from ops_console.tui.panes.base import Column, LiveTable, RowText, cell, label

SEVERITY_STYLE = {"critical": "bold white on red", "warning": "bold yellow", "info": "cyan"}


class AlertsPane(LiveTable):
    pane_id = "alerts"
    title_key = "console.pane.alerts"
    number = 4
    filters_by_store = False

    def columns_spec(self) -> Sequence[Column]:
        return (
            Column("at", "console.col.at", 5, lambda r: -(r.at.timestamp() if r.at else 0)),
            Column("severity", "console.col.severity", 4, lambda r: ("critical", "warning", "info").index(r.severity)
                   if r.severity in ("critical", "warning", "info") else 3),
            Column("kind", "console.col.kind", 14, lambda r: r.kind),
            Column("subject", "console.col.subject", 16, lambda r: r.order_no or r.subject),
            Column("count", "console.col.count", 4, lambda r: -r.count),
            Column("state", "console.col.state", 6, lambda r: r.status),
        )

    def cells(self, row: AlertRow, now: datetime) -> list[Text]:
        sev_style = SEVERITY_STYLE.get(row.severity, "")
        prefix = "reminders.kind" if row.source == "reminder" else "anomaly.rule"
        subject = row.order_no or row.subject
        at = row.at.astimezone(self.tz).strftime("%H:%M") if row.at else ""
        dim = "dim" if row.status in ("acknowledged", "silenced") else ""
        return [
            RowText(at, row.key, dim),
            cell(label("console.severity", row.severity), sev_style),
            cell(label(prefix, row.kind), dim or sev_style.replace("on red", "").strip()),
            cell(subject, dim),
            cell(f"×{row.count}" if row.count > 1 else "", "bold", "right"),
            cell(label("console.alert_status", row.status), dim),
        ]
