"""Start-up checks of pricing's settings: a tax rate out of range would fail every order at the database."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_default_tax_rate(app_configs=None, **kwargs) -> list[Error]:
    """DEFAULT_TAX_RATE is a fraction (0.13 is 13 %): orders_orderline_tax_rate_0_1 refuses anything else."""
    try:
        rate = Decimal(str(settings.DEFAULT_TAX_RATE))
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or not Decimal("0") <= rate <= Decimal("1"):
        return [
            Error(
                f"DEFAULT_TAX_RATE is {settings.DEFAULT_TAX_RATE!r}; it must be a fraction from 0 to 1 "
                "(0.13 for 13 %).",
                id="pricing.E001",
            )
        ]
    return []
