"""Publishing a Celery task once the transaction commits, leaving the work to a sweep when the
broker is down.

The one recipe of the outbox and of bulk uploads: the row that says what is to be done is
committed first, then its task is published; a broker that cannot be reached must not turn a
committed change into an error page, so the row stays as it is (pending, queued) and the
periodic sweep of its app publishes it again. At-least-once: a task published twice finds the
row claimed and does nothing.
"""

import logging
from collections.abc import Mapping, Sequence
from functools import partial

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

_logger = logging.getLogger(__name__)
_NOTHING = ()


def _on_redis(app) -> bool:
    """Whether ``app`` publishes through the portal's Redis transport (``lib/broker.py``)."""
    from ssi_portal.lib.broker import TRANSPORT

    return app.conf.broker_transport == TRANSPORT


def publish_after_commit(
    task,
    ids: Sequence[int],
    *,
    what: str,
    kwargs: Mapping | None = None,
    logger: logging.Logger | None = None,
) -> None:
    """Publish ``task(id, **kwargs)`` for each id once the transaction commits (at once
    outside one). ``what`` names what an id identifies (``"notification"``) for the log;
    ``logger`` is the caller's, so that the warning comes from the app whose sweep picks the
    work up. See :func:`publish`."""
    if ids:
        callback = partial(
            publish, task, list(ids), what=what, kwargs=dict(kwargs or {}), logger=logger
        )
        # ``robust``: nothing that goes wrong while publishing may undo the page's answer.
        transaction.on_commit(callback, robust=True)


def publish(
    task,
    ids: Sequence[int],
    *,
    what: str,
    kwargs: Mapping | None = None,
    logger: logging.Logger | None = None,
) -> int:
    """Publish a task per id; return how many were published.

    Stops at the first broker failure: the settings bound one publish to about a second
    (``CELERY_TASK_PUBLISH_RETRY_POLICY``), so a batch of thousands costs one failed publish,
    and the ids left are the sweep's to publish.
    """
    log = logger or _logger
    kwargs = dict(kwargs or {})
    kwargsrepr = repr(kwargs)
    for published, item in enumerate(ids):
        try:
            task.apply_async(
                args=[item],
                kwargs=dict(kwargs),
                # Ids and flags only: their repr is the monitoring's text, without the
                # truncating repr Celery would make (and the settings it reads for it).
                argsrepr=f"[{item!r}]",
                kwargsrepr=kwargsrepr,
                # Celery would declare the task's queue before each message (a copy of the
                # queue and its exchange bound to the channel, to find it declared): on Redis
                # it is sent to the queue by name through the default exchange, which needs
                # no binding, and a worker declares the queue it consumes. Another broker may
                # drop a message for a queue no one has declared yet: Celery declares it.
                declare=_NOTHING if _on_redis(task.app) else None,
            )
        except (BrokerError, OSError) as exc:
            if len(ids) == 1:
                left = f"{what} {item}"
            else:
                left = f"{len(ids) - published} of {len(ids)} {what}(s)"
            log.warning(
                "Broker unreachable (%s): %s left pending for the sweep.", type(exc).__name__, left
            )
            return published
        except Exception:
            # Only in eager mode (no broker) can the task's own error surface here.
            log.exception("%s %s: its task raised", what.capitalize(), item)
    return len(ids)
