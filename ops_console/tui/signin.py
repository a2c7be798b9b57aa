"""Sign-in: operator id and PIN (or only the PIN when `--operator ID` was given)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
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

    def __init__(self, ctx: AppContext, operator_id: str | None = None, database: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.operator_id = operator_id
        self.database = database

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = t("console.signin.title")
            yield Static(t("console.signin.database", database=self.database), classes="hint")
            yield Label(t("console.signin.operator"))
            yield Input(value=self.operator_id or "", id="operator", placeholder="U01",
                        disabled=bool(self.operator_id))
            yield Label(t("console.signin.pin"))
            yield Input(password=True, id="pin", placeholder="••••")
            yield Static("", id="signin-error")

    def on_mount(self) -> None:
        self.query_one("#pin" if self.operator_id else "#operator", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "operator":
            self.query_one("#pin", Input).focus()
            return
        operator = self.query_one("#operator", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if not operator:
            self.query_one("#operator", Input).focus()
            return
        self.query_one("#signin-error", Static).update(t("console.signin.checking"))
        self._check(operator, pin)

    @work(thread=True, exclusive=True, group="signin")
    def _check(self, operator: str, pin: str) -> None:
        try:
            actor = sign_in(self.ctx, operator, pin)
        except ServiceError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        except Exception as exc:  # the database is unreachable: say so and let them retry
            self.app.call_from_thread(self._failed, t("console.db_error", error=str(exc)))
            return
        self.app.call_from_thread(self.dismiss, actor)

    def _failed(self, message: str) -> None:
        self.query_one("#signin-error", Static).update(message)
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()
