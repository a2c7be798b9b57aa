"""A phone order (`n`): the form, checked as intake checks a file, read back, then saved.

Problems appear next to their fields and nothing typed is lost. When the form is clean the
order is shown read back in full (DOMAIN step 1: a phone order is read back to the customer);
Enter saves it, Esc goes back to the form. SKUs complete from the catalogue (→ accepts the grey
completion); each line shows the catalogue name, price and amount as it is typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.console import Group, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Static

from ops_console.domain.types import Action, PaymentMethod
from ops_console.i18n import Ref, t
from ops_console.services.context import Actor, AppContext
from ops_console.services.phone_orders import (
    CheckedOrder,
    FieldProblem,
    PhoneLineInput,
    PhoneOrderCreated,
    PhoneOrderForm,
    PhoneOrderInvalid,
    SkuChoice,
    check_phone_order,
    create_phone_order,
    resolve_sku,
    sku_catalogue,
)
from ops_console.tui.screens.base import ActionResult, OpsModal, OrderOutcome, error_text, label, local, yuan
from ops_console.tui.screens.confirm import ConfirmScreen

START_LINES = 3
PAYMENT_METHODS = [PaymentMethod.COD.value, PaymentMethod.ONLINE.value, PaymentMethod.INSTALLMENT.value]
ORDER_FIELDS = ("customer_name", "phone", "address", "payment_method", "urgent", "appointment_at", "remarks")


class SkuSuggester(Suggester):
    """Completes a SKU code, or a catalogue name, from what has been typed."""

    def __init__(self, catalogue: list[SkuChoice]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.catalogue = catalogue

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        for sku in self.catalogue:
            if sku.code.casefold().startswith(value):
                return sku.code
        for sku in self.catalogue:
            if sku.name.casefold().startswith(value):
                return sku.name
        return None


class CatalogueLoaded(Message):
    def __init__(self, catalogue: list[SkuChoice]) -> None:
        super().__init__()
        self.catalogue = catalogue


class FormChecked(Message):
    def __init__(self, checked: CheckedOrder | None, problems: list[FieldProblem], error: str = "") -> None:
        super().__init__()
        self.checked = checked
        self.problems = problems
        self.error = error


class OrderCreated(Message):
    def __init__(self, created: PhoneOrderCreated) -> None:
        super().__init__()
        self.created = created


class ReadBackScreen(OpsModal):
    """The order in full, to read back to the caller: Enter saves (True), Esc returns to the form."""

    title_key = "screens.readback.title"
    hint_key = "screens.hint.readback"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", show=False),
        Binding("enter", "answer(True)", show=False),
    ]

    def __init__(self, checked: CheckedOrder) -> None:
        super().__init__()
        self.checked = checked

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="readback"):
            yield Static(readback(self.checked), id="readback-text")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def readback(c: CheckedOrder) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    grid.add_row(t("screens.phone.customer_name"), Text(c.customer_name, style="bold"))
    grid.add_row(t("screens.phone.phone"), Text(c.phone, style="bold"))
    grid.add_row(t("screens.phone.address"), Text(c.address, style="bold"))
    lines = Table(box=None, padding=(0, 1), header_style="dim", show_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (("sku", "left"), ("name", "left"), ("qty", "right"),
                                                       ("unit_price", "right"), ("amount", "right"))
    for key, justify in columns:
        lines.add_column(t(f"screens.col.{key}"), justify=justify)
    for li in c.lines:
        lines.add_row(li.sku, li.name, f"{li.qty} {li.unit}".rstrip(), yuan(li.unit_price), yuan(li.amount))
    lines.add_row("", "", "", t("screens.detail.total"), Text(yuan(c.total), style="bold"))
    grid.add_row(t("screens.phone.lines"), lines)
    grid.add_row(t("screens.phone.payment_method"),
                 f"{label('payment', c.payment_method)} · {label('screens.payment_status', c.payment_status)}")
    grid.add_row(t("screens.phone.appointment"), local(c.appointment_at, "%Y-%m-%d %H:%M")
                 if c.appointment_at else t("screens.phone.no_appointment"))
    grid.add_row(t("screens.phone.urgent"), Text(t("screens.yes"), style="bold red") if c.urgent else t("screens.no"))
    grid.add_row(t("screens.phone.remarks"), Text(c.remarks) if c.remarks else Text("—"))
    parts: list[RenderableType] = [grid]
    if c.warnings:
        parts.append(Text(""))
        for w in c.warnings:
            parts.append(Text("⚠ " + w.message, style="yellow"))
    return Group(*parts)


class PhoneOrderScreen(OpsModal):
    """`PhoneOrderScreen(ctx, actor)` dismisses with an ActionResult naming the new order, or None."""

    title_key = "screens.phone.title"
    hint_key = "screens.hint.phone"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("ctrl+s", "review", show=False),
        Binding("ctrl+n", "add_line", show=False),
    ]

    def __init__(self, ctx: AppContext, actor: Actor) -> None:
        super().__init__()
        self.ctx = ctx
        self.actor = actor
        self.call_started_at: datetime = ctx.clock.now()
        self.catalogue: list[SkuChoice] = []
        self.suggester = SkuSuggester(self.catalogue)
        self.line_count = 0
        self.busy = False
        self.last_problems: list[FieldProblem] = []

    def dialog_title(self) -> str:
        started = self.call_started_at.astimezone(self.ctx.settings.tz).strftime("%H:%M")
        return t(self.title_key, started=started)

    # ---- layout
    def _field(self, name: str, widget: Any, error: str | None = None) -> Vertical:
        return Vertical(
            Static(t(f"screens.phone.{name}"), classes="label"),
            widget,
            Static("", id=f"err-{error or name}", classes="field-error"),
            classes="field",
        )

    def _line_row(self, i: int) -> Vertical:
        return Vertical(
            Horizontal(
                Input(id=f"sku-{i}", classes="sku", placeholder=t("screens.phone.sku_placeholder"),
                      suggester=self.suggester),
                Input(id=f"qty-{i}", classes="qty", placeholder=t("screens.phone.qty_placeholder")),
                Static("", id=f"info-{i}", classes="line-info"),
                classes="line-row",
            ),
            Static("", id=f"err-line-{i}", classes="field-error"),
            classes="line",
        )

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            with Horizontal(classes="row"):
                yield self._field("customer_name", Input(id="customer_name"))
                yield self._field("phone", Input(id="phone", placeholder="13812341234"))
            yield self._field("address", Input(id="address"))
            yield Static(t("screens.phone.lines"), classes="label")
            with Vertical(id="lines"):
                for i in range(START_LINES):
                    yield self._line_row(i)
            self.line_count = START_LINES
            yield Static(t("screens.phone.add_line"), classes="hint")
            yield Static("", id="err-lines", classes="field-error")
            with Horizontal(classes="row"):
                yield self._field("payment_method", RadioSet(
                    *(RadioButton(label("payment", m), value=(m == PaymentMethod.COD.value), id=f"pay-{m}")
                      for m in PAYMENT_METHODS),
                    id="payment_method",
                ))
                yield Vertical(
                    Checkbox(t("screens.phone.urgent"), id="urgent"),
                    Static("", id="err-urgent", classes="field-error"),
                    classes="field urgent",
                )
            with Horizontal(classes="row"):
                yield self._field("appointment", Input(id="appointment", placeholder=t("screens.time_placeholder")),
                                  error="appointment_at")
                yield self._field("remarks", Input(id="remarks"))

    def on_mount(self) -> None:
        self.query_one("#customer_name").focus()
        self.run_worker(self._load_catalogue, thread=True, exclusive=True, group="load")

    def _load_catalogue(self) -> None:
        try:
            catalogue = sku_catalogue(self.ctx)
        except Exception as exc:  # noqa: BLE001 - a worker reports instead of dying
            self.post_message(FormChecked(None, [], error_text(exc)))
            return
        self.post_message(CatalogueLoaded(catalogue))

    def on_catalogue_loaded(self, message: CatalogueLoaded) -> None:
        message.stop()
        self.catalogue[:] = message.catalogue
        for i in range(self.line_count):
            self.update_line_info(i)

    # ---- lines
    async def action_add_line(self) -> None:
        i = self.line_count
        self.line_count += 1
        await self.query_one("#lines").mount(self._line_row(i))
        self.query_one(f"#sku-{i}").focus()

    def update_line_info(self, i: int) -> None:
        sku_text = self.query_one(f"#sku-{i}", Input).value
        qty_text = self.query_one(f"#qty-{i}", Input).value.strip()
        info = self.query_one(f"#info-{i}", Static)
        if not sku_text.strip():
            info.update("")
            return
        sku = resolve_sku(sku_text, self.catalogue)
        if sku is None:
            info.update(Text(t("screens.phone.sku_not_found") if self.catalogue else "", style="dim"))
            return
        text = Text.assemble((sku.name, "bold"), f"  {sku.unit}  {yuan(sku.price)}")
        if qty_text.isdigit() and int(qty_text) > 0:
            text.append(f" × {qty_text} = {yuan(sku.price * int(qty_text))}")
        if sku.step > 1:
            text.append("  " + t("screens.phone.step", step=sku.step), style="yellow")
        info.update(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        if name.startswith(("sku-", "qty-")):
            self.update_line_info(int(name.split("-")[1]))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_review()

    # ---- the form
    def form(self) -> PhoneOrderForm:
        def value(widget_id: str) -> str:
            return self.query_one(f"#{widget_id}", Input).value

        pressed = self.query_one("#payment_method", RadioSet).pressed_button
        method = (pressed.id or "").removeprefix("pay-") if pressed is not None else ""
        return PhoneOrderForm(
            customer_name=value("customer_name"),
            phone=value("phone"),
            address=value("address"),
            lines=tuple(PhoneLineInput(value(f"sku-{i}"), value(f"qty-{i}")) for i in range(self.line_count)),
            payment_method=method,
            remarks=value("remarks"),
            urgent=self.query_one("#urgent", Checkbox).value,
            appointment=value("appointment"),
            call_started_at=self.call_started_at,
        )

    def action_review(self) -> None:
        if self.busy:
            return
        self.busy = True
        form = self.form()
        self.show_message(t("screens.phone.checking"), error=False)
        self.run_worker(lambda: self._check(form), thread=True, exclusive=True, group="check")

    def _check(self, form: PhoneOrderForm) -> None:
        try:
            checked, problems = check_phone_order(self.ctx, form)
        except Exception as exc:  # noqa: BLE001 - a worker reports instead of dying; the form is kept
            self.post_message(FormChecked(None, [], error_text(exc)))
            return
        self.post_message(FormChecked(checked, problems))

    def on_form_checked(self, message: FormChecked) -> None:
        message.stop()
        self.busy = False
        self.show_problems(message.problems)
        if message.error:
            self.show_message(message.error)
            return
        if message.checked is None:
            return
        self.show_message("", error=False)
        self.show_warnings(message.checked.warnings)
        form = self.form()
        self.app.push_screen(ReadBackScreen(message.checked), lambda yes: self.after_readback(bool(yes), form))

    def show_problems(self, problems: list[FieldProblem]) -> None:
        for widget in self.query(".field-error"):
            if isinstance(widget, Static):
                widget.update("")
                widget.remove_class("shown")
        self.last_problems = problems
        unplaced: list[str] = []
        first_focus: str | None = None
        by_error: dict[str, list[str]] = {}
        for p in problems:
            error_id, focus_id = self.where(p.field)
            if error_id is None:
                unplaced.append(p.message)
                continue
            by_error.setdefault(error_id, []).append(self.labelled(p))
            first_focus = first_focus or focus_id
        for error_id, messages in by_error.items():
            widget = self.query_one(f"#{error_id}", Static)
            widget.update("; ".join(messages))
            widget.add_class("shown")
        if problems:
            text = t("phone_order.invalid", count=len(problems))
            self.show_message("\n".join([text, *unplaced]))
        if first_focus:
            self.query_one(f"#{first_focus}").focus()

    @staticmethod
    def labelled(p: FieldProblem) -> str:
        """A line's problem names its column: `数量: 必填`."""
        if p.field.startswith("lines."):
            part = p.field.rsplit(".", 1)[1]
            return f"{t('screens.col.qty' if part == 'qty' else 'screens.col.sku')}: {p.message}"
        return p.message

    def show_warnings(self, warnings: tuple[FieldProblem, ...]) -> None:
        for w in warnings:
            error_id, _ = self.where(w.field)
            if error_id:
                widget = self.query_one(f"#{error_id}", Static)
                widget.update(Text("⚠ " + self.labelled(w), style="yellow"))
                widget.add_class("shown")

    def where(self, field: str) -> tuple[str | None, str | None]:
        """(error widget id, widget to focus) for a problem's field."""
        if field.startswith("lines."):
            _, row, part = field.split(".")
            return f"err-line-{row}", f"{'qty' if part == 'qty' else 'sku'}-{row}"
        if field == "lines":
            return "err-lines", "sku-0"
        if field in ORDER_FIELDS:
            focus = "appointment" if field == "appointment_at" else field
            return f"err-{field}", focus
        return None, None

    # ---- saving
    def after_readback(self, yes: bool, form: PhoneOrderForm) -> None:
        if not yes:
            self.show_message(t("screens.phone.back_to_form"), error=False)
            return
        self.busy = True
        self.show_message(t("screens.working"), error=False)
        self.run_worker(lambda: self._create(form), thread=True, exclusive=True, group="create")

    def _create(self, form: PhoneOrderForm) -> None:
        try:
            created = create_phone_order(self.ctx, self.actor, form)
        except PhoneOrderInvalid as exc:  # the catalogue changed between the read-back and now
            self.post_message(FormChecked(None, exc.problems))
            return
        except Exception as exc:  # noqa: BLE001 - Refused (role), the database: shown, the form kept
            self.post_message(FormChecked(None, [], error_text(exc)))
            return
        self.post_message(OrderCreated(created))

    def on_order_created(self, message: OrderCreated) -> None:
        message.stop()
        self.busy = False
        c = message.created
        text = t("screens.phone.created", order=c.order_no, status=Ref(f"status.{c.status}"))
        self.dismiss(ActionResult(Action.RECEIVE.value, (OrderOutcome(c.order_no, True, text, c.order_id),)))

    def action_close(self) -> None:
        if self.busy:
            return
        form = self.form()
        typed = [form.customer_name, form.phone, form.address, form.remarks, form.appointment,
                 *(li.sku + li.qty for li in form.lines)]
        if not any(x.strip() for x in typed):
            self.dismiss(None)
            return
        # Esc with a half-typed order asks first: a slip of the finger must not lose a caller's order.
        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen(t("screens.phone.discard")), answered)
