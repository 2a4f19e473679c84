"""The pricing reference cache (tier discounts, shipping rates) across processes sharing Redis."""

from decimal import Decimal

import pytest
from django.core.cache.backends.redis import RedisCache

from pricing.models import ShippingRate, TierDiscount
from pricing.selectors import REFERENCE_CACHE_KEY, pricing_reference, tier_discount_percent

PREFIX = "test-pricing-reference"


@pytest.fixture
def shared_cache(settings):
    """This process's cache and another process's client of the same Redis cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": PREFIX,
        }
    }
    other = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": PREFIX})
    other.delete(REFERENCE_CACHE_KEY)
    yield other
    other.delete(REFERENCE_CACHE_KEY)


@pytest.mark.redis
@pytest.mark.django_db
def test_a_tier_discount_saved_in_one_process_is_seen_by_the_next_order_in_another(
    shared_cache, django_capture_on_commit_callbacks
):
    discount = TierDiscount.objects.create(tier="gold", percent=Decimal("5.00"))
    assert tier_discount_percent(tier="gold") == Decimal("5.00")
    assert shared_cache.get(REFERENCE_CACHE_KEY).tier_percent == {"gold": Decimal("5.00")}

    with django_capture_on_commit_callbacks(execute=True):
        discount.percent = Decimal("8.00")
        discount.save()

    assert shared_cache.get(REFERENCE_CACHE_KEY) is None
    assert tier_discount_percent(tier="gold") == Decimal("8.00")


@pytest.mark.redis
@pytest.mark.django_db
def test_a_deleted_shipping_rate_leaves_the_shared_cache(shared_cache, django_capture_on_commit_callbacks):
    rate = ShippingRate.objects.create(region="Guangdong", base_fee=Decimal("10.00"))
    assert set(pricing_reference().shipping_rates) == {"Guangdong"}

    with django_capture_on_commit_callbacks(execute=True):
        rate.delete()

    assert shared_cache.get(REFERENCE_CACHE_KEY) is None
    assert pricing_reference().shipping_rates == {}
