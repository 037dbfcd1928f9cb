"""The DCC helpdesk sees failed emails in the admin and sends them again."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from notifications.models import Notification
from tests.support.outbox import make_notification

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_notification_changelist")


@pytest.fixture
def helpdesk_client(client, helpdesk_user):
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_notification", "change_notification"])
    )
    client.force_login(helpdesk_user)
    return client


def retry(client, *rows):
    return client.post(
        CHANGELIST,
        {"action": "retry", "_selected_action": [r.pk for r in rows]},
        follow=True,
    )


def test_the_helpdesk_finds_failed_emails_with_their_error(helpdesk_client, installing_supplier):
    make_notification(
        status="failed",
        attempts=5,
        supplier=installing_supplier,
        last_error="SMTPDataError: (451, b'4.3.0 Try again later')",
    )

    html = helpdesk_client.get(CHANGELIST + "?status__exact=failed").content.decode()

    assert "installs@installing.example" in html
    assert "Installing Power" in html
    assert "SMTPDataError: (451" in html


def test_retrying_puts_failed_rows_back_and_publishes_them(
    helpdesk_client, published, django_capture_on_commit_callbacks
):
    failed = [make_notification(status="failed", attempts=5) for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(helpdesk_client, *failed)

    assert "2 notification(s) queued again." in response.content.decode()
    assert sorted(published) == sorted(r.pk for r in failed)
    assert set(Notification.objects.values_list("status", "attempts")) == {("pending", 0)}


def test_retrying_leaves_rows_that_did_not_fail_alone(
    helpdesk_client, published, django_capture_on_commit_callbacks
):
    failed = make_notification(status="failed", attempts=5)
    sent = make_notification(status="sent", attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(helpdesk_client, failed, sent)

    assert "1 notification(s) queued again. 1 not failed" in response.content.decode()
    assert published == [failed.pk]
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_a_helpdesk_user_who_may_only_view_cannot_retry(client, helpdesk_user, published):
    helpdesk_user.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(helpdesk_user)
    failed = make_notification(status="failed", attempts=5)

    retry(client, failed)

    failed.refresh_from_db()
    assert failed.status == "failed"
    assert published == []


def test_a_notification_page_offers_no_save_button_since_nothing_on_it_can_be_changed(
    helpdesk_client,
):
    row = make_notification(status=Notification.Status.FAILED)

    html = helpdesk_client.get(
        reverse("admin:notifications_notification_change", args=[row.pk])
    ).content.decode()

    assert 'name="_save"' not in html
    assert 'class="closelink"' in html
