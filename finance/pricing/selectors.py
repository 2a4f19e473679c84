"""Reads for pricing: what a customer pays for catalog products (the same rules as price_lines)."""

from collections.abc import Iterable
from decimal import Decimal

from core.money import ZERO, quantize_money
from crm.models import Customer
from finance.pricing.models import CustomerPrice, TierDiscount
from inventory.models import Product


def product_prices_for_customer(*, customer: Customer,
                                products: Iterable[Product]) -> dict[int, tuple[Decimal, Decimal]]:
    """Unit price (before options) and discount % per product id for `customer`; two queries.

    A negotiated price replaces list price and tier discount (finance.pricing.services.price_lines).
    """
    products = list(products)
    negotiated = dict(CustomerPrice.objects.filter(customer=customer, product__in=[p.pk for p in products])
                      .values_list("product_id", "price"))
    tier_percent = (TierDiscount.objects.filter(tier=customer.tier).values_list("percent", flat=True).first()
                    or ZERO)
    prices: dict[int, tuple[Decimal, Decimal]] = {}
    for product in products:
        if product.pk in negotiated:
            prices[product.pk] = (quantize_money(negotiated[product.pk]), ZERO)
        else:
            prices[product.pk] = (quantize_money(product.list_price), tier_percent)
    return prices
