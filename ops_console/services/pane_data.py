"""The plain data the console's live panes show: pane names, row types, header facts, snapshots.

Frozen values only (no reads): services/pane_load.py fills them, services/pane_live.py patches
them, the console diffs them into its tables by row key.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

UNASSIGNED, PICKING, BOARD, ALERTS = "unassigned", "picking", "board", "alerts"
PANES = (UNASSIGNED, PICKING, BOARD, ALERTS)
BOARD_STATUSES = ("picked", "dispatched", "held", "out_for_delivery", "refused", "not_completed")
PANE_STATUSES: dict[str, frozenset[str]] = {
    UNASSIGNED: frozenset({"unassigned", "manual_review"}),
    PICKING: frozenset({"assigned", "picking"}),
    BOARD: frozenset(BOARD_STATUSES),
}
QUEUE_SECTIONS = ("unassigned", "manual_review")
DEFAULT_WINDOW = 150  # rows per pane section: the oldest/most urgent N, with the total beside them
SCHEDULER_META_KEY = "scheduler.last_run"
APPOINTMENT_HORIZON_MINUTES = 30
MAX_ORDERS_PATCHED = 200  # more orders touched than this at once: the order panes load whole
MAX_EVENTS_SCANNED = 2000  # more events than this since the last look: load every pane whole



@dataclass(frozen=True)
class QueueRow:
    """An order waiting for a store (unassigned) or for a person (manual review)."""

    id: int
    version: int
    status: str
    channel: str
    order_no: str
    urgent: bool
    custom: bool
    cod: bool
    appointment_at: datetime | None
    since: datetime | None
    address: str
    amount: int
    match_reason: str | None
    review_reason: str | None
    top_store_id: str | None
    top_store_name: str | None
    top_score: float | None
    claimed_by: str | None
    claimer_name: str | None
    reason_stores: tuple[tuple[str, str], ...] = ()  # (id, name) of the stores the match reason names
    top_reason: str | None = None  # why the top suggestion (a SuggestionReason code: fuzzy, context…)

    @property
    def key(self) -> str:
        return f"o:{self.id}"


@dataclass(frozen=True)
class PickingRow:
    id: int
    version: int
    status: str
    channel: str
    order_no: str
    urgent: bool
    store_id: str | None
    store_name: str | None
    assigned_at: datetime | None
    sla_minutes: int
    claimed_by: str | None
    claimer_name: str | None

    @property
    def key(self) -> str:
        return f"o:{self.id}"

    @property
    def deadline(self) -> datetime | None:
        return self.assigned_at + timedelta(minutes=self.sla_minutes) if self.assigned_at else None


@dataclass(frozen=True)
class BoardRow:
    id: int
    version: int
    status: str
    channel: str
    order_no: str
    urgent: bool
    tier: str
    store_id: str | None
    store_name: str | None
    courier_id: str | None
    courier_name: str | None
    since: datetime | None  # waiting (picked) or travelling (dispatched / out for delivery) since
    appointment_at: datetime | None
    claimed_by: str | None
    claimer_name: str | None
    entered_at: datetime | None = None  # entry into the current status: the board's window order
    # A picked order's courier proposal (services/courier_load.proposals): (tier, courier id or None).
    proposal: tuple[str, str | None] | None = None

    @property
    def key(self) -> str:
        return f"o:{self.id}"


SERVICE_REQUEST = "service_request"  # pane 4's rows of live service requests (source of an AlertRow)


@dataclass(frozen=True)
class AlertRow:
    source: str  # "reminder", "anomaly" or SERVICE_REQUEST (not an alert: shown to customer service)
    id: int
    kind: str  # reminder kind or anomaly rule
    severity: str
    status: str
    subject: str
    order_id: int | None
    order_no: str | None
    at: datetime | None
    count: int
    owner: str | None
    order_kind: str | None = None  # an anomaly's order: customer or replenishment (pane 4's y / x)

    @property
    def key(self) -> str:
        return f"{self.source[0]}:{self.id}"


@dataclass(frozen=True)
class PaneData:
    rows: tuple[Any, ...]
    total: int  # rows that exist; more than len(rows) when the pane shows a window
    sections: Mapping[str, int] = field(default_factory=dict)  # totals per section (e.g. manual review)
    # Row keys added, updated or removed since the pane's data of revision `base`; None: loaded whole.
    changed: frozenset[str] | None = None
    revision: int = 0
    base: int = -1


@dataclass(frozen=True)
class TierCount:
    tier: str
    free: int
    on_duty: int
    total: int


@dataclass(frozen=True)
class HeaderFacts:
    oldest_unassigned: datetime | None
    unassigned: int
    manual_review: int
    delivery_started: tuple[datetime, ...]  # out_for_delivery_at of every order on the road, sorted
    appointments: tuple[datetime, ...]  # appointments around now, sorted
    couriers: tuple[TierCount, ...]
    open_reminders: int
    critical_alerts: int
    scheduler_last_run: str | None
    oldest_unassigned_id: int | None = None  # the order behind `oldest_unassigned`

    def backlog_minutes(self, now: datetime) -> float | None:
        if self.oldest_unassigned is None:
            return None
        return max(0.0, (now - self.oldest_unassigned).total_seconds() / 60)

    def delivery_overdue(self, now: datetime, sla_minutes: int) -> int:
        return bisect.bisect_left(self.delivery_started, now - timedelta(minutes=sla_minutes))

    def appointments_due(self, now: datetime, minutes: int = APPOINTMENT_HORIZON_MINUTES) -> int:
        lo = bisect.bisect_left(self.appointments, now)
        hi = bisect.bisect_left(self.appointments, now + timedelta(minutes=minutes))
        return hi - lo


@dataclass(frozen=True)
class Snapshot:
    mark: int  # max(Event.id) when it was read
    loaded_at: datetime
    panes: Mapping[str, PaneData]  # only the panes that were reloaded
    header: HeaderFacts
    picking_deadlines: tuple[datetime, ...] | None  # every picking deadline, sorted; None = not reloaded
    whole: bool = False  # every pane loaded whole (not patched)

    def picking_overdue(self, now: datetime) -> int:
        return bisect.bisect_left(self.picking_deadlines or (), now)
