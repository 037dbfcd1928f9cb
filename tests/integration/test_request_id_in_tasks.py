"""A request's id reaches the log lines of the tasks it queued, run by a real Celery worker."""

import re

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.support.logs import portal_log
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_the_worker_logs_a_queued_email_under_the_id_of_the_request_that_queued_it(
    celery_worker, smtp_server, client, gaining_user, device
):
    client.force_login(gaining_user)
    with portal_log() as log:
        response = client.post(
            reverse("incidents:raise"),
            {"device_id": device.device_id},
            headers={"X-Request-ID": "raise-0042"},
        )
        assert response.status_code == 302
        smtp_server.wait_for_messages(2)
        wait_until(
            lambda: set(Notification.objects.values_list("status", flat=True)) == {"sent"},
            what="both notifications marked sent",
        )
        sent_lines = wait_until(
            lambda: (
                (
                    lines := [
                        line
                        for line in log.getvalue().splitlines()
                        if re.search(r"Notification \d+ sent", line)
                    ]
                )
                and len(lines) == 2
                and lines
            ),
            what="the worker's two 'sent' lines",
        )
    assert response["X-Request-ID"] == "raise-0042"
    assert all("[raise-0042] Notification" in line for line in sent_lines), sent_lines
