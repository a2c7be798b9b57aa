"""Pane 2: picking timers per store: elapsed since assignment against the order's SLA, with a bar
that turns amber near the SLA and red past it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text

from ops_console.i18n import t
from ops_console.services.panes import PickingRow
from ops_console.tui.panes.base import Column, LiveTable, RowText, cell, fixed_width, label, order_label
from ops_console.tui.panes.cells import elapsed as elapsed_text

BAR_WIDTH = 8
STATUSES = ("assigned", "picking")
NEAR = 0.8  # share of the SLA after which the bar turns amber


def timer_style(ratio: float) -> str:
    if ratio >= 1:
        return "bold red"
    if ratio >= NEAR:
        return "bold yellow"
    return "green"


def bar(ratio: float) -> Text:
    filled = min(BAR_WIDTH, max(0, round(ratio * BAR_WIDTH)))
    text = Text("█" * filled, style=timer_style(ratio), no_wrap=True)
    text.append("░" * (BAR_WIDTH - filled), style="dim")
    return text


class PickingPane(LiveTable):
    pane_id = "picking"
    title_key = "console.pane.picking"
    number = 2
    _store_rank: dict[str, int] = {}  # noqa: RUF012 - replaced on every render

    def columns_spec(self) -> Sequence[Column]:
        return (
            Column("order", "console.col.order", 10, lambda r: (r.channel, r.order_no)),
            Column("status", "console.col.status", fixed_width([label("console.short_status", s) for s in STATUSES]),
                   lambda r: r.status),
            Column("elapsed", "console.col.elapsed", 8, lambda r: r.deadline),
            Column("bar", "console.col.sla", BAR_WIDTH, lambda r: r.deadline, priority=3),
            Column("claimed", "console.col.claimed", 4, lambda r: r.claimer_name or "", priority=2),
        )

    def group_of(self, row: Any) -> tuple[Any, str, str]:
        # Stores ordered by their most urgent order: rows arrive sorted by deadline.
        first = self._store_rank.get(row.store_id or "", 0)
        name = row.store_name or row.store_id or "?"
        return (first, f"store:{row.store_id}", f"{name} {row.store_id or ''}".strip())

    def default_order(self, rows: list[Any]) -> list[Any]:
        return rows

    def _ordered(self, now: datetime) -> list[tuple[str, Any]]:
        self._store_rank: dict[str, int] = {}
        for i, r in enumerate(self.data_rows):
            self._store_rank.setdefault(r.store_id or "", i)
        return super()._ordered(now)

    def heading_cells(self, heading: Any, now: datetime, *notes: Text) -> list[Text]:
        late = sum(1 for r in heading.rows if r.deadline and r.deadline <= now)
        note = cell(t("console.late_count", n=late), "bold red", "right") if late else cell("")
        return super().heading_cells(heading, now, note, *notes)

    def cells(self, row: PickingRow, now: datetime) -> list[Text]:
        elapsed = (now - row.assigned_at).total_seconds() if row.assigned_at else 0
        sla = row.sla_minutes * 60
        ratio = elapsed / sla if sla else 0
        return [
            RowText(order_label(row.channel, row.order_no), row.key, "bold" if row.urgent else ""),
            cell(label("console.short_status", row.status)),
            cell(f"{elapsed_text(elapsed)}/{row.sla_minutes}m", timer_style(ratio), "right"),
            bar(ratio),
            cell(row.claimer_name or row.claimed_by or "", "magenta"),
        ]
