"""`w`: couriers on and off duty, by tier. Space or Enter toggles the courier under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from ops_console.i18n import t
from ops_console.services import couriers
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import ServiceError


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

    def reload(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for c in couriers.roster(self.ctx):
            duty = Text(t("console.duty.on") if c.on_duty else t("console.duty.off"),
                        style="bold green" if c.on_duty else "dim")
            table.add_row(c.id, c.name, t(f"tier.{c.tier}"), c.store_name or "", f"{c.busy}/{c.capacity}", duty,
                          key=c.id)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def action_toggle(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        courier_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        on_duty = next((c.on_duty for c in couriers.roster(self.ctx) if c.id == courier_id), False)
        self._toggle(courier_id or "", not on_duty)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle()

    @work(thread=True, exclusive=True, group="duty")
    def _toggle(self, courier_id: str, on_duty: bool) -> None:
        try:
            c = couriers.set_on_duty(self.ctx, courier_id, on_duty, self.actor)
            msg = t("console.duty.done", name=c.name, state=t("console.duty.on" if c.on_duty else "console.duty.off"))
            self.app.call_from_thread(self._done, msg, "information")
        except ServiceError as exc:
            self.app.call_from_thread(self._done, exc.message, "warning")
        except Exception as exc:  # database trouble: say so, never die
            self.app.call_from_thread(self._done, t("console.db_error", error=str(exc)), "error")

    def _done(self, message: str, severity: str) -> None:
        self.changed = True
        self.notify(message, severity=severity)  # type: ignore[arg-type]
        self.reload()

    def action_close(self) -> None:
        self.dismiss(self.changed)
