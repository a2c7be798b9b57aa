"""Building an order draft from parsed values: required fields, defaults, cross-field checks, lines.

Shared by the CSV rows and the JSON records readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ops_console.domain.intake.drafts import (
    _PLAIN,
    LineDraft,
    NoticeDraft,
    OrderDraft,
    _ranges,
    fingerprint,
)
from ops_console.domain.intake.fields import (
    _REQUIRED_LINE_SET,
    NOTICE_KINDS,
    REQUIRED_FIELDS_BY_KIND,
    REQUIRED_LINE_FIELDS,
    REQUIRED_ORDER_FIELDS,
)
from ops_console.domain.intake.problems import (
    Checks,
    FieldError,
    Problem,
    Unit,
)
from ops_console.domain.intake.values import (
    _LINE_PARSERS,
    _ORDER_PARSERS,
    TZ_PARSERS,
    RemarksCut,
    check_date_skew,
    is_blank,
    parse_notice_payment_status,
)
from ops_console.domain.types import (
    Channel,
    OrderKind,
    PaymentMethod,
    PaymentStatus,
)


class _Collector:
    """The problems (and warnings) of one order while it is built."""

    def __init__(self, tz: ZoneInfo, checks: Checks | None = None) -> None:
        self.tz = tz
        self.checks = checks or _NO_CHECKS
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []  # the order is kept, its record copied to quarantine

    def add(self, key: str, position: int, fld: str | None, column: str | None, **params: Any) -> None:
        self.problems.append(Problem(key, position, fld, column, params))

    def parse_order_field(self, name: str, value: Any, position: int, column: str) -> Any:
        try:
            parser = _ORDER_PARSERS[name]
            return parser(value, self.tz) if parser in TZ_PARSERS else parser(value)
        except RemarksCut as exc:
            self.warnings.append(Problem(exc.key, position, name, column, exc.params))
            return exc.text
        except FieldError as exc:
            self.problems.append(Problem(exc.key, position, name, column, exc.params))
            return _INVALID

    def parse_line_field(self, name: str, value: Any, position: int, fld: str, column: str) -> Any:
        try:
            return _LINE_PARSERS[name](value)
        except FieldError as exc:
            self.problems.append(Problem(exc.key, position, fld, column, exc.params))
            return _INVALID


_NO_CHECKS = Checks()


class _Invalid:
    """Marks a value that did not parse (its problem is already recorded)."""

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


_INVALID = _Invalid()
_CUSTOMER, _REPLENISHMENT = OrderKind.CUSTOMER.value, OrderKind.REPLENISHMENT.value
_ONLINE, _PAID, _PENDING = PaymentMethod.ONLINE, PaymentStatus.PAID, PaymentStatus.PENDING


def _finish_order(
    c: _Collector,
    source: str,
    unit: Unit,
    positions: tuple[int, ...],
    first: int,
    values: dict[str, Any],
    columns: dict[str, str],
    lines: list[LineDraft],
) -> OrderDraft | NoticeDraft | None:
    """Cross-field checks and defaults; None when something is wrong (problems are in `c`).

    A customer or replenishment order becomes an OrderDraft; a payment notification or tracking
    update (no lines) a NoticeDraft.
    """
    kind = values.get("kind", _CUSTOMER)
    if kind in NOTICE_KINDS:
        return _finish_notice(c, source, unit, positions, first, values, columns, kind)
    replenishment = kind == _REPLENISHMENT
    for name in REQUIRED_FIELDS_BY_KIND[kind] if replenishment else REQUIRED_ORDER_FIELDS:
        if name not in values:
            c.add("intake.required", first, name, columns.get(name, name))
    placed, appointment = values.get("placed_at"), values.get("appointment_at")
    if replenishment and values.get("delivery_date") is not None:
        appointment = values["delivery_date"]  # the day (or time) the warehouse delivers to the store
    now = c.checks.now
    if now is not None:
        skew = c.checks.max_date_skew
        for name, when in (("placed_at", placed), ("appointment_at", appointment)):
            if isinstance(when, datetime) and not check_date_skew(when, now, skew):
                c.add("intake.datetime.far_from_now", first, name, columns.get(name, name),
                      value=when.isoformat(), days=skew.days)  # fmt: skip
    if isinstance(placed, datetime) and isinstance(appointment, datetime) and appointment < placed:
        c.add("intake.appointment.before_placed", first, "appointment_at", columns.get("appointment_at", "appointment_at"))
    if replenishment:
        if c.problems or not lines:
            return None
        # Trade with stores is cash on delivery (DOMAIN, seed 004): no customer, nothing paid yet.
        values = {**values, "channel": values.get("channel", Channel.OTHER), "customer_name": values.get("customer_name", ""),
                  "phone": "", "address": values.get("address", ""), "payment_method": PaymentMethod.COD,
                  "payment_status": _PENDING, "paid_amount": 0}  # fmt: skip
    if c.problems or not lines:  # a value that did not parse left its problem in `c`
        return None
    method: PaymentMethod = values["payment_method"]
    status: PaymentStatus | None = values.get("payment_status")
    if status is None:
        status = _PAID if method is _ONLINE else _PENDING
    paid = values.get("paid_amount")
    if paid is None:
        paid = sum(line.qty * line.unit_price for line in lines) if status is _PAID else 0
    store_id = values.get("store_id") or None
    draft = OrderDraft(
        source=source,
        unit=unit,
        positions=positions,
        kind=kind,
        channel=values["channel"],
        order_no=values["order_no"],
        customer_name=values["customer_name"],
        phone=values["phone"],
        address=values["address"],
        payment_method=method,
        payment_status=status,
        paid_amount=paid,
        lines=tuple(lines),
        placed_at=placed,
        urgent=values.get("urgent", False),
        custom=values.get("custom", False),
        appointment_at=appointment,
        remarks=values.get("remarks", ""),
        store_id=store_id,
    )
    draft.fingerprint = fingerprint(draft)
    draft.key = (_PLAIN[draft.channel], draft.order_no)
    return draft


def _finish_notice(
    c: _Collector,
    source: str,
    unit: Unit,
    positions: tuple[int, ...],
    first: int,
    values: dict[str, Any],
    columns: dict[str, str],
    kind: str,
) -> NoticeDraft | None:
    """A payment notification or a tracking update: its required fields, its status, its time."""
    for name in REQUIRED_FIELDS_BY_KIND[kind]:
        if name not in values:
            c.add("intake.required", first, name, columns.get(name, name))
    status = values.get("status")
    if kind == "payment" and isinstance(status, str):
        try:
            status = parse_notice_payment_status(status)
        except FieldError as exc:
            c.add(exc.key, first, "status", columns.get("status", "status"), **exc.params)
    at = values.get("at")
    now = c.checks.now
    if at is None:
        if now is None:
            c.add("intake.required", first, "at", columns.get("at", "at"))
        at = now  # a notice without its time: the time it was read
    elif isinstance(at, datetime) and now is not None and not check_date_skew(at, now, c.checks.max_date_skew):
        c.add("intake.datetime.far_from_now", first, "at", columns.get("at", "at"),
              value=at.isoformat(), days=c.checks.max_date_skew.days)  # fmt: skip
    if c.problems:
        return None
    return NoticeDraft(
        source=source, unit=unit, positions=positions, kind=kind, channel=values["channel"],
        order_no=values["order_no"], status=status or "", at=at, payment_ref=values.get("payment_ref", ""),
        amount=values.get("amount", 0), note=values.get("note") or values.get("remarks", ""),
    )  # fmt: skip


def _set_aside(problems: list[Problem], positions: Sequence[int], order_no: str | None) -> list[Problem]:
    """Name, on every row of the order without a problem of its own, the rows that sank it."""
    bad = sorted({p.position for p in problems if p.position is not None})
    out = list(problems)
    for pos in positions:
        if pos not in bad:
            out.append(
                Problem("intake.order.set_aside", pos, None, None, {"order_no": order_no or "?", "rows": _ranges(bad)})
            )
    return sorted(out, key=lambda p: (p.position or 0))


def _line(
    c: _Collector,
    raw: Mapping[str, Any],
    position: int,
    line_no: int,
    columns: Mapping[str, str],
    index: int | None = None,
    lines_col: str = "lines",
) -> LineDraft | None:
    """One order line from field → value; `index` is the line's place in a JSON order's list."""
    parsed: dict[str, Any] = {}
    ok = True
    for name, value in raw.items():
        parser = _LINE_PARSERS.get(name)
        if parser is None or value is None or (
            type(value) is str and (not value or value[0] in '="' or value[0].isspace() or value[-1].isspace())
            and is_blank(value)
        ):  # fmt: skip
            continue
        try:
            parsed[name] = parser(value)
        except FieldError as exc:
            fld, col = _line_names(name, columns, index, lines_col)
            c.problems.append(Problem(exc.key, position, fld, col, exc.params))
            ok = False
    if not ok or not parsed.keys() >= _REQUIRED_LINE_SET:
        for name in REQUIRED_LINE_FIELDS:
            if name not in parsed:
                if is_blank(raw.get(name)):
                    fld, col = _line_names(name, columns, index, lines_col)
                    c.add("intake.required", position, fld, col)
                ok = False
    if not ok:
        return None
    return LineDraft(line_no, position, **parsed)


def _line_names(name: str, columns: Mapping[str, str], index: int | None, lines_col: str) -> tuple[str, str]:
    """The field and the column (as written) of a line's value, for a message."""
    column = columns.get(name, name)
    if index is None:
        return name, column
    return f"lines[{index}].{name}", f"{lines_col}[{index}].{column}"
