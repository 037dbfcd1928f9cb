"""How many task messages wait in the Celery queue, when the broker is Redis."""

import logging

import redis

logger = logging.getLogger(__name__)

# A scrape must answer fast: one try, one second.
REDIS_TIMEOUT = 1.0


def celery_queue_length() -> tuple[str, int] | None:
    """``(queue name, length)`` of the default queue: the length of its Redis list (kombu's
    Redis transport keeps a queue as a list of that name, under the broker's key prefix). None
    when the broker is not Redis or does not answer (logged by the error's class only: a
    broker's error can hold its URL)."""
    from ssi_portal.celery import app

    url = app.conf.broker_url or ""
    if app.conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return None
    queue = app.conf.task_default_queue
    prefix = (app.conf.broker_transport_options or {}).get("global_keyprefix", "")
    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    try:
        return queue, int(client.llen(f"{prefix}{queue}"))
    except redis.RedisError as exc:
        logger.warning("The Celery queue's length could not be read: %s", type(exc).__name__)
        return None
    finally:
        client.close()
