"""Reads for pricing: what a customer pays for catalog products (the same rules as price_lines), and the
small reference tables every order reads (tier discounts, shipping rates), cached.

The reference cache lives in Django's default cache under one key, deleted whenever a row of either table
is saved or deleted (the app's ready() connects pricing_reference_changed). With a shared cache
(CACHE_URL, Redis: production) every process sees a change at the next order. With a per-process cache
(local memory: no CACHE_URL) another process may see it up to PRICING_REFERENCE_CACHE_SECONDS late, and
so may anyone after a bulk update() that sends no signal.
"""

import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.money import ZERO, percent_of, quantize_money
from crm.models import Customer
from inventory.models import Product
from pricing.models import CustomerPrice, ShippingRate, TierDiscount

REFERENCE_CACHE_KEY = "pricing:reference:1"


class PricingReference(NamedTuple):
    tier_percent: dict[str, Decimal]
    shipping_rates: dict[str, ShippingRate]


def pricing_reference() -> PricingReference:
    """Tier discounts by tier and shipping rates by region: no query while the cache holds them."""
    reference = cache.get(REFERENCE_CACHE_KEY)
    if reference is None:
        reference = PricingReference(
            dict(TierDiscount.objects.values_list("tier", "percent")),
            {rate.region: rate for rate in ShippingRate.objects.all()},
        )
        cache.set(REFERENCE_CACHE_KEY, reference, settings.PRICING_REFERENCE_CACHE_SECONDS)
    return reference


def pricing_reference_changed(**kwargs) -> None:
    """post_save/post_delete receiver: drop the cached tables now and again on commit.

    Now, so this transaction's next order sees the change; on commit, because a concurrent order may
    have cached the old rows in between.
    """
    cache.delete(REFERENCE_CACHE_KEY)
    transaction.on_commit(functools.partial(cache.delete, REFERENCE_CACHE_KEY))


def tier_discount_percent(*, tier: str) -> Decimal:
    return pricing_reference().tier_percent.get(tier, ZERO)


class CatalogPrice(NamedTuple):
    unit_price: Decimal
    discount_percent: Decimal
    net_unit_price: Decimal  # unit price less the discount, rounded as order lines round it


def product_prices_for_customer(
    *, customer: Customer, products: Iterable[Product]
) -> dict[int, CatalogPrice]:
    """Catalog price (before options) per product id for `customer`; one query (tiers are cached).

    A negotiated price replaces list price and tier discount (pricing.services.price_lines).
    """
    products = list(products)
    negotiated = dict(
        CustomerPrice.objects.filter(customer=customer, product__in=[p.pk for p in products]).values_list(
            "product_id", "price"
        )
    )
    tier_percent = tier_discount_percent(tier=customer.tier)
    prices: dict[int, CatalogPrice] = {}
    for product in products:
        if product.pk in negotiated:
            unit_price, discount = quantize_money(negotiated[product.pk]), ZERO
        else:
            unit_price, discount = quantize_money(product.list_price), tier_percent
        prices[product.pk] = CatalogPrice(unit_price, discount, unit_price - percent_of(unit_price, discount))
    return prices
