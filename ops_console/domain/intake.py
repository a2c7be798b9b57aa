"""Intake rules: header aliases, value parsing, validation, grouping rows into order drafts.

Pure: no I/O, no database. `services/intake_files.py` reads the files and hands the rows or
objects here; `services/intake.py` stores the drafts. Every problem is a message key plus
parameters (file, row/line/index and field are added when it is shown), see
`ops_console/messages/intake.toml`.

Decisions where CONTRACTS.md is silent (documented in the issue note as well):

- Required for a customer order: channel, order_no, customer_name, phone, address,
  payment_method and at least one line with sku, name, qty and unit_price. Optional:
  placed_at (missing = the time the order is received, which stays out of the fingerprint),
  paid_amount, payment_status, urgent, custom, appointment_at, remarks, store_id, spec,
  category, unit, weight_g.
- A quantity is a whole number of the SKU's unit (produce is sold in 500 g units): ``2`` and
  ``2.0`` are 2, ``1.5`` is refused. Stock and the order step are whole numbers too, and a
  fraction in a platform file is almost always a weight typed into the quantity column.
- Missing payment_status: ``paid`` for online orders (platforms send them paid), ``pending``
  for cash on delivery and installments. Missing paid_amount: the order total when paid, else 0.
- In a CSV, an order-level cell left blank on a later row of the same order takes the value of
  the other rows (exports with merged cells do this); two different non-blank values make the
  order inconsistent and it is set aside naming the rows.
- A date needs a time; a time without an offset is in the configured time zone; stored as UTC.
- kind other than ``customer`` is refused for now (the anomalies issue adds the others).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from ops_console.domain.money import MoneyError, yuan_to_fen
from ops_console.domain.phone import PhoneError, parse_phone
from ops_console.domain.types import (
    CHANNEL_ALIASES,
    Category,
    Channel,
    OrderKind,
    PaymentMethod,
    PaymentStatus,
)

# --------------------------------------------------------------------------- vocabulary

ORDER_FIELDS: tuple[str, ...] = (
    "channel",
    "order_no",
    "kind",
    "placed_at",
    "customer_name",
    "phone",
    "address",
    "payment_method",
    "paid_amount",
    "payment_status",
    "urgent",
    "custom",
    "appointment_at",
    "remarks",
    "store_id",
)
LINE_FIELDS: tuple[str, ...] = ("sku", "name", "spec", "category", "qty", "unit", "unit_price", "weight_g")
REQUIRED_ORDER_FIELDS: tuple[str, ...] = (
    "channel",
    "order_no",
    "customer_name",
    "phone",
    "address",
    "payment_method",
)
REQUIRED_LINE_FIELDS: tuple[str, ...] = ("sku", "name", "qty", "unit_price")
_REQUIRED_LINE_SET = frozenset(REQUIRED_LINE_FIELDS)
KEY_FIELDS = ("channel", "order_no")

# Header / key texts (Chinese or English) → field. Matching ignores case, spaces, "_" and "-",
# full-width forms and a leading "*" (the "required" mark of spreadsheet templates).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "channel": ("channel", "渠道", "平台"),
    "order_no": ("order_no", "order_id", "订单号", "订单编号"),
    "kind": ("kind", "类型"),
    "placed_at": ("placed_at", "下单时间"),
    "customer_name": ("customer_name", "客户姓名", "收货人"),
    "phone": ("phone", "联系电话", "手机号"),
    "address": ("address", "收货地址", "地址"),
    "payment_method": ("payment_method", "支付方式"),
    "paid_amount": ("paid_amount", "实付金额"),
    "payment_status": ("payment_status", "支付状态"),
    "urgent": ("urgent", "加急"),
    "custom": ("custom", "定制"),
    "appointment_at": ("appointment_at", "预约时间"),
    "remarks": ("remarks", "备注"),
    "store_id": ("store_id", "门店编号"),
    "sku": ("sku", "商品编码"),
    "name": ("name", "商品名称"),
    "spec": ("spec", "规格"),
    "category": ("category", "品类"),
    "qty": ("qty", "数量"),
    "unit": ("unit", "单位"),
    "unit_price": ("unit_price", "单价"),
    "weight_g": ("weight_g", "重量(g)", "重量"),
    "lines": ("lines", "商品明细", "明细"),
}
# Columns our own quarantine files add: ignored without a warning when a fixed file comes back.
REASON_KEYS = frozenset({"reason", "_reason"})

MAX_LENGTH: dict[str, int] = {
    "order_no": 64,
    "customer_name": 100,
    "phone": 40,
    "address": 2000,
    "remarks": 2000,
    "store_id": 32,
    "sku": 64,
    "name": 200,
    "spec": 100,
    "unit": 16,
}
MAX_QTY = 1_000_000
MAX_FEN = 10_000_000_000  # 100 million yuan: anything above is an entry error, not an order
MAX_WEIGHT_G = 10_000_000


def _norm_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lstrip("\ufeff").lstrip("*").strip().lower()
    return re.sub(r"[\s_\-]+", "", text)


_HEADER_MAP: dict[str, str] = {_norm_header(alias): f for f, aliases in FIELD_ALIASES.items() for alias in aliases}


@functools.lru_cache(maxsize=4096)
def field_for_header(header: str) -> str | None:
    """The field a header or JSON key means, or None when unknown."""
    return _HEADER_MAP.get(_norm_header(header))


def _norm_value(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


_CHANNELS: dict[str, Channel] = {c.value: c for c in Channel}
_CHANNELS.update({_norm_value(k): v for k, v in CHANNEL_ALIASES.items()})
_PAYMENT_METHODS: dict[str, PaymentMethod] = {m.value: m for m in PaymentMethod} | {
    "在线支付": PaymentMethod.ONLINE,
    "线上支付": PaymentMethod.ONLINE,
    "在线": PaymentMethod.ONLINE,
    "货到付款": PaymentMethod.COD,
    "到付": PaymentMethod.COD,
    "分期付款": PaymentMethod.INSTALLMENT,
    "分期": PaymentMethod.INSTALLMENT,
}
_PAYMENT_STATUSES: dict[str, PaymentStatus] = {s.value: s for s in PaymentStatus} | {
    "已支付": PaymentStatus.PAID,
    "已付款": PaymentStatus.PAID,
    "待支付": PaymentStatus.PENDING,
    "未支付": PaymentStatus.PENDING,
    "支付失败": PaymentStatus.FAILED,
}
RECORD_KINDS = ("customer", "replenishment", "payment", "tracking")
_KINDS: dict[str, str] = {k: k for k in RECORD_KINDS} | {
    "客户订单": "customer",
    "顾客订单": "customer",
    "零售": "customer",
    "补货": "replenishment",
    "补货订单": "replenishment",
    "支付": "payment",
    "支付通知": "payment",
    "物流": "tracking",
    "物流更新": "tracking",
}
_CATEGORIES: dict[str, Category] = {c.value: c for c in Category} | {
    "蔬果": Category.PRODUCE,
    "生鲜": Category.PRODUCE,
    "蔬菜": Category.PRODUCE,
    "水果": Category.PRODUCE,
    "冷藏": Category.CHILLED,
    "冷冻": Category.FROZEN,
}
_BOOLS: dict[str, bool] = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
}


def category_of(value: str | None) -> Category:
    """蔬果/生鲜/produce, 冷藏/chilled, 冷冻/frozen; anything else is `default`."""
    if not value:
        return Category.DEFAULT
    found = _CATEGORIES.get(value)
    return found if found is not None else _CATEGORIES.get(_norm_value(value), Category.DEFAULT)


# --------------------------------------------------------------------------- problems


class Unit(StrEnum):
    """How a position in a source file is counted."""

    ROW = "row"  # CSV record number, the header is row 1
    LINE = "line"  # JSON Lines line number, from 1
    INDEX = "index"  # position in a JSON list, from 0


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a source file; shown via the message catalog."""

    key: str
    position: int | None = None
    field: str | None = None  # canonical name, e.g. "qty" or "lines[1].qty"
    column: str | None = None  # the header / key as written in the file
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class FieldError(ValueError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# --------------------------------------------------------------------------- value parsers

_BAD_ORDER_NO = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")
_DT = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:(?:T|\s+)(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})(?:\.(\d{1,6}))?秒?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is str:
        if value and not value[0].isspace() and not value[-1].isspace() and value != '=""':
            return False
        v = value.strip()
        return not v or v == '=""'
    return False




def _unwrap(text: str) -> str:
    """Cell text without surrounding space and Excel's keep-as-text wrapper ="...". """
    text = text.strip()
    if text.startswith('="') and text.endswith('"') and len(text) >= 3:
        text = text[2:-1].strip()
    return text


def parse_text(value: Any, name: str) -> str:
    if type(value) is str:
        text = value.strip()
        if text[:2] == '="':
            text = _unwrap(text)
    elif isinstance(value, str):
        text = _unwrap(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise FieldError("intake.value.not_text", value=_show(value))
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(text) > limit:
        raise FieldError("intake.value.too_long", limit=limit, length=len(text))
    return text


def parse_remarks(value: Any) -> str:
    """Verbatim: no trimming, no formula: a remark starting with `=` is text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError("intake.value.not_text", value=_show(value))
    if len(value) > MAX_LENGTH["remarks"]:
        raise FieldError("intake.value.too_long", limit=MAX_LENGTH["remarks"], length=len(value))
    return value


def parse_order_no(value: Any) -> str:
    if isinstance(value, float):
        raise FieldError("intake.order_no.number", value=_show(value))
    text = parse_text(value, "order_no")
    if _SCIENTIFIC.match(text):
        raise FieldError("intake.order_no.scientific", value=text)
    if not text or _BAD_ORDER_NO.search(text):
        raise FieldError("intake.order_no.invalid", value=_show(value))
    return text


def parse_channel(value: Any) -> Channel:
    if not isinstance(value, str):
        raise FieldError("intake.channel.unknown", value=_show(value), known=", ".join(c.value for c in Channel))
    channel = _CHANNELS.get(value) or _CHANNELS.get(_norm_value(_unwrap(value)))
    if channel is None:
        raise FieldError("intake.channel.unknown", value=_show(value), known=", ".join(c.value for c in Channel))
    return channel


def _lookup(table: Mapping[str, Any], key: str, value: Any, known: Iterable[str]) -> Any:
    if isinstance(value, str):
        found = table.get(value)
        if found is None:
            found = table.get(_norm_value(_unwrap(value)))
        if found is not None:
            return found
    raise FieldError(key, value=_show(value), known=", ".join(known))


def parse_kind(value: Any) -> str:
    return _lookup(_KINDS, "intake.kind.unknown", value, RECORD_KINDS)


def parse_payment_method(value: Any) -> PaymentMethod:
    return _lookup(_PAYMENT_METHODS, "intake.payment_method.unknown", value, ["在线支付/online", "货到付款/cod", "分期付款/installment"])


def parse_payment_status(value: Any) -> PaymentStatus:
    return _lookup(_PAYMENT_STATUSES, "intake.payment_status.unknown", value, ["已支付/paid", "待支付/pending", "支付失败/failed"])


def parse_category(value: Any) -> Category:
    if not isinstance(value, str):
        raise FieldError("intake.value.not_text", value=_show(value))
    return category_of(_unwrap(value))


def parse_bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        found = _BOOLS.get(value)
        if found is None:
            found = _BOOLS.get(_norm_value(_unwrap(value)))
        if found is not None:
            return found
    raise FieldError("intake.bool.invalid", value=_show(value))


def parse_datetime(value: Any, tz: ZoneInfo) -> datetime:
    """ISO 8601, `2026-11-24 09:05:00`, `2026/11/24 9:05`, `2026年11月24日 9:05`; no offset = tz."""
    if not isinstance(value, str):
        raise FieldError("intake.datetime.invalid", value=_show(value))
    text = value.strip()
    if len(text) >= 16 and text[4] == "-" and text[10] in "T " and text[13] == ":" and text.isascii():
        # The common ISO shapes, parsed in C.
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=tz)
            return parsed.astimezone(UTC)
    text = unicodedata.normalize("NFKC", _unwrap(text))
    m = _DT.match(text)
    try:
        if m:
            if m.group(4) is None:
                raise FieldError("intake.datetime.no_time", value=_show(value))
            micro = (m.group(7) or "0").ljust(6, "0")
            parsed = datetime(
                int(m.group(1)), int(m.group(2)), int(m.group(3)),
                int(m.group(4)), int(m.group(5)), int(m.group(6) or 0), int(micro),
            )  # fmt: skip
            offset = m.group(8)
            if offset:
                parsed = parsed.replace(tzinfo=_offset(offset))
        else:
            parsed = datetime.fromisoformat(text)
            if parsed.hour == parsed.minute == parsed.second == 0 and len(text) <= 10:
                raise FieldError("intake.datetime.no_time", value=_show(value))
    except ValueError as exc:
        if isinstance(exc, FieldError):
            raise
        raise FieldError("intake.datetime.invalid", value=_show(value)) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_amount(value: Any) -> int:
    """Yuan (two decimals at most) → fen, ≥ 0."""
    fen: int | None = None
    kind = type(value)
    if kind is str:
        whole, _dot, cents = value.partition(".")
        if (
            whole.isdigit() and whole.isascii() and len(whole) <= 12
            and (not cents or (len(cents) <= 2 and cents.isdigit() and cents.isascii()))
        ):  # fmt: skip
            fen = int(whole) * 100 + (int(cents) * (10 if len(cents) == 1 else 1) if cents else 0)
    elif kind is int:
        fen = value * 100
    elif kind is float and math.isfinite(value):
        scaled = value * 100
        rounded = round(scaled)
        if abs(scaled - rounded) < 1e-6 * max(1.0, abs(scaled)):
            fen = rounded
    if fen is None:
        try:
            fen = yuan_to_fen(_unwrap(value) if isinstance(value, str) else value)
        except (MoneyError, TypeError) as exc:
            raise FieldError("intake.amount.invalid", value=_show(value)) from exc
    if fen < 0:
        raise FieldError("intake.amount.negative", value=_show(value))
    if fen > MAX_FEN:
        raise FieldError("intake.amount.too_large", value=_show(value))
    return fen


def _decimal(value: Any, key: str) -> Decimal:
    if isinstance(value, bool):
        raise FieldError(key, value=_show(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FieldError(key, value=_show(value))
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            number = Decimal(unicodedata.normalize("NFKC", _unwrap(value)).replace(",", ""))
        except InvalidOperation as exc:
            raise FieldError(key, value=_show(value)) from exc
        if number.is_finite():
            return number
    raise FieldError(key, value=_show(value))


def parse_qty(value: Any) -> int:
    """A whole number of units, > 0 (``2.0`` is 2; ``1.5`` is refused)."""
    if type(value) is int:
        number: Decimal | int = value
    elif type(value) is str and value.isascii() and value.isdigit():
        number = int(value)
    else:
        number = _decimal(value, "intake.qty.invalid")
    if number <= 0:
        raise FieldError("intake.qty.not_positive", value=_show(value))
    if number != int(number):
        raise FieldError("intake.qty.not_whole", value=_show(value))
    if number > MAX_QTY:
        raise FieldError("intake.qty.too_large", value=_show(value), limit=MAX_QTY)
    return int(number)


def parse_weight(value: Any) -> int:
    number = _decimal(value, "intake.weight.invalid")
    if number < 0 or number > MAX_WEIGHT_G:
        raise FieldError("intake.weight.invalid", value=_show(value))
    return int(number.to_integral_value(rounding=ROUND_HALF_UP))


def parse_phone_field(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError("intake.phone.invalid", value=_show(value))
    try:
        return parse_phone(_unwrap(value) if isinstance(value, str) else value).text
    except PhoneError as exc:
        raise FieldError("intake.phone.invalid", value=_show(value)) from exc


def _show(value: Any) -> str:
    """A value quoted for a message (shortened; never starts with `=` so no sheet evaluates it)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"“{text}”"


def _text_parser(name: str) -> Callable[[Any], str]:
    """parse_text for one field, with its length limit bound (the hot path of every file)."""
    limit = MAX_LENGTH.get(name, 1_000_000)

    def parse(value: Any) -> str:
        if type(value) is str:
            text = value.strip()
            if text[:2] == '="':
                text = _unwrap(text)
            if len(text) > limit:
                raise FieldError("intake.value.too_long", limit=limit, length=len(text))
            return text
        return parse_text(value, name)

    return parse


_NAME, _ADDRESS, _STORE = _text_parser("customer_name"), _text_parser("address"), _text_parser("store_id")
_SKU, _LINE_NAME, _SPEC, _UNIT = _text_parser("sku"), _text_parser("name"), _text_parser("spec"), _text_parser("unit")

# Order-level parsers take the value; parse_datetime also takes the time zone (see _parse_order).
_ORDER_PARSERS: dict[str, Callable[..., Any]] = {
    "channel": parse_channel,
    "order_no": parse_order_no,
    "kind": parse_kind,
    "placed_at": parse_datetime,
    "customer_name": _NAME,
    "phone": parse_phone_field,
    "address": _ADDRESS,
    "payment_method": parse_payment_method,
    "paid_amount": parse_amount,
    "payment_status": parse_payment_status,
    "urgent": parse_bool,
    "custom": parse_bool,
    "appointment_at": parse_datetime,
    "remarks": parse_remarks,
    "store_id": _STORE,
}
_LINE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "sku": _SKU,
    "name": _LINE_NAME,
    "spec": _SPEC,
    "category": parse_category,
    "qty": parse_qty,
    "unit": _UNIT,
    "unit_price": parse_amount,
    "weight_g": parse_weight,
}


# --------------------------------------------------------------------------- drafts


@dataclass(slots=True)
class LineDraft:
    """One line of an order draft (read-only by convention; not frozen because it is built in bulk)."""

    line_no: int
    position: int  # where the line is in the source (CSV row; the order's line / index otherwise)
    sku: str
    name: str
    qty: int
    unit_price: int  # fen
    spec: str = ""
    category: Category | None = None  # None: not given, the catalogue decides
    unit: str = ""
    weight_g: int | None = None

    @property
    def amount(self) -> int:
        return self.qty * self.unit_price


@dataclass(slots=True)
class OrderDraft:
    """A validated order from a file, not yet stored (read-only by convention)."""

    source: str
    unit: Unit
    positions: tuple[int, ...]
    kind: str
    channel: Channel
    order_no: str
    customer_name: str
    phone: str
    address: str
    payment_method: PaymentMethod
    payment_status: PaymentStatus
    paid_amount: int
    lines: tuple[LineDraft, ...]
    placed_at: datetime | None = None
    urgent: bool = False
    custom: bool = False
    appointment_at: datetime | None = None
    remarks: str = ""
    store_id: str | None = None
    fingerprint: str = ""
    key: tuple[str, str] = ("", "")  # (channel, order_no): set with the fingerprint

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)

    def where(self) -> str:
        """Short source reference stored on the order, e.g. `orders.csv row 2-3`."""
        return f"{self.source} {self.unit.value} {_ranges(self.positions)}"


def _ranges(positions: Sequence[int]) -> str:
    parts: list[str] = []
    items = sorted(set(positions))
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        parts.append(str(items[i]) if i == j else f"{items[i]}-{items[j]}")
        i = j + 1
    return ",".join(parts)


def fingerprint(draft: OrderDraft) -> str:
    """Stable sha256 of the normalized content (not of where it came from or when it was read).

    Line order does not matter; the same order from a CSV and from a JSON file gives the same
    fingerprint; a time without offset depends on the configured time zone.
    """
    plain = _PLAIN
    lines = [
        (ln.sku, ln.name, ln.spec, plain[ln.category] if ln.category else "", ln.qty, ln.unit, ln.unit_price,
         ln.weight_g or 0)
        for ln in draft.lines
    ]  # fmt: skip
    if len(lines) > 1:
        lines.sort()
    content = [
        draft.kind,
        plain[draft.channel],
        draft.order_no,
        draft.placed_at.isoformat() if draft.placed_at else None,
        draft.customer_name,
        draft.phone,
        draft.address,
        plain[draft.payment_method],
        plain[draft.payment_status],
        draft.paid_amount,
        draft.urgent,
        draft.custom,
        draft.appointment_at.isoformat() if draft.appointment_at else None,
        draft.remarks,
        draft.store_id,
        lines,
    ]
    # repr of str / int / bool / None in lists is exact and stable; cheaper than json.dumps.
    return hashlib.sha256(repr(content).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RejectedOrder:
    """An order (or a record that could not be read as one) set aside with its problems."""

    positions: tuple[int, ...]
    problems: tuple[Problem, ...]
    key: tuple[str, str] | None = None


@dataclass
class IntakeBatch:
    """What one file gave: orders to store, orders set aside, warnings."""

    source: str
    unit: Unit
    drafts: list[OrderDraft] = dataclasses.field(default_factory=list)
    rejected: list[RejectedOrder] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)

    @property
    def rejected_positions(self) -> list[int]:
        return sorted({p for r in self.rejected for p in r.positions})

    def problems_by_position(self) -> dict[int, list[Problem]]:
        out: dict[int, list[Problem]] = {}
        for rej in self.rejected:
            for prob in rej.problems:
                if prob.position is not None:
                    out.setdefault(prob.position, []).append(prob)
        return out


@dataclass(slots=True)
class SourceRecord:
    """One JSON / JSON Lines record: the object, or the verbatim text when it did not parse."""

    position: int
    data: Any = None
    raw: str | None = None
    error: str | None = None  # JSON parse error; data is then None


# --------------------------------------------------------------------------- shared building


class _Collector:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.problems: list[Problem] = []

    def add(self, key: str, position: int, fld: str | None, column: str | None, **params: Any) -> None:
        self.problems.append(Problem(key, position, fld, column, params))

    def parse_order_field(self, name: str, value: Any, position: int, column: str) -> Any:
        try:
            parser = _ORDER_PARSERS[name]
            return parser(value, self.tz) if parser is parse_datetime else parser(value)
        except FieldError as exc:
            self.problems.append(Problem(exc.key, position, name, column, exc.params))
            return _INVALID

    def parse_line_field(self, name: str, value: Any, position: int, fld: str, column: str) -> Any:
        try:
            return _LINE_PARSERS[name](value)
        except FieldError as exc:
            self.problems.append(Problem(exc.key, position, fld, column, exc.params))
            return _INVALID


class _Invalid:
    """Marks a value that did not parse (its problem is already recorded)."""

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


_INVALID = _Invalid()
# Enum member → its plain text (a dict look-up is cheaper than `.value` in the hot loops).
_PLAIN: dict[Any, str] = {m: m.value for e in (Channel, PaymentMethod, PaymentStatus, Category) for m in e}
_CUSTOMER = OrderKind.CUSTOMER.value
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
) -> OrderDraft | None:
    """Cross-field checks and defaults; None when something is wrong (problems are in `c`)."""
    for name in REQUIRED_ORDER_FIELDS:
        if name not in values:
            c.add("intake.required", first, name, columns.get(name, name))
    kind = values.get("kind", _CUSTOMER)
    if kind is not _INVALID and kind != _CUSTOMER:
        c.add("intake.kind.unsupported", first, "kind", columns.get("kind", "kind"), value=_show(kind))
    placed, appointment = values.get("placed_at"), values.get("appointment_at")
    if isinstance(placed, datetime) and isinstance(appointment, datetime) and appointment < placed:
        c.add("intake.appointment.before_placed", first, "appointment_at", columns.get("appointment_at", "appointment_at"))
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


# --------------------------------------------------------------------------- CSV


@dataclass
class _Row:
    position: int
    cells: Sequence[str]
    values: dict[str, str]  # field → raw cell (non-blank only)
    width_ok: bool
    inherited: bool = False  # channel / order number taken from the row above (merged cells)


def map_columns(header: Sequence[str], position: int = 1) -> tuple[list[str | None], dict[str, str], list[Problem]]:
    """Field per column (None = ignored), the header text of each field, warnings."""
    fields: list[str | None] = []
    columns: dict[str, str] = {}
    unknown: list[str] = []
    warnings: list[Problem] = []
    for text in header:
        name = field_for_header(text) if text is not None else None
        if name == "lines":
            name = None
        if name is None:
            if text and text.strip() and _norm_header(text) not in REASON_KEYS:
                unknown.append(text.strip())
            fields.append(None)
        elif name in columns:
            warnings.append(
                Problem("intake.column.duplicate", position, name, text, {"used": columns[name], "ignored": text})
            )
            fields.append(None)
        else:
            columns[name] = text.strip()
            fields.append(name)
    if unknown:
        warnings.insert(0, Problem("intake.column.unknown", position, None, None, {"columns": ", ".join(unknown)}))
    return fields, columns, warnings


def drafts_from_csv(
    source: str, header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]], tz: ZoneInfo
) -> IntakeBatch:
    """Rows (position, cells) → orders. Rows with the same (channel, order_no) are one order."""
    batch = IntakeBatch(source, Unit.ROW)
    fields, columns, warnings = map_columns(header)
    batch.warnings.extend(warnings)
    width = len(header)
    groups: dict[tuple[str, str], list[_Row]] = {}
    # Rows whose channel or order number cannot be read: grouped by what they say, set aside.
    orphans: dict[tuple[str, ...], list[_Row]] = {}
    previous: tuple[str, str] | None = None
    for position, cells in rows:
        if all(is_blank(cell) for cell in cells):
            continue
        values = {
            name: cells[i]
            for i, name in enumerate(fields)
            if name is not None and i < len(cells) and not is_blank(cells[i])
        }
        row = _Row(position, cells, values, len(cells) == width)
        try:
            channel = parse_channel(values["channel"]) if "channel" in values else None
        except FieldError:
            channel = None
        try:
            order_no = parse_order_no(values["order_no"]) if "order_no" in values else None
        except FieldError:
            order_no = None
        # Merged cells: a row that leaves channel (and order number) blank continues the order
        # of the row just above it, when what it does give agrees.
        if previous is not None and "channel" not in values and order_no in (None, previous[1]):
            channel, order_no = Channel(previous[0]), previous[1]
            row.values.setdefault("order_no", order_no)
            row.inherited = True
        if channel is not None and order_no is not None:
            previous = (channel.value, order_no)
            groups.setdefault(previous, []).append(row)
        elif order_no is not None:
            previous = None
            orphans.setdefault(("?", _norm_value(values.get("channel", "")), order_no), []).append(row)
        else:
            previous = None
            orphans.setdefault(("#", str(position)), []).append(row)

    # An order one of whose rows has an unreadable channel is set aside too: all or nothing.
    tainted: dict[str, list[int]] = {}
    for okey, group in orphans.items():
        order_no = okey[2] if okey[0] == "?" else None
        if order_no is not None:
            tainted.setdefault(order_no, []).extend(r.position for r in group)
        c = _Collector(tz)
        _csv_order(c, source, group, columns, width)
        positions = tuple(r.position for r in group)
        batch.rejected.append(RejectedOrder(positions, tuple(_set_aside(c.problems, positions, order_no))))

    for key, group in groups.items():
        c = _Collector(tz)
        draft = _csv_order(c, source, group, columns, width)
        positions = tuple(r.position for r in group)
        for pos in tainted.get(key[1], []):
            c.add("intake.order.unclear_row", positions[0], "channel", columns.get("channel", "channel"), row=pos)
        if draft is not None and not c.problems:
            batch.drafts.append(draft)
        else:
            batch.rejected.append(RejectedOrder(positions, tuple(_set_aside(c.problems, positions, key[1])), key))
    batch.rejected.sort(key=lambda r: r.positions[0])
    return batch


def _csv_order(
    c: _Collector, source: str, group: list[_Row], columns: dict[str, str], width: int
) -> OrderDraft | None:
    first = group[0].position
    shifted = [row for row in group if not row.width_ok]
    for row in shifted:
        # The cells of a shifted row are in the wrong columns: checking them would only mislead.
        c.add("intake.row.width", row.position, None, None, found=len(row.cells), expected=width)
    if shifted:
        group = [row for row in group if row.width_ok]
    values: dict[str, Any] = {}
    for name in ORDER_FIELDS:
        column = columns.get(name, name)
        seen: list[tuple[int, Any, str]] = []  # (position, parsed, raw)
        for row in group:
            raw = row.values.get(name)
            if raw is None:
                continue
            parsed = c.parse_order_field(name, raw, row.position, column)
            if parsed is not _INVALID:
                seen.append((row.position, parsed, raw))
            else:
                values[name] = _INVALID
        if not seen:
            continue
        distinct = {repr(p) for _, p, _ in seen}
        if len(distinct) > 1:
            rows_text = _ranges([pos for pos, _, _ in seen])
            shown = " / ".join(dict.fromkeys(_show(raw) for _, _, raw in seen))
            for pos, _, _ in seen:
                c.add("intake.order.inconsistent", pos, name, column, rows=rows_text, values=shown)
            values[name] = _INVALID
        elif values.get(name) is not _INVALID:
            values[name] = seen[0][1]
    lines: list[LineDraft] = []
    for row in group:
        line = _line(c, row.values, row.position, len(lines) + 1, columns)
        if line is not None:
            lines.append(line)
    if shifted:
        return None
    return _finish_order(c, source, Unit.ROW, tuple(r.position for r in group), first, values, columns, lines)


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


# --------------------------------------------------------------------------- JSON / JSON Lines


def drafts_from_json(source: str, records: Iterable[SourceRecord], tz: ZoneInfo, unit: Unit) -> IntakeBatch:
    """One object per order with `lines: [...]`; positions are JSON Lines line numbers or list indexes."""
    batch = IntakeBatch(source, unit)
    unknown: dict[str, int] = {}  # key → first position seen
    for record in records:
        c = _Collector(tz)
        draft: OrderDraft | None = None
        key: tuple[str, str] | None = None
        if record.error is not None:
            c.add("intake.json.invalid", record.position, None, None, error=record.error)
        elif not isinstance(record.data, dict):
            c.add("intake.json.not_object", record.position, None, None, value=_show(record.data))
        else:
            draft, key = _json_order(c, source, unit, record.position, record.data, unknown)
        if draft is not None and not c.problems:
            batch.drafts.append(draft)
        else:
            batch.rejected.append(RejectedOrder((record.position,), tuple(c.problems), key))
    if unknown:
        first = min(unknown.values())
        batch.warnings.append(Problem("intake.column.unknown", first, None, None, {"columns": ", ".join(unknown)}))
    return batch


@functools.lru_cache(maxsize=1024)
def _key_plan(
    keys: tuple[str, ...], prefix: str
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], dict[str, str]]:
    """For the keys of an object: (key, field) of the known ones, the unknown keys, field → key shown."""
    known: list[tuple[str, str]] = []
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for k in keys:
        name = field_for_header(k)
        if name is None:
            if _norm_header(k) not in REASON_KEYS:
                unknown.append(prefix + k)
        elif name not in columns:  # two keys meaning the same field: the first one wins
            columns[name] = prefix + k
            known.append((k, name))
    return tuple(known), tuple(unknown), columns


@functools.lru_cache(maxsize=1024)
def _line_plan(keys: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], dict[str, str]]:
    """Like _key_plan for the keys of a line object; an order field inside a line counts as unknown."""
    known, strangers, _columns = _key_plan(keys, "")
    line_known = tuple((k, name) for k, name in known if name in _LINE_PARSERS)
    misplaced = tuple("lines[]." + k for k, name in known if name not in _LINE_PARSERS)
    return line_known, tuple("lines[]." + k for k in strangers) + misplaced, {name: k for k, name in line_known}


def _json_order(
    c: _Collector, source: str, unit: Unit, position: int, obj: Mapping[str, Any], unknown: dict[str, int]
) -> tuple[OrderDraft | None, tuple[str, str] | None]:
    known, strangers, columns = _key_plan(tuple(obj), "")
    for k in strangers:
        unknown.setdefault(k, position)
    values: dict[str, Any] = {}
    tz = c.tz
    items: Any = None
    for k, name in known:
        value = obj[k]
        parser = _ORDER_PARSERS.get(name)
        if parser is None:
            if name == "lines":
                items = value
            else:  # a line field on the order: ignored, so say so
                unknown.setdefault(columns[name], position)
            continue
        if value is None or (
            type(value) is str and (not value or value[0] in '="' or value[0].isspace() or value[-1].isspace())
            and is_blank(value) and name != "remarks"
        ):  # fmt: skip
            continue
        try:
            values[name] = parser(value, tz) if parser is parse_datetime else parser(value)
        except FieldError as exc:
            c.problems.append(Problem(exc.key, position, name, columns[name], exc.params))
            values[name] = _INVALID
    key = None
    if isinstance(values.get("channel"), Channel) and isinstance(values.get("order_no"), str):
        key = (values["channel"].value, values["order_no"])
    lines: list[LineDraft] = []
    lines_col = columns.get("lines", "lines")
    if items is None or items == []:
        c.add("intake.lines.missing", position, "lines", lines_col)
    elif not isinstance(items, list):
        c.add("intake.lines.not_list", position, "lines", lines_col)
    else:
        for i, item in enumerate(items):
            if type(item) is not dict:
                c.add("intake.lines.not_object", position, f"lines[{i}]", f"{lines_col}[{i}]", value=_show(item))
                continue
            known, strangers, line_cols = _line_plan(tuple(item))
            for k in strangers:
                unknown.setdefault(k, position)
            line = _line(c, {name: item[k] for k, name in known}, position, i + 1, line_cols, i, lines_col)
            if line is not None:
                lines.append(line)
    draft = _finish_order(c, source, unit, (position,), position, values, columns, lines)
    return draft, key


# --------------------------------------------------------------------------- catalogue facts
# The automatic review itself is domain/review.py (one rule for every way in).


def line_category(line: LineDraft, catalogue: Mapping[str, Category]) -> Category:
    """The catalogue's category for a known SKU, else the file's, else `default`."""
    known = catalogue.get(line.sku)
    if known is not None:
        return known
    return line.category or Category.DEFAULT


def unknown_sku_warnings(draft: OrderDraft, known: Container[str]) -> list[Problem]:
    """A warning per line whose SKU is not in the catalogue (the line is kept)."""
    out = []
    for line in draft.lines:
        if line.sku not in known:
            fld = "sku" if draft.unit is Unit.ROW else f"lines[{line.line_no - 1}].sku"
            out.append(Problem("intake.sku.unknown", line.position, fld, fld, {"sku": line.sku, "order_no": draft.order_no}))
    return out
