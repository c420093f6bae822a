"""Amounts as providers speak them: whole grosze, never floats."""

import re
from decimal import Decimal

CENT = Decimal("0.01")
_WHOLE_NUMBER = re.compile(r"[0-9]+")


def to_grosze(amount: Decimal) -> int:
    """123.45 zł → 12345; refuses fractions of a grosz rather than rounding them away."""
    if amount != amount.quantize(CENT):
        raise ValueError(f"{amount} has fractions of a grosz")
    return int(amount * 100)


def from_grosze(value: int | str) -> Decimal:
    """12345 or "12345" → Decimal("123.45"); anything else is not an amount."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not an amount in grosze: {value!r}")
    if isinstance(value, str) and not _WHOLE_NUMBER.fullmatch(value):
        raise ValueError(f"not an amount in grosze: {value!r}")
    if isinstance(value, int) and value < 0:
        raise ValueError(f"not an amount in grosze: {value!r}")
    return Decimal(value).scaleb(-2)
