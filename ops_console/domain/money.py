"""Money is integer fen; files and the command line speak yuan with two decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


class MoneyError(ValueError):
    pass


# No amount anywhere in this business comes near 10^8 yuan: beyond it a figure is a typo or an attack
# (and `1e999999999` would overflow the arithmetic), never money.
MAX_YUAN = 100_000_000
MAX_FEN = MAX_YUAN * 100


def yuan_to_fen(value: str | int | float | Decimal) -> int:
    """Parse a yuan amount ("12.5", "¥1,234.00", 3) into fen; more than 2 decimals is an error."""
    if isinstance(value, bool):
        raise MoneyError(f"not an amount: {value!r}")
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    for prefix in ("¥", "￥", "RMB", "CNY"):
        if text.upper().startswith(prefix):
            text = text[len(prefix) :].strip()
    if text.endswith("元"):
        text = text[:-1].strip()
    if not text:
        raise MoneyError("empty amount")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    if amount and amount.adjusted() > 15:  # checked before any arithmetic: 1e999999999 must not overflow
        raise MoneyError(f"too large: {value!r}")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise MoneyError(f"more than two decimals: {value!r}")
    return int(fen.to_integral_value(rounding=ROUND_HALF_UP))


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
