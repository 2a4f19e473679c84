"""Money is Decimal, rounded explicitly: half-up to the cent, once per computed amount."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # floats are never money; go through str so 0.1 stays 0.1
        return Decimal(str(value))
    return Decimal(value)


def quantize_money(value) -> Decimal:
    """Round to 0.01 with ROUND_HALF_UP (2.345 -> 2.35, -2.345 -> -2.35)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount, percent) -> Decimal:
    """`percent`% of `amount`, rounded to the cent."""
    return quantize_money(to_decimal(amount) * to_decimal(percent) / Decimal(100))
