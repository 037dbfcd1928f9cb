import pytest

from notifications.tasks import deliver_notification
from tests.support.worker import broker_pointed_at, published_tasks


class Published(list):
    """The notification ids whose delivery task was published, in order (tasks not run).

    Read from the broker itself: Celery sends to kombu's in-memory transport (``memory://``),
    and each look at the list takes the messages that reached the queue since the last one.
    A message that is not a delivery task of one notification fails the test.
    """

    def __init__(self, app):
        super().__init__()
        self._app = app

    def take(self) -> None:
        for task, args, kwargs in published_tasks(self._app):
            assert (task, len(args), kwargs) == (deliver_notification.name, 1, {}), (
                f"published {task}{tuple(args)} {kwargs}"
            )
            super().append(args[0])

    def __eq__(self, other):
        self.take()
        return super().__eq__(other)

    def __iter__(self):
        self.take()
        return super().__iter__()

    def __getitem__(self, index):
        self.take()
        return super().__getitem__(index)

    def __contains__(self, item):
        self.take()
        return super().__contains__(item)

    def __len__(self):
        self.take()
        return super().__len__()

    def __repr__(self):
        self.take()
        return super().__repr__()


@pytest.fixture
def published() -> Published:
    from ssi_portal.celery import app

    # Eager mode off: a task is published to the broker as in production, and nothing runs it.
    with broker_pointed_at(app, "memory://localhost/"):
        ids = Published(app)
        ids.take()  # what earlier tests may have left in the in-memory queue
        ids.clear()
        yield ids
        ids.take()


@pytest.fixture
def no_backoff(settings):
    """Retries are due at once (the backoff base is 0 s), so a test can fail a row repeatedly."""
    settings.SSI_NOTIFICATION_RETRY_BASE_SECONDS = 0
