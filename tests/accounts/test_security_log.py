"""The append-only security log: what it records, that nothing changes it, and the helpdesk's
view of it in the admin."""

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from accounts.audit import client_ip
from accounts.models import AppendOnlyError, SecurityEvent, SecurityEventKind
from accounts.services import (
    mfa_backup_codes_regenerate,
    mfa_remove,
    security_event_record,
    user_deactivate,
    user_invite,
    user_reactivate,
    user_roles_change,
)

from .helpers import code_for, code_step, enrolled, password_step

pytestmark = pytest.mark.django_db

Kind = SecurityEventKind


def events(kind) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("id"))


# --- What is recorded ---------------------------------------------------------------------


def test_a_login_is_recorded_with_the_address_and_the_factors(client, gaining_user, clock):
    device, _ = enrolled(gaining_user)
    clock.shift(30)
    password_step(client, "gaining", address="198.51.100.7")
    code_step(client, code_for(device), address="198.51.100.7")

    (event,) = events(Kind.LOGIN)
    assert event.actor == gaining_user
    assert event.actor_supplier == gaining_user.supplier
    assert event.username == "gaining"
    assert event.ip_address == "198.51.100.7"
    assert event.detail == "Password and authenticator code."


def test_a_failed_login_is_recorded_with_the_username_typed(client, gaining_user):
    password_step(client, "gaining", "wrong", address="198.51.100.7")
    password_step(client, "nobody-here", "wrong")

    first, second = events(Kind.LOGIN_FAILED)
    assert (first.actor, first.username, first.ip_address) == (None, "gaining", "198.51.100.7")
    assert first.actor_supplier == gaining_user.supplier
    assert (second.username, second.actor_supplier) == ("nobody-here", None)
    assert "wrong" not in first.detail.lower().replace("wrong username or password", "")


def test_a_logout_is_recorded(client, gaining_user):
    password_step(client, "gaining")
    client.post(reverse("logout"))

    (event,) = events(Kind.LOGOUT)
    assert event.actor == gaining_user


def test_two_factor_changes_are_recorded_without_any_code(gaining_user, clock):
    device, codes = enrolled(gaining_user)
    clock.shift(30)
    new_codes = mfa_backup_codes_regenerate(actor=gaining_user, token=code_for(device))
    mfa_remove(actor=gaining_user, token=new_codes[0])

    kinds = list(
        SecurityEvent.objects.filter(actor=gaining_user)
        .order_by("id")
        .values_list("kind", "detail")
    )
    assert [kind for kind, _ in kinds] == [
        Kind.MFA_ENROLLED,
        Kind.BACKUP_CODES_REGENERATED,
        Kind.MFA_DISABLED,
    ]
    details = " ".join(detail for _, detail in kinds)
    assert not any(code in details for code in [*codes, *new_codes])


def test_user_management_is_recorded_with_the_user_concerned(gaining_admin, gaining_user):
    invited = user_invite(actor=gaining_admin, username="newbie", email="newbie@gaining.example")
    user_roles_change(
        actor=gaining_admin,
        user_id=gaining_user.pk,
        can_raise=False,
        can_answer=True,
        is_supplier_admin=False,
    )
    user_deactivate(actor=gaining_admin, user_id=gaining_user.pk)
    user_reactivate(actor=gaining_admin, user_id=gaining_user.pk)

    rows = SecurityEvent.objects.filter(actor=gaining_admin).order_by("id")
    assert [(e.kind, e.reference) for e in rows] == [
        (Kind.USER_INVITED, f"user:{invited.pk} newbie"),
        (Kind.ROLES_CHANGED, f"user:{gaining_user.pk} gaining"),
        (Kind.USER_DEACTIVATED, f"user:{gaining_user.pk} gaining"),
        (Kind.USER_REACTIVATED, f"user:{gaining_user.pk} gaining"),
    ]
    assert rows[1].detail == "Roles were: may raise, may answer; now: may answer."


@pytest.mark.parametrize("kind", [Kind.CODE_REVEALED, Kind.REASSIGNED, Kind.EXPORT])
def test_the_incident_side_records_with_one_call(kind, gaining_user):
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.10")

    event = security_event_record(
        kind=kind, actor=gaining_user, request=request, reference="INC0000042"
    )

    assert (event.kind, event.reference, event.ip_address) == (kind, "INC0000042", "192.0.2.10")
    assert event.actor_supplier_id == gaining_user.supplier_id


# --- Append-only --------------------------------------------------------------------------


@pytest.fixture
def event(gaining_user):
    return security_event_record(kind=Kind.LOGIN, actor=gaining_user, detail="Password.")


def test_a_recorded_event_cannot_be_saved_again(event):
    event.detail = "Nothing happened."

    with pytest.raises(AppendOnlyError):
        event.save()


def test_a_recorded_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.all().delete()


def test_the_log_cannot_be_updated_in_bulk(event):
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=event.pk).update(detail="Nothing happened.")


@pytest.mark.postgres("trigger")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE inventory_securityevent SET detail = 'Nothing happened.' WHERE id = %s",
        "DELETE FROM inventory_securityevent WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])

    assert SecurityEvent.objects.get(pk=event.pk).detail == "Password."


def test_deleting_a_user_with_a_history_is_refused(event, gaining_user):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        gaining_user.delete()


# --- The client's address -----------------------------------------------------------------


def _request(peer: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)


def test_without_trusted_proxies_the_address_is_the_peers(settings):
    settings.SSI_TRUSTED_PROXIES = []

    assert client_ip(_request("192.0.2.1", "203.0.113.5")) == "192.0.2.1"


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(settings):
    settings.SSI_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_ip(_request("192.0.2.1", "198.51.100.1")) == "192.0.2.1"


def test_behind_a_trusted_proxy_the_address_is_the_one_it_appended(settings):
    settings.SSI_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client wrote the first entry itself; the proxy appended the second.
    request = _request("10.0.0.2", "203.0.113.5, 198.51.100.20")

    assert client_ip(request) == "198.51.100.20"


def test_behind_two_trusted_proxies_the_address_is_the_first_untrusted_from_the_right(settings):
    settings.SSI_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.7"]
    request = _request("10.0.0.2", "203.0.113.5, 198.51.100.20, 192.0.2.7")

    assert client_ip(request) == "198.51.100.20"


def test_a_trusted_proxy_without_the_header_is_the_client(settings):
    settings.SSI_TRUSTED_PROXIES = ["127.0.0.1"]

    assert client_ip(_request("127.0.0.1")) == "127.0.0.1"


def test_a_malformed_forwarded_address_stops_at_the_proxy_that_passed_it(settings):
    settings.SSI_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_ip(_request("10.0.0.2", "198.51.100.1, nonsense")) == "10.0.0.2"


def test_an_ipv4_peer_written_in_ipv6_is_matched_as_ipv4(settings):
    settings.SSI_TRUSTED_PROXIES = ["127.0.0.1"]

    assert client_ip(_request("::ffff:127.0.0.1", "198.51.100.1")) == "198.51.100.1"


# --- The helpdesk's view ------------------------------------------------------------------

CHANGELIST = "/admin/accounts/securityevent/"


@pytest.fixture
def helpdesk_client(client, helpdesk_user):
    client.force_login(helpdesk_user)
    return client


def test_the_helpdesk_reads_the_log_with_filters_and_search(
    helpdesk_client, gaining_user, other_supplier_user, event
):
    security_event_record(kind=Kind.EXPORT, actor=other_supplier_user, reference="INC0000077")

    everything = helpdesk_client.get(CHANGELIST)
    by_kind = helpdesk_client.get(CHANGELIST + "?kind__exact=export").content.decode()
    by_supplier = helpdesk_client.get(
        CHANGELIST + f"?actor_supplier__id__exact={gaining_user.supplier_id}"
    ).content.decode()
    by_reference = helpdesk_client.get(CHANGELIST + "?q=INC0000077").content.decode()
    this_year = helpdesk_client.get(CHANGELIST + f"?created_at__year={event.created_at.year}")
    long_ago = helpdesk_client.get(CHANGELIST + "?created_at__year=2000").content.decode()

    assert everything.status_code == 200
    assert "INC0000077" in this_year.content.decode() and "INC0000077" not in long_ago
    assert "INC0000077" in by_kind and ">gaining<" not in by_kind
    assert ">gaining<" in by_supplier and "INC0000077" not in by_supplier
    assert "INC0000077" in by_reference


def test_nobody_adds_changes_or_deletes_in_the_admin(client, event, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@dcc.example", "x" * 16)
    client.force_login(root)

    assert client.get(CHANGELIST + "add/").status_code == 403
    assert client.get(CHANGELIST + f"{event.pk}/delete/").status_code == 403
    page = client.get(CHANGELIST + f"{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(CHANGELIST + f"{event.pk}/change/", {"detail": "x"}).status_code == 403


def test_a_supplier_user_never_sees_the_log(client, gaining_user):
    gaining_user.user_permissions.add(*Permission.objects.filter(codename="view_securityevent"))
    client.force_login(gaining_user)

    assert client.get(CHANGELIST).status_code == 302
