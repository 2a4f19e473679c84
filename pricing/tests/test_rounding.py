from decimal import Decimal

import pytest

from core.money import percent_of, quantize_money
from pricing.services import price_line_amounts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.345", "2.35"),
        ("2.344", "2.34"),
        ("-2.345", "-2.35"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        (0.1, "0.10"),
    ],
)
def test_money_rounds_half_up_to_the_cent(value, expected):
    assert quantize_money(value if isinstance(value, float) else Decimal(value)) == Decimal(expected)


def test_percent_of_rounds_once():
    assert percent_of(Decimal("33.33"), Decimal("7.5")) == Decimal("2.50")


def test_line_amounts_round_each_step_half_up():
    # 3 × 0.35 = 1.05; 15% discount = 0.1575 → 0.16; net 0.89; 13% tax = 0.1157 → 0.12
    discount, net, tax, total = price_line_amounts(
        unit_price=Decimal("0.35"), quantity=3, discount_percent=Decimal("15"), tax_rate=Decimal("0.13")
    )
    assert (discount, net, tax, total) == (Decimal("0.16"), Decimal("0.89"), Decimal("0.12"), Decimal("1.01"))


def test_half_cent_tax_rounds_up():
    # net 0.50 × 13% = 0.065 → 0.07 (half-up, not banker's 0.06)
    _d, _n, tax, _t = price_line_amounts(
        unit_price=Decimal("0.50"), quantity=1, discount_percent=Decimal("0"), tax_rate=Decimal("0.13")
    )
    assert tax == Decimal("0.07")
