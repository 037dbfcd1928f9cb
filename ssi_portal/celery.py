import os
from collections.abc import Iterator, Mapping
from functools import cached_property

from celery import Celery, signals

from ssi_portal.lib.broker import broker_transport
from ssi_portal.lib.logs import (
    request_id_get,
    request_id_new,
    request_id_reset,
    request_id_set,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssi_portal.settings.dev")


class DjangoCelerySettings(Mapping):
    """Django's ``CELERY_*`` settings, read into a dict when Celery first reads its own.

    Celery looks each setting up under all its names (``CELERY_TASK_ALWAYS_EAGER``,
    ``task_always_eager``, the old one) in every map of its configuration, and in Django's
    settings each name they lack costs an ``AttributeError`` (about 10 µs here); publishing a
    task reads seven settings, most of them Celery's defaults, and paid about 0.3 ms for it.
    Read once, as Celery reads a settings module: a test changes Celery's settings through
    ``app.conf``, not ``override_settings``.
    """

    @cached_property
    def _settings(self) -> dict:
        from django.conf import settings

        return {
            name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")
        }

    def __getitem__(self, key):
        return self._settings[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._settings)

    def __len__(self) -> int:
        return len(self._settings)


app = Celery("ssi_portal")
app.config_from_object(DjangoCelerySettings(), namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect(weak=False)
def _choose_broker_transport(sender=None, source=None, **kwargs):
    # A Redis broker is reached through the transport of ssi_portal/lib/broker.py (one Redis
    # client a channel) unless the settings name a transport; a test that points the app at
    # another broker chooses again (tests/support/worker.py).
    if source is not None and not source.broker_transport:
        source.broker_transport = broker_transport(source.broker_url)


# The request id travels in the task message's headers: a task's log lines carry the id of the
# web request (or task) that queued it; a task queued by beat, outside any, gets an id of its own.
REQUEST_ID_HEADER = "ssi_request_id"
# Task id -> the tokens that put the previous request id back; a stack, as an eager retry runs
# inside the run it retries, under the same task id.
_tokens: dict[str, list] = {}


@signals.celeryd_init.connect(weak=False)
def _prepare_nothing(**kwargs):
    from django.db import connections

    from ssi_portal.settings.database import workers_prepare_nothing

    workers_prepare_nothing(connections)


@signals.before_task_publish.connect(weak=False)
def _put_request_id_in_headers(sender=None, headers=None, **kwargs):
    if headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id_get() or request_id_new())


@signals.task_prerun.connect(weak=False)
def _take_request_id_from_headers(task_id=None, task=None, **kwargs):
    # Run eagerly (tests, the demo without a broker) a task has no message, and keeps the id
    # of the request it runs inside.
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) or request_id_get()
    _tokens.setdefault(task_id, []).append(request_id_set(request_id or request_id_new()))


@signals.task_postrun.connect(weak=False)
def _clear_request_id(task_id=None, **kwargs):
    stack = _tokens.get(task_id)
    if stack:
        request_id_reset(stack.pop())
        if not stack:
            del _tokens[task_id]
