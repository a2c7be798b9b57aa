"""Sign-in: operator id and PIN (or only the PIN when `--operator ID` was given).

Enter is this screen's own priority binding, looked up the moment the App reads the key, against
this screen. Left to the inputs, an Enter is first forwarded to the focused input and bubbles back
to the App, which only then looks up the binding — on whatever screen is current by that time, so
an Enter read while this screen was current could be bound on the main screen that had just
replaced it (and open the order under its cursor). It also made keys typed ahead after the operator
id land in the operator field (the focus moved only after them). Now the focus moves at once, and
an Enter pressed again while the PIN is being checked is spent here.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ops_console.i18n import t
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import ServiceError
from ops_console.services.operators import sign_in


class SignInScreen(Screen[Actor]):
    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen > Vertical { width: 56; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    SignInScreen Input { margin: 0 0 1 0; }
    SignInScreen #signin-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "submit", show=False, priority=True)]

    def __init__(self, ctx: AppContext, operator_id: str | None = None, database: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.operator_id = operator_id
        self.database = database
        self.checking = False  # a PIN check is running: further Enters wait for its answer

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = t("console.signin.title")
            yield Static(t("console.signin.database", database=self.database), classes="hint")
            yield Label(t("console.signin.operator"))
            yield Input(value=self.operator_id or "", id="operator", placeholder=t("console.signin.operator_hint"),
                        disabled=bool(self.operator_id))
            yield Label(t("console.signin.pin"))
            yield Input(password=True, id="pin", placeholder=t("console.signin.pin_hint"))
            yield Static("", id="signin-error")

    def on_mount(self) -> None:
        self.query_one("#pin" if self.operator_id else "#operator", Input).focus()

    def action_submit(self) -> None:
        """Enter: from the operator id on to the PIN; from the PIN, check them (once at a time)."""
        if self.checking:
            return
        operator = self.query_one("#operator", Input)
        pin = self.query_one("#pin", Input)
        if self.focused is operator:
            self.set_focus(pin)  # now, so the keys typed after this Enter go to the PIN
            return
        self.checking = True
        # Keys typed before this Enter may still wait in the inputs' own queues: read the values
        # after them (a callback queued behind them in each input).
        operator.call_later(pin.call_later, self._submit)

    def _submit(self) -> None:
        operator = self.query_one("#operator", Input)
        if not operator.value.strip():
            self.checking = False
            self.set_focus(operator)
            return
        self.query_one("#signin-error", Static).update(t("console.signin.checking"))
        # The App's worker, not this screen's: the screen goes away while the worker is still in its
        # last line (the dismiss), which would cancel a worker of its own.
        self.app.run_worker(partial(self._check, operator.value.strip(), self.query_one("#pin", Input).value),
                            thread=True, exclusive=True, group="signin")

    def _check(self, operator: str, pin: str) -> None:
        try:
            actor = sign_in(self.ctx, operator, pin)
        except ServiceError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - the database is unreachable: say so and let them retry
            self.app.call_from_thread(self._failed, t("console.db_error", error=str(exc)))
            return
        self.app.call_from_thread(self.dismiss, actor)

    def _failed(self, message: str) -> None:
        self.checking = False
        self.query_one("#signin-error", Static).update(message)
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()
