"""Money is integer fen; files and the command line speak yuan with two decimals."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext

# Beyond these an amount is an entry error, and the arithmetic itself would overflow or crawl
# (Decimal("1e999999999") * 100 raises decimal.Overflow): check the size before computing.
MAX_AMOUNT_TEXT = 40  # characters of an amount as written, after the currency marks
MAX_AMOUNT_EXPONENT = 15  # 10^15 yuan


class MoneyError(ValueError):
    pass


# No amount anywhere in this business comes near 10^8 yuan: beyond it a figure is a typo or an attack
# (and `1e999999999` would overflow the arithmetic), never money.
MAX_YUAN = 100_000_000
MAX_FEN = MAX_YUAN * 100


class AmountTooLarge(MoneyError):
    """An amount whose size alone makes it an error (shown as "too large" rather than "not an amount")."""


def yuan_to_fen(value: str | int | float | Decimal) -> int:
    """Parse a yuan amount ("12.5", "¥1,234.00", 3) into fen; more than 2 decimals is an error."""
    if isinstance(value, bool):
        raise MoneyError(f"not an amount: {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MoneyError(f"not an amount: {value!r}")
        value = repr(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    for prefix in ("¥", "￥", "RMB", "CNY"):
        if text.upper().startswith(prefix):
            text = text[len(prefix) :].strip()
    if text.endswith("元"):
        text = text[:-1].strip()
    if not text:
        raise MoneyError("empty amount")
    if len(text) > MAX_AMOUNT_TEXT:
        raise MoneyError(f"not an amount: {_short(text)}")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {_short(text)}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not an amount: {_short(text)}")
    if amount and amount.adjusted() > MAX_AMOUNT_EXPONENT:
        raise AmountTooLarge(f"amount too large: {_short(text)}")
    if amount and amount.adjusted() < -2:  # smaller than one fen, however it is written
        raise MoneyError(f"more than two decimals: {_short(text)}")
    # At most 40 digits within 10^15: exact in a 60-digit context, whatever the caller's context.
    with localcontext(Context(prec=60)):
        fen = amount * 100
        if fen != fen.to_integral_value():
            raise MoneyError(f"more than two decimals: {_short(text)}")
        return int(fen.to_integral_value(rounding=ROUND_HALF_UP))


def _short(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:21] + "...")


def fen_to_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def cash_fen(value: str | int | float | Decimal) -> int:
    """An amount a person types for cash or a till receipt: yuan, not negative, at most MAX_YUAN."""
    fen = yuan_to_fen(value)
    if fen < 0:
        raise MoneyError(f"negative: {value!r}")
    if fen > MAX_FEN:
        raise MoneyError(f"more than {MAX_YUAN} yuan: {value!r}")
    return fen
