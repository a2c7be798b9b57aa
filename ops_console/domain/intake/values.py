"""Value parsers: one cell or JSON value → a typed value, or a FieldError naming what is wrong."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from ops_console.domain.intake.fields import (
    _BOOLS,
    _CHANNELS,
    _KINDS,
    _NOTICE_PAYMENT_STATUSES,
    _PAYMENT_METHODS,
    _PAYMENT_STATUSES,
    MAX_FEN,
    MAX_LENGTH,
    MAX_NUMBER_TEXT,
    MAX_QTY,
    MAX_REMARKS_BYTES,
    MAX_WEIGHT_G,
    MAX_YEAR,
    MIN_YEAR,
    RECORD_KINDS,
    _norm_value,
    category_of,
)
from ops_console.domain.intake.problems import (
    FieldError,
)
from ops_console.domain.money import AmountTooLarge, MoneyError, yuan_to_fen
from ops_console.domain.phone import PhoneError, mask_phone, parse_phone
from ops_console.domain.types import (
    Category,
    Channel,
    PaymentMethod,
    PaymentStatus,
)

# Spaces, control characters and invisible format characters (a BOM, zero-width spaces).
_BAD_ORDER_NO = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
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


class RemarksCut(FieldError):
    """A remark over MAX_REMARKS_BYTES: `text` is what is kept; the order stays, with a warning."""

    def __init__(self, text: str, length: int) -> None:
        super().__init__("intake.remarks.cut", limit=MAX_REMARKS_BYTES, length=length)
        self.text = text


def parse_remarks(value: Any) -> str:
    """Verbatim: no trimming, no formula: a remark starting with `=` is text.

    Over MAX_REMARKS_BYTES (UTF-8) it raises RemarksCut carrying the cut text, so the caller
    keeps the order and notes the cut.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError("intake.value.not_text", value=_show(value))
    if len(value) > MAX_REMARKS_BYTES // 4:  # at most 4 bytes a character: shorter ones always fit
        data = value.encode("utf-8", "surrogatepass")
        if len(data) > MAX_REMARKS_BYTES:
            kept = data[:MAX_REMARKS_BYTES].decode("utf-8", "ignore")  # never half a character
            raise RemarksCut(kept, len(data))
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
            _check_year(parsed.year, value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=tz)
            return parsed.astimezone(UTC)
    text = unicodedata.normalize("NFKC", _unwrap(text))
    m = _DT.match(text)
    try:
        if m:
            if m.group(4) is None:
                raise FieldError("intake.datetime.no_time", value=_show(value))
            _check_year(int(m.group(1)), value)
            micro = (m.group(7) or "0").ljust(6, "0")
            parsed = datetime(
                int(m.group(1)), int(m.group(2)), int(m.group(3)),
                int(m.group(4)), int(m.group(5)), int(m.group(6) or 0), int(micro),
            )  # fmt: skip
            offset = m.group(8)
            if offset:
                parsed = parsed.replace(tzinfo=_offset(offset))
        else:
            if len(text) > 64:  # no date is written this long; fromisoformat need not see it
                raise FieldError("intake.datetime.invalid", value=_show(value))
            parsed = datetime.fromisoformat(text)
            if parsed.hour == parsed.minute == parsed.second == 0 and len(text) <= 10:
                raise FieldError("intake.datetime.no_time", value=_show(value))
            _check_year(parsed.year, value)
    except ValueError as exc:
        if isinstance(exc, FieldError):
            raise
        raise FieldError("intake.datetime.invalid", value=_show(value)) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # pragma: no cover - _check_year keeps far from the ends
        raise FieldError("intake.datetime.out_of_range", value=_show(value)) from exc


_DATE_ONLY = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*$")


def parse_day_or_datetime(value: Any, tz: ZoneInfo) -> datetime:
    """A delivery date: a date alone is the start of that local day; else as `parse_datetime`."""
    if isinstance(value, str):
        m = _DATE_ONLY.match(unicodedata.normalize("NFKC", value))
        if m:
            value = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d} 00:00"
    return parse_datetime(value, tz)


def parse_notice_payment_status(value: Any) -> str:
    """paid / pending / failed / refunded (已支付, 待支付, 支付失败, 已退款 …)."""
    return _lookup(_NOTICE_PAYMENT_STATUSES, "intake.payment_status.unknown", value,
                   ["已支付/paid", "待支付/pending", "支付失败/failed", "已退款/refunded"])


def _check_year(year: int, value: Any) -> None:
    """Refuse years no order has before converting: year 1 or 9999 overflows on the way to UTC."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise FieldError("intake.datetime.out_of_range", value=_show(value))


def check_date_skew(when: datetime, now: datetime, max_skew: timedelta) -> bool:
    """True when `when` lies within `max_skew` of `now` (both aware)."""
    return abs(when - now) <= max_skew


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
        if abs(value) > MAX_FEN:  # checked before scaling: 1e308 * 100 is inf
            raise FieldError("intake.amount.too_large", value=_show(value))
        scaled = value * 100
        rounded = round(scaled)
        if abs(scaled - rounded) < 1e-6 * max(1.0, abs(scaled)):
            fen = rounded
    if fen is None:
        try:
            fen = yuan_to_fen(_unwrap(value) if isinstance(value, str) else value)
        except AmountTooLarge as exc:
            raise FieldError("intake.amount.too_large", value=_show(value)) from exc
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
    if isinstance(value, Decimal):  # a JSON integer too long to be an int (see json_safe)
        if value.is_finite():
            return value
        raise FieldError(key, value=_show(value))
    if isinstance(value, str):
        if len(value) > MAX_NUMBER_TEXT:
            raise FieldError(key, value=_show(value))
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
    elif type(value) is str and len(value) <= 18 and value.isascii() and value.isdigit():
        number = int(value)
    else:
        number = _decimal(value, "intake.qty.invalid")
    if number <= 0:
        raise FieldError("intake.qty.not_positive", value=_show(value))
    # The size first: int() of Decimal("1e7000000") would build a seven-million-digit number.
    if number > MAX_QTY:
        raise FieldError("intake.qty.too_large", value=_show(value), limit=MAX_QTY)
    if number != int(number):
        raise FieldError("intake.qty.not_whole", value=_show(value))
    return int(number)


def parse_weight(value: Any) -> int:
    number = _decimal(value, "intake.weight.invalid")
    if number < 0 or number > MAX_WEIGHT_G:  # before rounding: the size is checked first
        raise FieldError("intake.weight.invalid", value=_show(value))
    return int(number.to_integral_value(rounding=ROUND_HALF_UP))


def parse_phone_field(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError("intake.phone.invalid", value=_show_phone(value))
    try:
        return parse_phone(_unwrap(value) if isinstance(value, str) else value).text
    except PhoneError as exc:
        # Shown masked like every other output: a mistyped number is still somebody's number.
        raise FieldError("intake.phone.invalid", value=_show_phone(value)) from exc


def _show_phone(value: Any) -> str:
    """A phone value for a message: masked when it holds digits (text without any is no number)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if not any(ch.isdigit() for ch in text[:200]):
        return _show(text)
    return _show(mask_phone(text[:200]))


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
    "delivery_date": parse_day_or_datetime,
    "payment_ref": _text_parser("payment_ref"),
    "amount": parse_amount,
    "status": _text_parser("status"),  # read per kind in assembly (a payment's or a tracking status)
    "at": parse_datetime,
    "note": _text_parser("note"),
}
# Order-level parsers that take the time zone too.
TZ_PARSERS = frozenset({parse_datetime, parse_day_or_datetime})
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
