import pytest

from notifications.tasks import deliver_notification


class Published(list):
    """The notification ids whose delivery task was published, in order (tasks not run)."""


@pytest.fixture
def published(monkeypatch) -> Published:
    ids = Published()

    def apply_async(args=None, kwargs=None, **options):
        ids.extend(args)

    monkeypatch.setattr(deliver_notification, "apply_async", apply_async)
    return ids


@pytest.fixture
def no_backoff(settings):
    """Retries are due at once (the backoff base is 0 s), so a test can fail a row repeatedly."""
    settings.SSI_NOTIFICATION_RETRY_BASE_SECONDS = 0
