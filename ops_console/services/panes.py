"""What the console's live panes show: frozen snapshots built from small pane queries.

This module gathers the names of four modules of one job each: services/pane_data.py (the
row and snapshot types), services/pane_load.py (whole reads), services/pane_live.py (patching
after events) and services/pane_search.py (the command line's lookups).

A console's `LiveView` asks for `max(Event.id)` every second. When the event log moved, it reads
the events after the last one it saw (one range of the primary key), asks for the rows of just the
orders they touched (one query by id list) and patches its windows: a row leaves a pane when its
status no longer belongs there, a new one enters at its sorted place when it falls inside the
window, and the totals come from one count per status. A pane loads whole when that cannot be done
honestly (too many orders changed, too many rows left a window, stores or couriers changed).
Everything here is plain data: the console diffs it into its tables by row key, told which keys
changed, and ticks ages and timers from the timestamps in it without asking the database again.
"""

from __future__ import annotations

from ops_console.services.pane_data import (
    ALERTS,
    APPOINTMENT_HORIZON_MINUTES,
    BOARD,
    BOARD_STATUSES,
    DEFAULT_WINDOW,
    MAX_ORDERS_PATCHED,
    PANE_STATUSES,
    PANES,
    PICKING,
    QUEUE_SECTIONS,
    SCHEDULER_META_KEY,
    SERVICE_REQUEST,
    UNASSIGNED,
    AlertRow,
    BoardRow,
    HeaderFacts,
    PaneData,
    PickingRow,
    QueueRow,
    Snapshot,
    TierCount,
)
from ops_console.services.pane_live import LiveView, Moved, affected, read_moved, touched_panes
from ops_console.services.pane_load import event_mark, fresh_rows, load
from ops_console.services.pane_search import (
    OrderState,
    Vocabulary,
    find_order,
    order_states,
    store_search_words,
    vocabulary,
)

__all__ = [
    "ALERTS", "APPOINTMENT_HORIZON_MINUTES", "BOARD", "BOARD_STATUSES", "DEFAULT_WINDOW", "MAX_ORDERS_PATCHED",
    "PANES", "PANE_STATUSES", "PICKING", "QUEUE_SECTIONS", "SCHEDULER_META_KEY", "SERVICE_REQUEST", "UNASSIGNED",
    "AlertRow",
    "BoardRow", "HeaderFacts", "LiveView", "Moved", "OrderState", "PaneData", "PickingRow", "QueueRow", "Snapshot",
    "TierCount", "Vocabulary", "affected", "event_mark", "find_order", "fresh_rows", "load", "order_states",
    "read_moved", "store_search_words", "touched_panes", "vocabulary",
]
