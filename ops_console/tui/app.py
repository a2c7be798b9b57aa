"""The dispatcher's console application: sign-in, then the main screen (tui/main.py); the reminder
checks on this loop (tui/reminders.py), the demo simulator, and the ctrl+p palette from the key map.

Data flow (Harlequin / Dolphie / Memray style): thread workers read the database and post messages;
the screens handle them and set widget attributes (messages up, attributes down). See tui/live.py for
the refresh loop, tui/actions.py for the actions, tui/dialogs.py for the registry of dialogs.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from rich.markup import escape
from textual import work
from textual.app import App, SystemCommand
from textual.screen import Screen

from ops_console.domain.lifecycle import LIFECYCLE, role_allowed
from ops_console.i18n import set_language, t
from ops_console.services import panes as pane_service
from ops_console.services.context import Actor, AppContext
from ops_console.services.database import database_label
from ops_console.services.errors import ServiceError
from ops_console.tui import (
    anomaly_keys,  # noqa: F401 — registers pane 4's anomaly verbs
    keys,
)
from ops_console.tui.live import POLL_SECONDS
from ops_console.tui.main import MainScreen
from ops_console.tui.messages import (
    RemindersChanged,
    SchedulerRan,
    SchedulerTrouble,
    SimulatorStepped,
    first_line,
)
from ops_console.tui.signin import SignInScreen

__all__ = ["MainScreen", "OpsConsoleApp", "database_label", "run_console"]

SIMULATOR_SECONDS = 3.0

# Textual's palette commands by (title, help) → the catalog entry that names them in the UI's language.
TEXTUAL_COMMANDS = {
    ("Theme", "Change the current theme"): "console.palette.theme",
    ("Quit", "Quit the application as soon as possible"): "console.palette.quit",
    ("Keys", "Show help for the focused widget and a summary of available keys"): "console.palette.keys",
    ("Keys", "Hide the keys and widget help panel"): "console.palette.hide_keys",
    ("Maximize", "Maximize the focused widget"): "console.palette.maximize",
    ("Minimize", "Minimize the widget and restore to normal size"): "console.palette.minimize",
    ("Screenshot", "Save an SVG 'screenshot' of the current screen"): "console.palette.screenshot",
}


class OpsConsoleApp(App[None]):
    """`OpsConsoleApp(ctx)` asks for sign-in; `OpsConsoleApp(ctx, actor=...)` opens the console at once."""

    CSS_PATH = "app.tcss"
    TITLE = "ops_console"

    def __init__(self, ctx: AppContext, *, actor: Actor | None = None, operator_id: str | None = None,
                 demo: bool = False, database: str | None = None, window: int = pane_service.DEFAULT_WINDOW,
                 poll_seconds: float = POLL_SECONDS, simulator: Any | None = None, scheduler: bool = True) -> None:
        super().__init__()
        self.ctx = ctx
        self.actor = actor
        self.operator_id = operator_id
        self.demo = demo
        self.database = database or database_label(str(ctx.engine.url.render_as_string(hide_password=True)))
        self.window = window
        self.poll_seconds = poll_seconds
        self.simulator = simulator
        self.main: MainScreen | None = None
        self.scheduler_enabled = scheduler  # the reminder checks on this loop; tests switch them off
        self.reminder_alerts: Any | None = None

    def on_mount(self) -> None:
        self.title = t("console.app_title")
        if self.scheduler_enabled:
            self._start_reminders()
        if self.actor is not None:
            self._open_main(self.actor)
        else:
            self.push_screen(SignInScreen(self.ctx, self.operator_id, self.database), self._signed_in)
        if self.demo:
            self._start_simulator()

    # -- reminders: the scheduler runs the checks on this loop (tui/reminders.py) -----------------------
    def _start_reminders(self) -> None:
        from ops_console.tui.reminders import ReminderAlerts

        self.reminder_alerts = ReminderAlerts(self)
        self.reminder_alerts.start()

    def on_unmount(self) -> None:
        if self.reminder_alerts is not None:
            self.reminder_alerts.stop()

    def on_scheduler_ran(self, message: SchedulerRan) -> None:
        if self.main is not None:
            self.main.header.scheduler_ran = message.ran_at

    def on_reminders_changed(self, _message: RemindersChanged) -> None:
        if self.main is not None:
            self.main.refresh_now()

    def on_scheduler_trouble(self, message: SchedulerTrouble) -> None:
        if self.main is not None:
            self.main.header.error = message.error
        else:
            self.notify(escape(message.error), severity="error")

    def _signed_in(self, actor: Actor | None) -> None:
        if actor is None:
            self.exit()
            return
        self.actor = actor
        self._open_main(actor)

    def _open_main(self, actor: Actor) -> None:
        self.main = MainScreen(self.ctx, actor, self.database, self.window, self.poll_seconds)
        self.push_screen(self.main)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        main = self.main
        if main is not None and screen is main:
            for k in keys.KEYS:
                if not k.palette:
                    continue
                if k.lifecycle and not any(role_allowed(LIFECYCLE[a], main.actor.role) for a in k.lifecycle):
                    continue
                yield SystemCommand(t(k.desc), t("console.palette.key", key=k.shown),
                                    partial(main.run_action, k.action))
        for command in super().get_system_commands(screen):  # Textual's own, in the console's language
            key = TEXTUAL_COMMANDS.get((command.title, command.help))
            yield command._replace(title=t(f"{key}.title"), help=t(f"{key}.help")) if key else command

    # -- the demo simulator --------------------------------------------------------------------------
    def _start_simulator(self) -> None:
        if self.simulator is None:
            try:
                from ops_console.services.demo_sim import Simulator

                self.simulator = Simulator(self.ctx)
            except ServiceError as exc:
                self.notify(exc.message, severity="warning")
                return
            except Exception as exc:  # noqa: BLE001 — no simulator: the console still works on the data it has
                self.notify(t("console.simulator_unavailable", error=first_line(exc)), severity="warning")
                return
        self.set_timer(SIMULATOR_SECONDS, self._simulate)

    def _simulate(self) -> None:
        self._simulator_step()

    @work(thread=True, exclusive=True, group="simulator")
    def _simulator_step(self) -> None:
        try:
            if self.simulator is not None:
                self.simulator.step()
            self.post_message(SimulatorStepped())
        except Exception as exc:  # noqa: BLE001 — the simulator's trouble shows in the header
            self.post_message(SimulatorStepped(first_line(exc)))

    def on_simulator_stepped(self, message: SimulatorStepped) -> None:
        if message.error and self.main is not None:
            self.main.header.error = message.error
        self.set_timer(SIMULATOR_SECONDS, self._simulate)


def run_console(state: Any) -> None:
    """`ops-console` (and `--demo`): open the console on the configured database."""
    ctx: AppContext = state.ctx()
    settings = ctx.settings
    set_language(settings.ui.language)
    database = database_label(settings.database.url)
    app = OpsConsoleApp(ctx, operator_id=state.operator, demo=state.demo, database=database)
    app.run()
