"""What every dialog shares: the result it dismisses with, the modal frame, and the action loop.

An action dialog loads the orders it applies to (with the version it saw), lets the dispatcher
choose, then performs the action on each order in a thread worker — one service call per order,
`expected_version` set, so a lost race is a Conflict and not a silent overwrite. Outcomes are
reported per order, honestly: when all succeed the dialog closes with the result; when one fails
its message is shown inline, the successful ones are done and kept in the result, and the failed
ones stay for a retry (after reloading them, so the dialog shows what changed). Esc closes: with
None if nothing was attempted, else with the outcomes so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from ops_console.domain.money import fen_to_yuan
from ops_console.domain.types import Action
from ops_console.i18n import Ref, has, t
from ops_console.services.actions import perform
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import ServiceError
from ops_console.services.order_view import Missing, OrderBrief, order_briefs


@dataclass(frozen=True)
class OrderOutcome:
    """What happened to one order: `(order_no, ok, message)`."""

    order_no: str
    ok: bool
    message: str
    order_id: int | None = None


@dataclass(frozen=True)
class ActionResult:
    """What a dialog did, order by order (and side notes such as a learned keyword)."""

    action: str
    outcomes: tuple[OrderOutcome, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and all(o.ok for o in self.outcomes)

    @property
    def succeeded(self) -> tuple[OrderOutcome, ...]:
        return tuple(o for o in self.outcomes if o.ok)

    @property
    def failed(self) -> tuple[OrderOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    def summary(self) -> str:
        """One line for a notification: never "all done" when one failed."""
        done, total = len(self.succeeded), len(self.outcomes)
        if total == 1:
            head = self.outcomes[0].message
        elif done == total:
            head = t("screens.result.all", count=total, action=Ref(f"action.{self.action}"))
        else:
            failed = "; ".join(f"{o.order_no}: {o.message}" for o in self.failed)
            head = t("screens.result.some", done=done, total=total, action=Ref(f"action.{self.action}"),
                     failed=failed)
        return " ".join([head, *self.notes])


class InputProblem(Exception):
    """A field the dispatcher must fix before anything is sent; `widget_id` is focused."""

    def __init__(self, message: str, widget_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.widget_id = widget_id


# --------------------------------------------------------------------------- formatting helpers


def label(prefix: str, code: str | None) -> str:
    """`reason.late` → its text; an unknown code is shown as it is."""
    if not code:
        return "—"
    key = f"{prefix}.{code}"
    return t(key) if has(key) else code


def first_label(code: str, *prefixes: str) -> str:
    """The text of the first `prefix.code` key that exists, else the code."""
    for prefix in prefixes:
        if has(f"{prefix}.{code}"):
            return t(f"{prefix}.{code}")
    return code


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"¥{fen_to_yuan(fen)}"


def local(when: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return when.strftime(fmt) if when is not None else "—"


def done_message(order_no: str, action: str, to_status: str) -> str:
    return t("screens.done", order=order_no, action=Ref(f"action.{action}"), status=Ref(f"status.{to_status}"))


def outcomes_text(outcomes: Iterable[OrderOutcome]) -> Text:
    text = Text()
    for o in outcomes:
        if text:
            text.append("\n")
        text.append("✓ " if o.ok else "✗ ", style="green" if o.ok else "bold red")
        text.append(f"{o.order_no}  ", style="bold")
        text.append(o.message)
    return text


# --------------------------------------------------------------------------- the modal frame


class OpsModal(ModalScreen[Any]):
    """A centred dialog with a title, a body, an inline message line and a key hint line."""

    CSS_PATH = "screens.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    title_key: ClassVar[str] = ""
    hint_key: ClassVar[str] = "screens.hint.confirm"

    def dialog_title(self) -> str:
        return t(self.title_key)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes=f"dialog {type(self).__name__}"):
            yield Static(capitalised(self.dialog_title()), id="title", classes="title")
            yield from self.compose_body()
            yield Static("", id="message", classes="message")
            yield Static(self.hint_text(), id="hint", classes="hint")

    def compose_body(self) -> ComposeResult:
        yield from ()

    def hint_text(self) -> str:
        return t(self.hint_key)

    def show_message(self, message: str | Text, error: bool = True) -> None:
        widget = self.query_one("#message", Static)
        widget.update(message)
        widget.set_class(error, "error")
        widget.set_class(bool(str(message)), "shown")

    def action_close(self) -> None:
        self.dismiss(None)


# --------------------------------------------------------------------------- the action loop


class Loaded(Message):
    def __init__(self, briefs: list[OrderBrief], missing: list[Missing], extra: Any) -> None:
        super().__init__()
        self.briefs = briefs
        self.missing = missing
        self.extra = extra


class Performed(Message):
    def __init__(self, outcomes: list[OrderOutcome], extra: Any = None) -> None:
        super().__init__()
        self.outcomes = outcomes
        self.extra = extra


class Failed(Message):
    """A worker failed outside any one order (e.g. the database is away)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


def error_text(exc: BaseException) -> str:
    if isinstance(exc, ServiceError):
        return exc.message
    return t("screens.error", error=str(exc) or type(exc).__name__)


@dataclass
class _Run:
    briefs: list[OrderBrief] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    outcomes: list[OrderOutcome] = field(default_factory=list)
    attempted: bool = False
    busy: bool = False
    loaded: bool = False
    confirm_queued: bool = False  # Enter pressed before the orders were read: confirm once they are


class ActionDialog(OpsModal):
    """A dialog that performs one lifecycle action on one or more orders."""

    action: Action  # a class attribute of each dialog; ReasonScreen sets it per instance
    # Enter confirms when the focused widget does not take it itself (a list selects, an input submits).
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "confirm", show=False)]

    def action_confirm(self) -> None:
        self.confirm()

    def __init__(self, ctx: AppContext, actor: Actor, order_ids: list[int]) -> None:
        super().__init__()
        self.ctx = ctx
        self.actor = actor
        self.order_ids = list(order_ids)
        self.job = _Run()

    # ---- hooks for subclasses
    def load_extra(self, briefs: list[OrderBrief]) -> Any:
        """Runs in the worker thread after the orders are read (service calls only)."""
        return None

    def on_orders(self, briefs: list[OrderBrief], extra: Any) -> None:
        """Fill the widgets once the orders are read (UI thread)."""

    def params_for(self, brief: OrderBrief) -> dict[str, Any]:
        """The action's parameters for one order; raise InputProblem to stop before sending."""
        return {}

    def check_inputs(self) -> None:
        """Raise InputProblem when the form is not complete (called before any order)."""

    def perform_one(self, brief: OrderBrief, params: dict[str, Any]) -> OrderOutcome:
        """Runs in the worker thread."""
        out = perform(self.ctx, brief.id, self.action, self.actor, expected_version=brief.version, **params)
        return OrderOutcome(out.order_no, True, done_message(out.order_no, self.action, out.to_status), out.order_id)

    def follow_up(self, outcomes: list[OrderOutcome]) -> Any:
        """Runs in the worker thread after the orders were done (e.g. what to propose next)."""
        return None

    def after_success(self, outcomes: list[OrderOutcome], extra: Any) -> bool:
        """Called when every order succeeded; return False to stay open (e.g. a follow-up step)."""
        return True

    # ---- the loop
    def on_mount(self) -> None:
        self.show_message(t("screens.loading"), error=False)
        self.run_worker(self._load, thread=True, exclusive=True, group="load")

    def _load(self) -> None:
        try:
            briefs, missing = order_briefs(self.ctx, self.order_ids)
            extra = self.load_extra(briefs) if briefs else None
        except Exception as exc:  # noqa: BLE001 - a worker reports; the console must not die on a database error
            self.post_message(Failed(error_text(exc)))
            return
        self.post_message(Loaded(briefs, missing, extra))

    def on_loaded(self, message: Loaded) -> None:
        message.stop()
        self.job.briefs = message.briefs
        self.job.missing = message.missing
        self.job.loaded = True
        self.show_message(self.orders_status())
        self.on_orders(message.briefs, message.extra)
        if self.job.confirm_queued:
            self.job.confirm_queued = False
            self.confirm()

    def on_failed(self, message: Failed) -> None:
        message.stop()
        self.job.busy = False
        self.job.confirm_queued = False
        self.show_message(message.message)

    def orders_status(self) -> Text:
        """Inline lines about orders that cannot be acted on (gone), empty otherwise."""
        text = Text()
        for m in self.job.missing:
            if text:
                text.append("\n")
            text.append(f"✗ {m.message}", style="bold red")
        if not self.job.briefs and not self.job.missing:
            text.append(t("screens.no_orders"), style="bold red")
        return text

    def confirm(self) -> None:
        if self.job.busy:
            return
        if not self.job.loaded:
            self.job.confirm_queued = True
            return
        if not self.job.briefs:
            self.show_message(self.orders_status() if self.job.missing else t("screens.no_orders"))
            return
        try:
            self.check_inputs()
            params = [(b, self.params_for(b)) for b in self.job.briefs]
        except InputProblem as problem:
            self.show_message(problem.message)
            if problem.widget_id:
                self.query_one(f"#{problem.widget_id}").focus()
            return
        self.job.busy = True
        self.show_message(t("screens.working"), error=False)
        self.run_worker(lambda: self._perform(params), thread=True, exclusive=True, group="perform")

    def _perform(self, work: list[tuple[OrderBrief, dict[str, Any]]]) -> None:
        outcomes: list[OrderOutcome] = []
        for brief, params in work:
            try:
                outcomes.append(self.perform_one(brief, params))
            except Exception as exc:  # noqa: BLE001 - per order: Refused / Conflict / NotFound / the database shown, never raised
                outcomes.append(OrderOutcome(brief.order_no, False, error_text(exc), brief.id))
        extra = None
        if all(o.ok for o in outcomes):
            try:
                extra = self.follow_up(outcomes)
            except Exception:  # noqa: BLE001 - a follow-up is a nicety: the orders are done whatever happens here
                extra = None
        self.post_message(Performed(outcomes, extra))

    def on_performed(self, message: Performed) -> None:
        message.stop()
        self.job.busy = False
        if not self.job.attempted:
            self.job.outcomes.extend(OrderOutcome(str(m.id), False, m.message, m.id) for m in self.job.missing)
            self.job.missing = []
        self.job.attempted = True
        self.job.outcomes.extend(message.outcomes)
        failed_ids = {o.order_id for o in message.outcomes if not o.ok}
        if not failed_ids:
            if self.after_success(message.outcomes, message.extra):
                self.dismiss(self.result())
            return
        # Keep the failed ones for a retry, re-read so the dialog shows what they are now.
        self.show_message(outcomes_text(message.outcomes))
        self.order_ids = [b.id for b in self.job.briefs if b.id in failed_ids]
        self.run_worker(self._reload, thread=True, exclusive=True, group="load")

    def _reload(self) -> None:
        try:
            briefs, _ = order_briefs(self.ctx, self.order_ids)
        except Exception as exc:  # noqa: BLE001 - a worker reports instead of dying
            self.post_message(Failed(error_text(exc)))
            return
        self.post_message(Reloaded(briefs))

    def on_reloaded(self, message: Reloaded) -> None:
        message.stop()
        self.job.briefs = message.briefs
        self.refresh_orders(message.briefs)

    def refresh_orders(self, briefs: list[OrderBrief]) -> None:
        """The failed orders were re-read (new versions / statuses)."""

    def result(self) -> ActionResult:
        return ActionResult(str(self.action), tuple(self.job.outcomes))

    def action_close(self) -> None:
        if self.job.busy:
            return
        self.dismiss(self.result() if self.job.attempted else None)

    def orders_heading(self, briefs: list[OrderBrief], describe: Callable[[OrderBrief], str] | None = None) -> Text:
        """`MT9001 · 阳光小区3栋…` for one order, or the count and numbers of several."""
        if len(briefs) == 1:
            b = briefs[0]
            return Text.assemble((f"{label('channel', b.channel)} {b.order_no}", "bold"), "  ",
                                 label("status", b.status), "  ", describe(b) if describe else b.address)
        nos = ", ".join(b.order_no for b in briefs[:8]) + (" …" if len(briefs) > 8 else "")
        return Text.assemble((t("screens.orders_count", count=len(briefs)), "bold"), "  ", nos)


class Reloaded(Message):
    def __init__(self, briefs: list[OrderBrief]) -> None:
        super().__init__()
        self.briefs = briefs


def capitalised(title: str) -> str:
    """Dialog titles start with a capital (the catalog's action names are lower case: `reject`)."""
    return title[:1].upper() + title[1:]
