"""The `:` command line of the main screen: what each command does (the parsing and completion
live in tui/cmdline.py)."""

from __future__ import annotations

from ops_console.domain.types import Action, Role
from ops_console.i18n import set_language, t
from ops_console.services import panes as pane_service
from ops_console.tui.actions import OrderActions
from ops_console.tui.cmdline import parse_command
from ops_console.tui.screens.report import ReportScreen


class CommandRouting(OrderActions):
    """The main screen's third layer: the `:` commands."""

    _store_filter: str | None = None

    def run_command(self, text: str) -> None:
        command = parse_command(text)
        if command is None:
            if text.strip():
                self.notify(t("console.cmd.unknown", text=text.strip()), severity="warning")
            return
        args = command.args
        if command.name == "store":
            self.set_store_filter(args[0] if args else None)
        elif command.name == "order" and args:
            self.look_up_order(args[0], "goto")
        elif command.name == "assign" and len(args) >= 2:
            self.assign_by_command(args[0], args[1])
        elif command.name == "lang" and args and args[0] in ("zh_CN", "en"):
            set_language(args[0])
            self.relabel()
        elif command.name == "report":
            self.open_report()
        elif command.name == "help":
            self.action_help()
        elif command.name == "quit":
            self.action_quit_console()
        else:
            self.notify(t("console.cmd.usage"), severity="warning")

    def open_report(self) -> None:
        """`:report`: today so far, read-only, for supervisors; others are told whose it is."""
        if self.actor.role != Role.SUPERVISOR:
            self.notify(t("report.supervisors_only"), severity="warning")
            return
        self.app.push_screen(ReportScreen(self.ctx, self.actor))

    def set_store_filter(self, store_id: str | None) -> None:
        self._store_filter = store_id
        for pane in self.panes_in_order():
            pane.set_store_filter(store_id)
        if store_id:
            self.notify(t("console.store_filter_on", store=store_id))

    def assign_by_command(self, ref: str, store_id: str) -> None:
        """`:assign ORDER STORE`: the order looked up and assigned in the actions worker."""
        def call() -> str:
            order = pane_service.find_order(self.ctx, ref)
            return self.order_call(order.id, order.version, Action.ASSIGN, store_id=store_id, method="manual")()
        self.run_calls(t("action.assign"), [(ref, call)])

    def relabel(self) -> None:
        raise NotImplementedError

    def action_help(self) -> None:
        raise NotImplementedError

    def action_quit_console(self) -> None:
        raise NotImplementedError
