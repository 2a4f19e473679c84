"""Reads for pricing: what a customer pays for catalog products (the same rules as price_lines)."""

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from core.money import ZERO, percent_of, quantize_money
from crm.models import Customer
from inventory.models import Product
from pricing.models import CustomerPrice, TierDiscount


class CatalogPrice(NamedTuple):
    unit_price: Decimal
    discount_percent: Decimal
    net_unit_price: Decimal  # unit price less the discount, rounded as order lines round it


def product_prices_for_customer(
    *, customer: Customer, products: Iterable[Product]
) -> dict[int, CatalogPrice]:
    """Catalog price (before options) per product id for `customer`; two queries.

    A negotiated price replaces list price and tier discount (pricing.services.price_lines).
    """
    products = list(products)
    negotiated = dict(
        CustomerPrice.objects.filter(customer=customer, product__in=[p.pk for p in products]).values_list(
            "product_id", "price"
        )
    )
    tier_percent = (
        TierDiscount.objects.filter(tier=customer.tier).values_list("percent", flat=True).first() or ZERO
    )
    prices: dict[int, CatalogPrice] = {}
    for product in products:
        if product.pk in negotiated:
            unit_price, discount = quantize_money(negotiated[product.pk]), ZERO
        else:
            unit_price, discount = quantize_money(product.list_price), tier_percent
        prices[product.pk] = CatalogPrice(unit_price, discount, unit_price - percent_of(unit_price, discount))
    return prices
