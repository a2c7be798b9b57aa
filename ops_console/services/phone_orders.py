"""Phone orders (DOMAIN step 1): a dispatcher types the order while the customer is on the line.

The form is checked by the intake rules themselves (`domain/intake/`, the same parsers and
cross-field checks as a platform file; no second validator): the form becomes one intake record
with channel `phone`, and every problem comes back with the form field it belongs to, so the
console shows it next to that field. What intake cannot know is added here: a line's SKU must be
in the catalogue (its name, unit, category and price come from there).

Before saving, the console reads the checked order back to the customer (`CheckedOrder`); then
`create_phone_order` stores it through `receive_order` (automatic review included) with a new
number `P<local date>-<n>` (`P20261124-0001`), the operator recorded as the one who received it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ops_console.domain.intake import (
    FieldError,
    OrderDraft,
    Problem,
    SourceRecord,
    Unit,
    drafts_from_json,
    parse_datetime,
)
from ops_console.domain.money import fen_to_yuan
from ops_console.domain.types import Channel, PaymentMethod
from ops_console.i18n import t
from ops_console.services.context import Actor, AppContext
from ops_console.services.errors import ServiceError
from ops_console.services.intake_rows import catalogue_facts, line_values, order_values
from ops_console.services.receiving import receive_order
from ops_console.storage.db import read_session, write_session
from ops_console.storage.models import Order, OrderLine, Sku

SOURCE = "phone"
PLACEHOLDER_NO = "P00000000-0000"  # stands in for the number while only checking the form
_TIME_ONLY = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")


@dataclass(frozen=True)
class PhoneLineInput:
    sku: str = ""  # code or exact catalogue name
    qty: str = ""

    @property
    def blank(self) -> bool:
        return not self.sku.strip() and not self.qty.strip()


@dataclass(frozen=True)
class PhoneOrderForm:
    """What the dispatcher typed, as typed."""

    customer_name: str = ""
    phone: str = ""
    address: str = ""
    lines: tuple[PhoneLineInput, ...] = ()
    payment_method: str = PaymentMethod.COD.value
    remarks: str = ""
    urgent: bool = False
    appointment: str = ""  # "HH:MM" (today), "2026-11-24 15:30", or empty
    call_started_at: datetime | None = None  # when the call began: the order's placed_at


@dataclass(frozen=True)
class FieldProblem:
    """A problem shown next to a form field: `customer_name`, `lines.0.qty`, `lines` …"""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)  # `field` is the attribute above

    @property
    def message(self) -> str:
        return t(self.key, **self.params)


@dataclass(frozen=True)
class SkuChoice:
    code: str
    name: str
    unit: str
    category: str
    price: int  # fen
    step: int
    stock: int


@dataclass(frozen=True)
class CheckedLine:
    row: int  # the form row
    sku: str
    name: str
    unit: str
    category: str
    qty: int
    unit_price: int
    step: int

    @property
    def amount(self) -> int:
        return self.qty * self.unit_price


@dataclass(frozen=True)
class CheckedOrder:
    """The order as it will be stored: what the dispatcher reads back to the customer."""

    customer_name: str
    phone: str  # canonical full number: read back to the caller who just gave it
    address: str
    payment_method: str
    payment_status: str
    paid_amount: int
    lines: tuple[CheckedLine, ...]
    remarks: str
    urgent: bool
    appointment_at: datetime | None  # local
    placed_at: datetime | None  # local
    warnings: tuple[FieldProblem, ...] = ()
    draft: OrderDraft | None = None

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class PhoneOrderCreated:
    order_id: int
    order_no: str
    status: str
    review_reason: str | None


class PhoneOrderInvalid(ServiceError):
    """The form does not make a valid order; `problems` says what, field by field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("phone_order.invalid", count=len(problems))
        self.problems = problems


def sku_catalogue(ctx: AppContext) -> list[SkuChoice]:
    """The SKU catalogue for completion in the form, by code."""
    with read_session(ctx.engine) as s:
        return [
            SkuChoice(k.code, k.name, k.unit, k.category, k.price, k.step, k.stock)
            for k in s.exec(select(Sku).order_by(Sku.code))
        ]


def resolve_sku(text: str, catalogue: list[SkuChoice]) -> SkuChoice | None:
    """A catalogue SKU by code (any case) or by its exact name when only one SKU has it."""
    text = text.strip()
    if not text:
        return None
    low = text.lower()
    for sku in catalogue:
        if sku.code.lower() == low:
            return sku
    named = [sku for sku in catalogue if sku.name == text]
    return named[0] if len(named) == 1 else None


def time_input(ctx: AppContext, text: str) -> str:
    """A typed time as intake reads it: a time alone (`15:30`) is today in the local time zone."""
    m = _TIME_ONLY.match(text)
    if m:
        today = ctx.clock.now().astimezone(ctx.settings.tz).date().isoformat()
        return f"{today} {int(m.group(1)):02d}:{m.group(2)}"
    return text.strip()


def parse_time_input(ctx: AppContext, text: str) -> datetime:
    """`15:30` (today), `2026-11-24 15:30`, `2026/11/24 15:30` … in the local time zone → aware UTC.

    Raises ServiceError with the intake message when it is not a time.
    """
    try:
        return parse_datetime(time_input(ctx, text), ctx.settings.tz)
    except FieldError as exc:
        raise ServiceError(exc.key, **exc.params) from None


def check_phone_order(
    ctx: AppContext, form: PhoneOrderForm, catalogue: list[SkuChoice] | None = None, order_no: str = PLACEHOLDER_NO
) -> tuple[CheckedOrder | None, list[FieldProblem]]:
    """Validate the form with the intake rules. Returns the checked order, or None and the problems."""
    catalogue = sku_catalogue(ctx) if catalogue is None else catalogue
    tz = ctx.settings.tz
    now = ctx.clock.now()
    placed = form.call_started_at or now
    problems: list[FieldProblem] = []
    record: dict[str, Any] = {
        "channel": Channel.PHONE.value,
        "order_no": order_no,
        "placed_at": placed.isoformat(),
        "customer_name": form.customer_name,
        "phone": form.phone,
        "address": form.address,
        "payment_method": form.payment_method,
        "urgent": bool(form.urgent),
        "remarks": form.remarks,
    }
    if form.appointment.strip():
        record["appointment_at"] = time_input(ctx, form.appointment)
    rows: list[int] = []  # record line index -> form row
    items: list[dict[str, Any]] = []
    skus: list[SkuChoice | None] = []
    for row, line in enumerate(form.lines):
        if line.blank:
            continue
        sku = resolve_sku(line.sku, catalogue)
        item: dict[str, Any] = {"sku": line.sku.strip(), "qty": line.qty.strip()}
        if sku is not None:
            item.update(sku=sku.code, name=sku.name, unit=sku.unit, category=sku.category,
                        unit_price=fen_to_yuan(sku.price))
        elif line.sku.strip():
            problems.append(FieldProblem(f"lines.{row}.sku", "phone_order.sku_unknown", {"sku": line.sku.strip()}))
            item.update(name=line.sku.strip(), unit_price="0")  # only our own problem is shown for it
        rows.append(row)
        items.append(item)
        skus.append(sku)
    record["lines"] = items
    batch = drafts_from_json(SOURCE, [SourceRecord(0, record)], tz, Unit.INDEX)
    for rejected in batch.rejected:
        for p in rejected.problems:
            problems.append(_field_problem(p, rows))
    if problems or not batch.drafts:
        if not problems:  # pragma: no cover - intake always says why
            problems.append(FieldProblem("lines", "phone_order.invalid", {"count": 0}))
        return None, _dedupe(problems)
    draft = batch.drafts[0]
    lines = tuple(
        CheckedLine(rows[i], li.sku, li.name, li.unit, (li.category.value if li.category else "default"), li.qty,
                    li.unit_price, sku.step if sku else 1)
        for i, (li, sku) in enumerate(zip(draft.lines, skus, strict=True))
    )
    warnings = []
    wanted: dict[str, int] = {}
    for li in lines:
        wanted[li.sku] = wanted.get(li.sku, 0) + li.qty
        if li.step > 1 and li.qty % li.step:
            warnings.append(FieldProblem(f"lines.{li.row}.qty", "phone_order.not_step", {"step": li.step, "unit": li.unit}))
    stock = {k.code: k.stock for k in catalogue}
    for li in lines:
        if wanted.get(li.sku, 0) > stock.get(li.sku, 0):
            warnings.append(FieldProblem(f"lines.{li.row}.qty", "phone_order.low_stock",
                                         {"stock": stock.get(li.sku, 0), "unit": li.unit}))
            wanted.pop(li.sku)
    checked = CheckedOrder(
        customer_name=draft.customer_name,
        phone=draft.phone,
        address=draft.address,
        payment_method=draft.payment_method.value,
        payment_status=draft.payment_status.value,
        paid_amount=draft.paid_amount,
        lines=lines,
        remarks=draft.remarks,
        urgent=draft.urgent,
        appointment_at=draft.appointment_at.astimezone(tz) if draft.appointment_at else None,
        placed_at=draft.placed_at.astimezone(tz) if draft.placed_at else None,
        warnings=tuple(warnings),
        draft=draft,
    )
    return checked, []


def _field_problem(p: Problem, rows: list[int]) -> FieldProblem:
    name = p.field or "form"
    m = re.match(r"^lines\[(\d+)\]\.(\w+)$", name)
    if m:
        index, part = int(m.group(1)), m.group(2)
        row = rows[index] if index < len(rows) else index
        # Name and price come from the catalogue through the SKU: their problems belong to it.
        name = f"lines.{row}.{'qty' if part == 'qty' else 'sku'}"
    return FieldProblem(name, p.key, dict(p.params))


def _dedupe(problems: list[FieldProblem]) -> list[FieldProblem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if p.field in seen:
            continue
        seen.add(p.field)
        out.append(p)
    return out


def next_order_no(session: Session, ctx: AppContext) -> str:
    """`P` + local date + `-` + the next four-digit number of that day's phone orders."""
    day = ctx.clock.now().astimezone(ctx.settings.tz).strftime("%Y%m%d")
    prefix = f"P{day}-"
    numbers = session.exec(
        select(Order.order_no).where(Order.channel == Channel.PHONE.value, Order.order_no.startswith(prefix))
    ).all()
    last = max((int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()), default=0)
    return f"{prefix}{last + 1:04d}"


def create_phone_order(ctx: AppContext, actor: Actor, form: PhoneOrderForm, attempts: int = 3) -> PhoneOrderCreated:
    """Check the form again and store the order as `actor` (receive + automatic review).

    Raises PhoneOrderInvalid (with the problems by field) or the lifecycle's Refused (e.g. a role
    that may not take orders in).
    """
    catalogue = sku_catalogue(ctx)
    checked, problems = check_phone_order(ctx, form, catalogue)
    if checked is None:
        raise PhoneOrderInvalid(problems)
    for attempt in range(attempts):
        try:
            with write_session(ctx.engine) as s:
                order_no = next_order_no(s, ctx)
                draft, problems = check_phone_order(ctx, form, catalogue, order_no)
                if draft is None or draft.draft is None:  # pragma: no cover - checked above
                    raise PhoneOrderInvalid(problems)
                d = draft.draft
                values = order_values(d) | {"channel": Channel.PHONE.value, "order_no": order_no,
                                            "source": f"phone entry by {actor.id}"}
                order = Order(status="received", **values)
                facts = catalogue_facts(s, {li.sku for li in d.lines})
                lines = [OrderLine(order_id=0, **v) for v in line_values(d, facts)]
                outcome = receive_order(s, ctx, order, lines, actor)
                return PhoneOrderCreated(outcome.order_id, order_no, outcome.to_status.value, order.review_reason)
        except IntegrityError:
            # Another console took the same number in the same instant: take the next one.
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
