"""kombu's Redis transport, sending each channel's commands through one Redis client.

kombu's Redis channel builds a new ``redis.Redis`` for every command it sends outside
consuming (``Channel.conn_or_acquire``: the LPUSH of each published task, a worker's
acknowledgements). Each is built on the channel's own connection pool, so no connection is
opened (Celery's producer pool, ``broker_pool_limit``, keeps the channel and its connection
from one publish to the next, in every thread), but redis-py fills a table of about 170
response callbacks for every client it builds (redis/redis-py#3624): a fifth of the CPU of
publishing a task. A client shares its pool between threads, so one a channel is enough; it
is built again when the channel replaces its pool (after a lost connection).

Used for ``redis://`` and ``rediss://`` brokers (:func:`broker_transport`, applied by
``ssi_portal/celery.py``); the messages and the keys are kombu's own.
"""

from contextlib import contextmanager
from urllib.parse import urlparse

from kombu.transport import redis as kombu_redis

TRANSPORT = "ssi_portal.lib.broker:Transport"


class Channel(kombu_redis.Channel):
    _one_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        one = self._one_client
        if one is None or one.connection_pool is not self.pool:
            one = self._one_client = self._create_client()
        yield one


class Transport(kombu_redis.Transport):
    Channel = Channel


def broker_transport(url) -> str | None:
    """The transport for the broker at ``url``: this module's for Redis, None (kombu's own,
    chosen by the URL's scheme) for any other."""
    first = url[0] if isinstance(url, list | tuple) and url else url
    if isinstance(first, str) and urlparse(first.split(";", 1)[0]).scheme in ("redis", "rediss"):
        return TRANSPORT
    return None
