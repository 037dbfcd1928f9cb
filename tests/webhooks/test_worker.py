"""The outbox end to end: a committed answer, a real Celery worker on Redis, a real receiver
that fails once and then recovers; the retry comes from the sweep, as beat would run it."""

import time

import pytest
from django.db import transaction
from django.utils import timezone

from conftest import INSTALL_CODE_WITH_CRC
from incidents.services import incident_answer
from tests.support.fixtures import celery_worker  # noqa: F401 (fixture)
from tests.support.waiting import wait_until
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import webhooks_requeue
from webhooks.tasks import deliver_webhook

from .conftest import verified

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.get()


def test_a_real_worker_delivers_retries_and_never_sends_a_delivered_event_again(
    celery_worker,  # noqa: F811
    settings,
    incident,
    installing_user,
    raiser_hook,
    receiver,
):
    settings.SSI_WEBHOOK_RETRY_BASE_SECONDS = 1
    receiver.answers.append(500)

    with transaction.atomic():
        incident_answer(
            actor=installing_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC
        )

    failed = wait_until(
        lambda: (d := _delivery()).attempts == 1 and d.status == DeliveryStatus.PENDING and d,
        what="the first attempt recorded as failed",
    )
    assert failed.last_status_code == 500
    time.sleep(max(0.0, (failed.next_attempt_at - timezone.now()).total_seconds()) + 0.05)
    assert webhooks_requeue()["published"] == 1
    delivered = wait_until(
        lambda: (d := _delivery()).status == DeliveryStatus.DELIVERED and d,
        what="the retry delivered",
    )

    deliver_webhook.delay(delivered.pk)
    deliver_webhook.delay(delivered.pk)
    runs = celery_worker.tasks.wait_for(deliver_webhook.name, 4)
    assert sorted(result for _, result, _ in runs) == [
        "delivered",
        "nothing",
        "nothing",
        "retrying",
    ]
    assert [r.status for r in receiver.received] == [500, 200]
    assert {r.message_id for r in receiver.received} == {delivered.message_id}
    assert verified(receiver.received[-1], raiser_hook[1])["type"] == "request.answered"
