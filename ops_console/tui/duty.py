"""`w`: couriers on and off duty, by tier. Space or Enter toggles the courier under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from ops_console.i18n import t
from ops_console.services import couriers
from ops_console.services.context import Actor, AppContext
from ops_console.services.couriers import CourierView
from ops_console.services.errors import ServiceError
from ops_console.tui.messages import first_line


class RosterLoaded(Message):
    def __init__(self, roster: tuple[CourierView, ...], error: str | None = None) -> None:
        super().__init__()
        self.roster = roster
        self.error = error


class DutyToggled(Message):
    def __init__(self, text: str, severity: SeverityLevel) -> None:
        super().__init__()
        self.text = text
        self.severity = severity


class DutyScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "close", "console.key.close", show=False),
        Binding("w", "close", "console.key.close", show=False),
        Binding("space", "toggle", "console.key.toggle_duty", show=False),
        Binding("enter", "toggle", "console.key.toggle_duty", show=False),
    ]
    DEFAULT_CSS = """
    DutyScreen { align: center middle; }
    DutyScreen > Vertical { width: 90; height: 80%; border: thick $accent; background: $surface; padding: 0 1; }
    DutyScreen DataTable { height: 1fr; }
    """

    def __init__(self, ctx: AppContext, actor: Actor) -> None:
        super().__init__()
        self.ctx = ctx
        self.actor = actor
        self.changed = False
        self.roster: dict[str, CourierView] = {}
        self.loads = 0  # rosters shown (tests wait on it)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("console.duty.title"), classes="title")
            yield DataTable(cursor_type="row", id="duty")
            yield Label(t("console.duty.hint"), classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, width in (("id", 6), ("name", 14), ("tier", 10), ("store", 12), ("busy", 6), ("duty", 8)):
            table.add_column(t(f"console.duty.col.{key}"), key=key, width=width)
        self.reload()

    @work(thread=True, exclusive=True, group="duty-roster")
    def reload(self) -> None:
        """The roster is read in a worker; the table is filled when it arrives (RosterLoaded)."""
        try:
            self.post_message(RosterLoaded(tuple(couriers.roster(self.ctx))))
        except Exception as exc:  # noqa: BLE001 — database trouble: say so, keep the dialog
            self.post_message(RosterLoaded((), t("console.db_error", error=first_line(exc))))

    def on_roster_loaded(self, message: RosterLoaded) -> None:
        if message.error:
            self.notify(message.error, severity="error")
            return
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.roster = {c.id: c for c in message.roster}
        for c in message.roster:
            duty = Text(t("console.duty.on") if c.on_duty else t("console.duty.off"),
                        style="bold green" if c.on_duty else "dim")
            table.add_row(c.id, c.name, t(f"tier.{c.tier}"), c.store_name or "", f"{c.busy}/{c.capacity}", duty,
                          key=c.id)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self.loads += 1

    def action_toggle(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        courier_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        known = self.roster.get(courier_id)
        self._toggle(courier_id, not (known.on_duty if known else False))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle()

    @work(thread=True, exclusive=True, group="duty")
    def _toggle(self, courier_id: str, on_duty: bool) -> None:
        try:
            c = couriers.set_on_duty(self.ctx, courier_id, on_duty, self.actor)
            msg = t("console.duty.done", name=c.name, state=t("console.duty.on" if c.on_duty else "console.duty.off"))
            self.post_message(DutyToggled(msg, "information"))
        except ServiceError as exc:
            self.post_message(DutyToggled(exc.message, "warning"))
        except Exception as exc:  # noqa: BLE001 — database trouble: say so, never die
            self.post_message(DutyToggled(t("console.db_error", error=first_line(exc)), "error"))

    def on_duty_toggled(self, message: DutyToggled) -> None:
        self.changed = True
        self.notify(message.text, severity=message.severity)
        self.reload()

    def action_close(self) -> None:
        self.dismiss(self.changed)
