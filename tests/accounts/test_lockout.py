"""Login throttling: five failures of one username from one address lock that pair out for 15
minutes; the same username from another address is unaffected."""

import re

import pytest
from django.urls import reverse

from accounts.models import SecurityEvent, SecurityEventKind
from tests.test_html import assert_valid_page

from .helpers import code_for, code_step, enrolled, is_signed_in, password_step

pytestmark = pytest.mark.django_db

LOCKOUT = "Too many failed attempts for this account from your network."


def fail(client, times: int, *, username="gaining", address="10.0.0.1"):
    return [
        password_step(client, username, "not-the-password", address=address) for _ in range(times)
    ]


def test_four_failures_leave_the_right_password_working(client, gaining_user, clock):
    fail(client, 4)

    response = password_step(client, "gaining")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_the_fifth_failure_locks_and_says_until_when(client, gaining_user, clock):
    responses = fail(client, 5)

    assert [r.status_code for r in responses[:4]] == [200] * 4
    locked = responses[4]
    assert locked.status_code == 429
    html = locked.content.decode()
    # 09:00 UTC on 10 March 2026 is 09:00 in London (GMT); locked for 15 minutes.
    assert f"{LOCKOUT} Try again after 09:15 (UK time)." in html
    assert_valid_page(html)


def test_after_five_failures_the_right_password_is_refused(client, gaining_user, clock):
    fail(client, 5)
    clock.shift(60)

    response = password_step(client, "gaining")

    assert response.status_code == 429
    assert LOCKOUT in response.content.decode()
    assert not is_signed_in(client)


def test_the_same_username_from_another_address_still_logs_in(client, gaining_user, clock):
    fail(client, 5, address="203.0.113.9")

    response = password_step(client, "gaining", address="10.0.0.1")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_rival_cannot_lock_out_other_users(client, gaining_user, gaining_colleague, clock):
    fail(client, 5, username="gaining2")

    assert password_step(client, "gaining").status_code == 302


def test_after_fifteen_minutes_it_works_again(client, gaining_user, clock):
    fail(client, 5)
    clock.shift(15 * 60 + 1)

    response = password_step(client, "gaining")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_refused_attempt_does_not_extend_the_lock(client, gaining_user, clock):
    fail(client, 5)
    clock.shift(10 * 60)
    assert "after 09:15" in password_step(client, "gaining").content.decode()
    clock.shift(5 * 60 + 1)

    assert password_step(client, "gaining").status_code == 302


def test_a_success_resets_the_count(client, gaining_user, clock):
    fail(client, 4)
    password_step(client, "gaining")
    client.post(reverse("logout"))
    fail(client, 4)

    assert password_step(client, "gaining").status_code == 302


def test_wrong_codes_at_the_second_step_count_towards_the_lockout(client, gaining_user, clock):
    device, _ = enrolled(gaining_user)
    fail(client, 3)
    password_step(client, "gaining")
    wrong = f"{(int(code_for(device)) + 5) % 1_000_000:06d}"
    assert code_step(client, wrong).status_code == 400
    clock.shift(2)  # past django-otp's own throttle (1 s after one wrong code)

    response = code_step(client, wrong)

    assert response.status_code == 429
    assert LOCKOUT in response.content.decode()
    clock.shift(30)
    assert code_step(client, code_for(device)).status_code == 302  # step two is gone
    assert not is_signed_in(client)


def test_the_lockout_is_in_the_security_log(client, gaining_user, clock):
    fail(client, 5, address="203.0.113.9")
    password_step(client, "gaining", address="203.0.113.9")

    locked = SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT)
    assert locked.count() == 1
    event = locked.get()
    assert event.username == "gaining"
    assert event.actor_supplier_id == gaining_user.supplier_id
    assert event.ip_address == "203.0.113.9"
    failures = SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED)
    assert list(failures.order_by("id").values_list("detail", flat=True)) == [
        "Wrong username or password."
    ] * 5 + ["Refused: locked out after too many failed attempts."]


def test_the_lockout_message_shows_uk_summer_time(client, gaining_user):
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime(2026, 7, 1, 22, 50, tzinfo=dt.UTC), tick=False):
        html = fail(client, 5)[-1].content.decode()

    assert re.search(r"Try again after 00:05 \(UK time\)", html)


TOO_LONG = "g" * 300


def test_an_over_long_username_is_refused_saying_why(client, gaining_user, clock):
    response = password_step(client, TOO_LONG)

    assert response.status_code == 200
    html = response.content.decode()
    assert "A username has at most 150 characters; this one has 300." in html
    assert_valid_page(html)
    assert not is_signed_in(client)


def test_over_long_usernames_count_as_failures_towards_the_lockout(client, gaining_user, clock):
    statuses = [password_step(client, TOO_LONG, "not-the-password").status_code for _ in range(5)]

    assert statuses == [200] * 4 + [429]
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT).count() == 1
