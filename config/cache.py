"""Django's Redis cache backend, tuned for a cache that must never take a request down.

- One redis client per connection pool: Django's RedisCacheClient builds a new `redis.Redis` around
  the shared pool for every cache operation, and each client sets up some 170 response callbacks —
  several times a request on the order intake path, more machine time than the round trip to Redis.
  The client holds no connection of its own (the pool lends one per command, and is safe across
  threads and after fork), so one client per pool behaves exactly the same.
- Fail open: the cache only holds what can be recomputed (the API throttle's counters, the pricing
  reference tables). In the documented stack it shares its Redis server with the Celery
  broker, and a broker outage must cost a request nothing (the outbox's promise), so a Redis error is
  logged and answered as a miss; the process then leaves the cache alone for
  CACHE_FAIL_OPEN_PAUSE_SECONDS instead of paying the socket timeout (CACHE_SOCKET_TIMEOUT_SECONDS)
  on every call. Meanwhile requests are not throttled and prices are read from the database; a
  deletion missed while Redis was hung leaves cached prices stale for at most their own timeout
  (PRICING_REFERENCE_CACHE_SECONDS).
"""

import functools
import logging
import time

from django.conf import settings
from django.core.cache.backends import redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_down_until = 0.0


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


def cache_down() -> bool:
    return time.monotonic() < _down_until


def cache_reset() -> None:
    """Use the cache again at once (tests; an operator's shell)."""
    global _down_until
    _down_until = 0.0


def _fail_open(miss):
    """Run the cache operation, or answer `miss(*args, **kwargs)` while Redis is unavailable."""

    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            global _down_until
            if cache_down():
                return miss(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                _down_until = time.monotonic() + float(settings.CACHE_FAIL_OPEN_PAUSE_SECONDS)
                logger.warning("cache unavailable, answering misses for a while: %s", exc)
                return miss(*args, **kwargs)

        return call

    return wrap


def _default(key, default=None, version=None):
    return default


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        timeout = float(settings.CACHE_SOCKET_TIMEOUT_SECONDS)
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = RedisCacheClient

    def count_hit(self, key, timeout, version=None) -> tuple[int, float]:
        """Count one hit under `key` in a window of `timeout` seconds that opens with its first hit.

        Returns (hits so far in the window, seconds until it closes), in one round trip: the counter is
        created with its expiry only when absent (SET NX EX), then incremented. Stored as a plain
        integer, which cache.get() reads back as one.
        """
        key = self.make_and_validate_key(key, version=version)
        client = self._cache.get_client(key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(key, 0, ex=max(1, int(timeout)), nx=True).incr(key).pttl(key)
        _created, hits, pttl = pipe.execute()
        return hits, (pttl / 1000 if pttl and pttl > 0 else float(timeout))

    count_hit = _fail_open(lambda *args, **kwargs: None)(count_hit)
    get = _fail_open(_default)(redis.RedisCache.get)
    get_many = _fail_open(lambda keys, version=None: {})(redis.RedisCache.get_many)
    has_key = _fail_open(lambda key, version=None: False)(redis.RedisCache.has_key)
    add = _fail_open(lambda *args, **kwargs: False)(redis.RedisCache.add)
    set = _fail_open(lambda *args, **kwargs: None)(redis.RedisCache.set)
    set_many = _fail_open(lambda *args, **kwargs: [])(redis.RedisCache.set_many)
    touch = _fail_open(lambda *args, **kwargs: False)(redis.RedisCache.touch)
    delete = _fail_open(lambda *args, **kwargs: False)(redis.RedisCache.delete)
    delete_many = _fail_open(lambda *args, **kwargs: None)(redis.RedisCache.delete_many)
