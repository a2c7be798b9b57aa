"""Pane 3: the delivery escalation board, grouped by tier: picked orders waiting for a courier,
dispatched, held and out for delivery, refused or failed (back on the board with `b`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text

from ops_console.domain.types import TIER_ORDER
from ops_console.i18n import t
from ops_console.services.panes import BoardRow
from ops_console.tui.panes.base import Column, LiveTable, RowText, cell, fixed_width, label, order_label
from ops_console.tui.panes.cells import clock_time, elapsed

STAGES = ("picked", "refused", "not_completed", "dispatched", "held", "out_for_delivery")
STATUS_STYLE = {
    "picked": "yellow",
    "dispatched": "cyan",
    "held": "blue",
    "out_for_delivery": "green",
    "refused": "bold red",
    "not_completed": "bold red",
}


class BoardPane(LiveTable):
    pane_id = "board"
    title_key = "console.pane.board"
    number = 3
    wait_minutes = 10
    delivery_minutes = 45

    def columns_spec(self) -> Sequence[Column]:
        return (
            Column("order", "console.col.order", 10, lambda r: (r.channel, r.order_no)),
            Column("status", "console.col.status", fixed_width([label("console.short_status", s) for s in STAGES]),
                   lambda r: STAGES.index(r.status) if r.status in STAGES else 9),
            Column("time", "console.col.waiting", 5, lambda r: r.since),
            Column("store", "console.col.store", 4, lambda r: r.store_name or "", priority=4),
            # A picked order has no courier yet: the column shows its proposal there (dim, marked ›).
            Column("courier", "console.col.courier", 4,
                   lambda r: r.courier_name or (r.proposal[1] or "" if r.proposal else ""), priority=3),
            Column("appointment", "console.col.appointment", 5, lambda r: r.appointment_at, priority=2),
        )

    def group_of(self, row: Any) -> tuple[Any, str, str]:
        tiers = [t_.value for t_ in TIER_ORDER]
        rank = tiers.index(row.tier) if row.tier in tiers else len(tiers)
        return (rank, f"tier:{row.tier}", t(f"tier.{row.tier}") if row.tier in tiers else row.tier)

    def default_order(self, rows: list[Any]) -> list[Any]:
        return sorted(rows, key=lambda r: (STAGES.index(r.status) if r.status in STAGES else 9,
                                           r.since.timestamp() if r.since else 0, r.id))

    def cells(self, row: BoardRow, now: datetime) -> list[Text]:
        waited = (now - row.since).total_seconds() if row.since else 0
        limit = self.delivery_minutes if row.status == "out_for_delivery" else self.wait_minutes
        style = "bold red" if waited >= limit * 60 and row.status in ("picked", "out_for_delivery") else ""
        appointment = clock_time(row.appointment_at, self.tz, now) if row.appointment_at else ""
        return [
            RowText(order_label(row.channel, row.order_no), row.key, "bold" if row.urgent else ""),
            cell(label("console.short_status", row.status), STATUS_STYLE.get(row.status, "")),
            cell(elapsed(waited), style, "right"),
            cell(row.store_name or row.store_id or ""),
            cell(row.courier_name, "cyan") if row.courier_name else proposal_cell(row),
            cell(appointment, "blue"),
        ]


def proposal_cell(row: BoardRow) -> Text:
    """A picked order's proposal: `›C03` (its tier's courier), `↑tier C03` when it means escalating
    first, `↑tier —` when nobody of that tier is free either."""
    if row.proposal is None:
        return cell("")
    tier, courier = row.proposal
    if tier == row.tier:
        return cell(f"›{courier or '—'}", "green")
    short = label("board.tier_short", tier)
    return cell(f"↑{short} {courier or '—'}", "yellow" if courier else "bold red")
