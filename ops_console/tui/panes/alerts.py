"""Pane 4: the alert feed: reminders and anomalies, newest first, coloured by severity, with how
many times each was raised; for customer service and supervisors also the live service requests
(after the alerts, nearest limit first; the time column is the limit). They are not alerts: the
header's counts and the banner leave them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, tzinfo

from rich.text import Text

from ops_console.i18n import t
from ops_console.services.panes import SERVICE_REQUEST, AlertRow, PaneData
from ops_console.tui.panes.base import Column, LiveTable, RowText, cell, label
from ops_console.tui.panes.cells import clock_time

SEVERITY_STYLE = {"critical": "bold white on red", "warning": "bold yellow", "info": "cyan"}


class AlertsPane(LiveTable):
    pane_id = "alerts"
    title_key = "console.pane.alerts"
    number = 4
    filters_by_store = False
    show_service_requests = False  # set by the main screen for customer service and supervisors

    def set_data(self, data: PaneData, now: datetime) -> None:
        if not self.show_service_requests:
            rows = tuple(r for r in data.rows if r.source != SERVICE_REQUEST)
            if len(rows) != len(data.rows):
                data = replace(data, rows=rows, total=data.total - (len(data.rows) - len(rows)))
        super().set_data(data, now)

    def columns_spec(self) -> Sequence[Column]:
        return (
            Column("at", "console.col.at", 5, lambda r: -(r.at.timestamp() if r.at else 0), priority=3),
            Column("severity", "console.col.severity", 4, lambda r: ("critical", "warning", "info").index(r.severity)
                   if r.severity in ("critical", "warning", "info") else 3, priority=4),
            Column("kind", "console.col.kind", 6, lambda r: r.kind),
            Column("subject", "console.col.subject", 6, shown_subject),
            Column("count", "console.col.count", 3, lambda r: -r.count, priority=5),
            Column("state", "console.col.state", 4, lambda r: r.status, priority=2),
        )

    def cells(self, row: AlertRow, now: datetime) -> list[Text]:
        sev_style = SEVERITY_STYLE.get(row.severity, "")
        prefix = {"reminder": "reminders.kind", SERVICE_REQUEST: "service.type"}.get(row.source, "anomalies.rule")
        subject = shown_subject(row)
        at = clock_time(row.at, self.tz, now) if row.at else ""
        dim = "dim" if row.status in ("acknowledged", "silenced") else ""
        if row.source == SERVICE_REQUEST:
            return [
                RowText(at, row.key, sev_style.replace("on red", "").strip()),
                cell(label("service.limit", row.subject) if row.subject else "", "dim"),
                cell(label(prefix, row.kind), "cyan"),
                cell(subject),
                cell(f"#{row.id}", "dim", "right"),
                cell(label("service.status", row.status)),
            ]
        return [
            RowText(at, row.key, dim),
            cell(label("console.severity", row.severity), sev_style),
            cell(label(prefix, row.kind), dim or sev_style.replace("on red", "").strip()),
            cell(subject, dim),
            cell(f"×{row.count}" if row.count > 1 else "", "bold", "right"),
            cell(label("console.alert_status", row.status), dim),
        ]


    def searchable_text(self, row: AlertRow, now: datetime) -> str:
        # `/` finds a rule or a status by its code too (amount_cap, silenced), not only by its label.
        return " ".join((super().searchable_text(row, now), row.source, row.kind, row.status, row.severity))


def alert_counts(rows: Sequence[AlertRow]) -> tuple[int, int]:
    """(open, open and critical) of the alert feed: the one count the header, the sign-in note and
    pane 4 all show. Every source (reminders, anomalies) counts the same way."""
    open_rows = [r for r in rows if r.status == "open" and r.source != SERVICE_REQUEST]
    return len(open_rows), sum(1 for r in open_rows if r.severity == "critical")


def shown_subject(row: AlertRow) -> str:
    """What an alert is about, as a person reads it: the order number, else the subject without its
    codes (`queue` → the unassigned queue, `day:2026-12-03` → 12-03, `store:S01` → S01)."""
    if row.order_no:
        return row.order_no
    kind, _, rest = row.subject.partition(":")
    if not rest:
        return label("console.subject", kind) if kind else ""
    if kind == "day":
        return rest[5:] if len(rest) == 10 else rest  # the month and day: the year is this one
    if kind in ("store", "courier"):
        ident, _, day = rest.partition(":")
        return f"{ident} {day[5:]}".strip() if day else ident
    return row.subject


def alert_line(row: AlertRow, now: datetime, tz: tzinfo) -> Text:
    """A critical alert for the banner, one line, rebuilt with every reload (raise count, status)."""
    prefix = "reminders.kind" if row.source == "reminder" else "anomalies.rule"
    line = Text(" ⚠ ", "bold white on red")
    line.append(f" {label(prefix, row.kind)} · {shown_subject(row)}", "bold")
    if row.at is not None:  # when it was (last) raised: the live ages are in the header and the panes
        line.append(" · " + t("console.banner.at", at=clock_time(row.at, tz, now)))
    if row.count > 1:
        line.append(f" · ×{row.count}")
    line.append("  " + t("console.banner.hint"), "dim")
    return line


def critical_open(rows: Sequence[AlertRow]) -> list[AlertRow]:
    return [r for r in rows if r.status == "open" and r.severity == "critical" and r.source != SERVICE_REQUEST]
