"""The broker's transport: kombu's Redis transport with one Redis client a channel."""

import pytest
from kombu import Connection

from conftest import REDIS_URL
from ssi_portal.lib.broker import TRANSPORT, broker_transport
from tests.support.worker import broker_pointed_at


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://cache.invalid:6380/1", "redis://a;redis://b"]
)
def test_a_redis_broker_is_reached_through_the_portals_transport(url):
    assert broker_transport(url) == TRANSPORT


@pytest.mark.parametrize("url", ["memory://", "filesystem://", "sentinel://127.0.0.1:26379", ""])
def test_any_other_broker_keeps_kombus_own_transport(url):
    assert broker_transport(url) is None


@pytest.mark.redis
def test_a_channel_sends_its_commands_through_one_client_until_its_pool_is_replaced():
    with Connection(REDIS_URL, transport=TRANSPORT) as connection:
        channel = connection.default_channel
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second
            assert first.connection_pool is channel.pool
        channel._disconnect_pools()
        with channel.conn_or_acquire() as after:
            assert after is not first
            assert after.connection_pool is channel.pool
        given = object()
        with channel.conn_or_acquire(given) as client:
            assert client is given


@pytest.mark.redis
def test_the_app_pointed_at_redis_publishes_through_the_portals_transport():
    from ssi_portal.celery import app
    from ssi_portal.lib.broker import Transport

    with broker_pointed_at(app, REDIS_URL), app.connection_for_write() as connection:
        assert isinstance(connection.transport, Transport)


def test_a_task_is_published_without_declaring_its_queue_on_redis_only(monkeypatch):
    from ssi_portal.celery import app
    from ssi_portal.lib.broker import TRANSPORT
    from ssi_portal.lib.publish import publish

    sent = []

    class Task:
        def __init__(self):
            self.app = app

        def apply_async(self, **options):
            sent.append(options["declare"])

    for transport in (TRANSPORT, "amqp"):
        monkeypatch.setitem(app.conf, "broker_transport", transport)
        assert publish(Task(), [7], what="request") == 1
    # On Redis the queue is named, not declared; another broker gets Celery's declaration.
    assert sent == [(), None]
