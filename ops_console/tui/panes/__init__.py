"""The four live panes of the console, one module each, on a shared live-table base."""

from ops_console.tui.panes.alerts import AlertsPane
from ops_console.tui.panes.base import LiveTable
from ops_console.tui.panes.board import BoardPane
from ops_console.tui.panes.picking import PickingPane
from ops_console.tui.panes.unassigned import UnassignedPane

PANE_CLASSES: tuple[type[LiveTable], ...] = (UnassignedPane, PickingPane, BoardPane, AlertsPane)

__all__ = ["PANE_CLASSES", "AlertsPane", "BoardPane", "LiveTable", "PickingPane", "UnassignedPane"]
