"""Pane 1: orders waiting for a store (urgent first, then oldest) and, under their own heading,
orders waiting for manual review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text

from ops_console.domain.money import fen_to_yuan
from ops_console.i18n import t
from ops_console.services.matching import describe_match_reason, reason_label
from ops_console.services.panes import QueueRow
from ops_console.tui.panes.base import Column, LiveTable, RowText, cell, label, minutes_text, order_label
from ops_console.tui.panes.cells import clock_time


class UnassignedPane(LiveTable):
    pane_id = "unassigned"
    title_key = "console.pane.unassigned"
    number = 1
    warn_minutes = 10
    critical_minutes = 30
    review_minutes = 120.0
    _labels: dict[str, str] = {}  # noqa: RUF012 - replaced on every render

    def columns_spec(self) -> Sequence[Column]:
        return (
            Column("order", "console.col.order", 10, lambda r: (r.channel, r.order_no)),
            Column("age", "console.col.age", 5, lambda r: r.since),
            Column("address", "console.col.address", 12, lambda r: r.address, priority=2, flex=True, most=40),
            Column("amount", "console.col.amount", 6, lambda r: r.amount, priority=5),
            Column("flags", "console.col.flags", 4, lambda r: (not r.urgent, r.appointment_at is None), priority=3),
            Column("why", "console.col.why", 6, lambda r: r.review_reason or r.match_reason or "", priority=4),
            Column("suggestion", "console.col.suggestion", 6, lambda r: -(r.top_score or -1), priority=2),
            Column("claimed", "console.col.claimed", 4, lambda r: r.claimer_name or "", priority=6),
        )

    def row_store(self, row: Any) -> str | None:
        return row.top_store_id

    def group_of(self, row: Any) -> tuple[Any, str, str]:
        labels = self._labels
        if row.status == "manual_review":
            return (1, "manual_review", labels["manual_review"])
        return (0, "unassigned", labels["unassigned"])

    def _ordered(self, now: datetime) -> list[tuple[str, Any]]:
        # The two section names, once per render rather than once per row (the language may switch).
        self._labels = {sec: t(f"console.section.{sec}") for sec in ("unassigned", "manual_review")}
        return super()._ordered(now)

    def cells(self, row: QueueRow, now: datetime) -> list[Text]:
        waited = (now - row.since).total_seconds() if row.since else 0
        minutes = waited / 60
        if row.status == "manual_review":
            style = "bold red" if minutes >= self.review_minutes else ""
        else:
            style = ("bold white on red" if minutes >= self.critical_minutes
                     else "bold black on yellow" if minutes >= self.warn_minutes else "")
        flags = []
        if row.urgent:
            flags.append(t("console.flag.urgent"))
        if row.custom:
            flags.append(t("console.flag.custom"))
        if row.cod:
            flags.append(t("console.flag.cod"))
        if row.appointment_at:
            flags.append(t("console.flag.appointment", time=clock_time(row.appointment_at, self.tz, now)))
        if row.status == "manual_review":
            why = label("reason", row.review_reason)
        else:
            why = describe_match_reason(row.match_reason, dict(row.reason_stores))
        suggestion = ""
        if row.top_store_id:
            score = f" {row.top_score:.2f}" if row.top_score is not None else ""
            why_top = f" {reason_label(row.top_reason)}" if row.top_reason else ""
            suggestion = f"{row.top_store_name or row.top_store_id}{score}{why_top}"
        first_style = "bold" if row.urgent else ""
        return [
            RowText(order_label(row.channel, row.order_no), row.key, first_style),
            cell(minutes_text(waited), style, "right"),
            cell(row.address),
            cell(fen_to_yuan(row.amount), "", "right"),
            cell(" ".join(flags), "bold red" if row.urgent else ""),
            cell(why, "yellow" if row.status == "manual_review" else "dim"),
            cell(suggestion, "cyan"),
            cell(row.claimer_name or row.claimed_by or "", "magenta"),
        ]
