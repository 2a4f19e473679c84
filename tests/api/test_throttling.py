"""The API throttle: a window counter per user, on the shared Redis cache as in production."""

import time

import pytest
from django.core.cache import cache, caches

from config.cache import cache_reset
from orders.tests.api.support import dealer
from restapi.throttling import TokenRateThrottle

URL = "/api/v1/orders/"


@pytest.fixture
def redis_cache(settings):
    """The production cache backend (config.cache.RedisCache) on the test Redis."""
    cache_reset()
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": settings.REDIS_URL}}
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()
    cache_reset()


@pytest.mark.redis
@pytest.mark.django_db
def test_on_redis_requests_beyond_the_rate_get_429_with_the_seconds_left_in_the_window(
    monkeypatch, redis_cache
):
    monkeypatch.setattr(TokenRateThrottle, "rate", "2/min", raising=False)
    _customer, _user, client = dealer()

    statuses = [client.get(URL).status_code for _ in range(2)]
    refused = client.get(URL)

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"


@pytest.mark.redis
@pytest.mark.django_db
def test_on_redis_the_throttle_keeps_a_count_not_a_history(monkeypatch, redis_cache):
    """Fails before issue #6 §5: DRF's throttle stored one timestamp per request, read and written whole."""
    monkeypatch.setattr(TokenRateThrottle, "rate", "100/min", raising=False)
    _customer, user, client = dealer()

    for _ in range(3):
        assert client.get(URL).status_code == 200

    assert redis_cache.get(f"throttle_token_u{user.pk}:w") == 3
    assert redis_cache.get(f"throttle_token_u{user.pk}") is None


@pytest.mark.redis
@pytest.mark.django_db
def test_on_redis_a_new_window_opens_when_the_last_one_closes(monkeypatch, redis_cache):
    monkeypatch.setattr(TokenRateThrottle, "rate", "1/s", raising=False)
    _customer, _user, client = dealer()

    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 429
    time.sleep(1.1)

    assert client.get(URL).status_code == 200


@pytest.mark.django_db
def test_with_a_local_memory_cache_the_same_window_applies(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "rate", "1/s", raising=False)
    cache.clear()
    _customer, _user, client = dealer()

    assert client.get(URL).status_code == 200
    refused = client.get(URL)
    time.sleep(1.1)
    again = client.get(URL)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert again.status_code == 200
    cache.clear()
