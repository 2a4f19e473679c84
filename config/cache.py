"""Django's Redis cache backend, keeping one redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` around the shared pool for every cache operation,
and each client sets up some 170 response callbacks: several times a request on the order intake path,
and more machine time than the round trip to Redis. The client holds no connection of its own (the pool
lends one per command, and is safe across threads and after fork), so one client per pool behaves
exactly the same.
"""

from django.core.cache.backends import redis


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


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
