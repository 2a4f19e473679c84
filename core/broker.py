"""kombu's redis transport with one synchronous client per channel (CELERY_BROKER_TRANSPORT for redis://).

kombu's redis channel builds a new `redis.Redis` for every command it sends outside its BRPOP loop
(`conn_or_acquire()` → `_create_client()`): each publish pays for a client whose constructor fills
~170 response callbacks, about a third of a publish's CPU. That client holds nothing of its own: it
borrows a connection from the channel's pool for each command and gives it back, so one client per
channel serves every caller (redis-py clients without `single_connection_client` are thread-safe;
pipelines and scripts stay per use, as before).

The client is made afresh whenever the channel's pool is: after `_disconnect_pools()` (channel
closed, process forked, failed PING) and whenever the pool is not the one the client was made on.
Timeouts, retries and errors are the pool's connections', unchanged (core/publishing.py relies on
them). The asynchronous clients (BRPOP, pub/sub) are kombu's own.

Only the plain `redis://` scheme is served with this transport (config/settings/base.py): `rediss://`
makes kombu switch on TLS from the scheme name, which an explicit transport would lose.
"""

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _sync_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        if client is None or client.connection_pool is not self._pool:
            client = self._sync_client = super()._create_client()
        return client

    def _disconnect_pools(self):
        self._sync_client = None
        super()._disconnect_pools()


class Transport(kombu_redis.Transport):
    Channel = Channel
