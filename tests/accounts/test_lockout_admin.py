"""django-axes' records in the admin: deleting an access attempt unlocks its username at its
address, so the DCC helpdesk does not delete them; it lifts a lockout with an action that the
security log records (who, which username, which address, when). The login histories are not
the helpdesk's to delete either."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.models import SecurityEventKind as Kind
from accounts.services import AccountError, login_lockout_lift

from .admin_helpers import action
from .helpers import LOGIN, is_signed_in, password_step

pytestmark = pytest.mark.django_db

ATTEMPTS = "/admin/axes/accessattempt/"
LOGS = "/admin/axes/accesslog/"
FAILURES = "/admin/axes/accessfailurelog/"


@pytest.fixture
def browser():
    """The locked-out user's own browser, apart from the helpdesk's session."""
    return Client()


def fail(browser, times=5, *, address="203.0.113.9", agent="Firefox"):
    """Wrong passwords for gaining, from one address and browser: five lock it out there."""
    for _ in range(times):
        browser.post(
            LOGIN,
            {"username": "gaining", "password": "not-the-password"},
            REMOTE_ADDR=address,
            HTTP_USER_AGENT=agent,
        )


@pytest.fixture
def locked(browser, gaining_user, clock):
    """gaining locked out at 203.0.113.9; returns the attempt that holds the lock."""
    fail(browser)
    assert password_step(browser, "gaining", address="203.0.113.9").status_code == 429
    return AccessAttempt.objects.get(username="gaining", ip_address="203.0.113.9")


# --- No unlogged unlocking -----------------------------------------------------------------


def test_the_helpdesk_cannot_delete_a_lockout(helpdesk_admin_client, locked):
    response = helpdesk_admin_client.post(f"{ATTEMPTS}{locked.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert AccessAttempt.objects.filter(pk=locked.pk).exists()


def test_the_helpdesk_cannot_delete_lockouts_in_bulk(helpdesk_admin_client, locked):
    action(helpdesk_admin_client, ATTEMPTS, "delete_selected", [locked], post="yes")

    assert AccessAttempt.objects.filter(pk=locked.pk).exists()


def test_the_helpdesk_cannot_change_a_lockouts_failure_count(helpdesk_admin_client, locked):
    response = helpdesk_admin_client.post(
        f"{ATTEMPTS}{locked.pk}/change/", {"failures_since_start": "0"}
    )

    assert response.status_code == 403
    locked.refresh_from_db()
    assert locked.failures_since_start == 5


def test_the_helpdesk_reads_who_is_locked_out(helpdesk_admin_client, locked):
    page = helpdesk_admin_client.get(ATTEMPTS)

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [locked]


@pytest.mark.parametrize(
    ("url", "model"),
    [(LOGS, AccessLog), (FAILURES, AccessFailureLog)],
)
def test_the_helpdesk_cannot_delete_the_login_history(helpdesk_admin_client, url, model):
    record = model.objects.create(
        username="gaining", ip_address="203.0.113.9", user_agent="Firefox", path_info="/"
    )

    response = helpdesk_admin_client.post(f"{url}{record.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert model.objects.filter(pk=record.pk).exists()


def test_an_operators_deletion_of_a_failure_record_is_logged(client, operator):
    record = AccessFailureLog.objects.create(
        username="gaining", ip_address="203.0.113.9", user_agent="Firefox", path_info="/"
    )
    client.force_login(operator)

    client.post(f"{FAILURES}{record.pk}/delete/", {"post": "yes"})

    assert not AccessFailureLog.objects.exists()
    event = SecurityEvent.objects.get(kind=Kind.ADMIN_DELETED)
    assert event.actor == operator
    assert "user gaining" in event.detail and "from 203.0.113.9" in event.detail


# --- Lifting a lockout, logged -----------------------------------------------------------


def test_the_helpdesk_lifts_a_lockout_and_the_user_logs_in_again(
    helpdesk_admin_client, browser, locked
):
    action(helpdesk_admin_client, ATTEMPTS, "lift_lockouts", [locked])

    assert password_step(browser, "gaining", address="203.0.113.9").status_code == 302
    assert is_signed_in(browser)


def test_a_lifted_lockout_is_logged_with_who_which_username_address_and_when(
    helpdesk_admin_client, helpdesk_user, gaining_user, locked
):
    action(helpdesk_admin_client, ATTEMPTS, "lift_lockouts", [locked])

    event = SecurityEvent.objects.get(kind=Kind.LOCKOUT_LIFTED)
    assert (event.actor, event.username) == (helpdesk_user, "helpdesk")
    assert event.reference == f"user:{gaining_user.pk} gaining"
    assert event.actor_supplier == gaining_user.supplier
    assert event.detail == (
        "Lifted by the DCC helpdesk: 5 failed logins of gaining from 203.0.113.9 forgotten."
    )
    assert event.created_at == timezone.now()


def test_lifting_says_whose_lockout_was_lifted(helpdesk_admin_client, locked):
    response = action(helpdesk_admin_client, ATTEMPTS, "lift_lockouts", [locked])

    page = helpdesk_admin_client.get(response["Location"]).content.decode()
    assert "Failed logins forgotten, lockout lifted: gaining from 203.0.113.9." in page


def test_lifting_frees_the_address_whatever_browser_the_failures_came_from(
    helpdesk_admin_client, browser, gaining_user, clock
):
    # django-axes counts the failures of every browser of the pair: 3 + 2 lock it out.
    fail(browser, 3, agent="Firefox")
    fail(browser, 2, agent="Chrome")
    attempts = list(AccessAttempt.objects.filter(username="gaining"))
    assert len(attempts) == 2
    assert password_step(browser, "gaining", address="203.0.113.9").status_code == 429

    action(helpdesk_admin_client, ATTEMPTS, "lift_lockouts", attempts)

    assert not AccessAttempt.objects.exists()
    assert SecurityEvent.objects.filter(kind=Kind.LOCKOUT_LIFTED).count() == 1
    assert password_step(browser, "gaining", address="203.0.113.9").status_code == 302


def test_lifting_one_address_leaves_the_lockout_at_another(
    helpdesk_admin_client, browser, gaining_user, clock
):
    fail(browser, address="203.0.113.9")
    fail(browser, address="198.51.100.7")
    here = AccessAttempt.objects.get(ip_address="203.0.113.9")

    action(helpdesk_admin_client, ATTEMPTS, "lift_lockouts", [here])

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]
    assert password_step(browser, "gaining", address="198.51.100.7").status_code == 429


def test_lifting_a_lockout_already_gone_says_so(helpdesk_user, locked):
    login_lockout_lift(actor=helpdesk_user, attempt_id=locked.pk)

    with pytest.raises(AccountError, match="That lockout is no longer there"):
        login_lockout_lift(actor=helpdesk_user, attempt_id=locked.pk)


def test_a_supplier_administrator_cannot_lift_a_lockout(gaining_admin, locked):
    with pytest.raises(PermissionDenied):
        login_lockout_lift(actor=gaining_admin, attempt_id=locked.pk)

    assert AccessAttempt.objects.filter(pk=locked.pk).exists()


def test_an_operators_lifted_lockout_says_an_operator_lifted_it(operator, locked):
    login_lockout_lift(actor=operator, attempt_id=locked.pk)

    event = SecurityEvent.objects.get(kind=Kind.LOCKOUT_LIFTED)
    assert event.detail.startswith("Lifted by an operator: 5 failed logins of gaining")
