"""Every change made in the admin to users, Suppliers, contacts, Devices, registrations and
non-working days goes to the security log: who, what (the object, the fields, old → new where
not secret) and when. Suppliers' market data and contacts are an operator's to change."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import SecurityEvent, Supplier, SupplierContact, User
from accounts.models import SecurityEventKind as Kind
from incidents.models import NonWorkingDay
from inventory.models import Device
from tests.factories import DeviceFactory

from .admin_helpers import (
    DEVICES,
    NON_WORKING_DAYS,
    SUPPLIERS,
    USERS,
    action,
    change_url,
    form_data,
    inline_data,
)

pytestmark = pytest.mark.django_db


def supplier_posting(client, supplier, **changes):
    url = f"{SUPPLIERS}{supplier.pk}/change/"
    page = client.get(url)
    data = {**form_data(page), **inline_data(page), **changes}
    return client.post(url, data)


def only_event(kind) -> SecurityEvent:
    events = list(SecurityEvent.objects.filter(kind=kind))
    assert len(events) == 1, events
    return events[0]


def test_a_change_to_a_supplier_is_logged_with_who_what_and_when(
    helpdesk_admin_client, helpdesk_user, gaining_supplier
):
    before = timezone.now()

    response = supplier_posting(helpdesk_admin_client, gaining_supplier, name="Gaining Ltd")

    assert response.status_code == 302
    event = only_event(Kind.ADMIN_CHANGED)
    assert (event.actor, event.username) == (helpdesk_user, "helpdesk")
    assert event.reference == f"supplier:{gaining_supplier.pk} Gaining Ltd"
    assert event.detail == "Changed supplier 'Gaining Ltd': name 'Gaining Energy' → 'Gaining Ltd'."
    assert event.created_at >= before


def test_a_suppliers_new_mpid_set_by_an_operator_is_logged_old_and_new(
    operator_client, gaining_supplier
):
    supplier_posting(operator_client, gaining_supplier, mpid="GAIX")

    assert only_event(Kind.ADMIN_CHANGED).detail == (
        "Changed supplier 'Gaining Energy': MPID 'GAIN' → 'GAIX'."
    )


def test_a_saved_form_with_no_change_logs_nothing(helpdesk_admin_client, gaining_supplier):
    supplier_posting(helpdesk_admin_client, gaining_supplier)

    assert not SecurityEvent.objects.filter(kind=Kind.ADMIN_CHANGED).exists()


def test_a_supplier_added_in_the_admin_is_logged_with_its_fields(operator_client):
    operator_client.post(
        f"{SUPPLIERS}add/",
        {
            "name": "Newco Energy",
            "user_id": "90-b3-d5-1f-30-00-00-09",
            "mpid": "NEWC",
            "gas_short_code": "",
            "is_import_supplier": "on",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-email": "desk@newco.example",
        },
    )

    supplier = Supplier.objects.get(name="Newco Energy")
    event = only_event(Kind.ADMIN_ADDED)
    assert event.reference == f"supplier:{supplier.pk} Newco Energy"
    assert event.detail == (
        "Added supplier 'Newco Energy': name 'Newco Energy'; EUI-64 User ID "
        "'90-B3-D5-1F-30-00-00-09'; MPID 'NEWC'; Import Supplier (electricity) yes; "
        "supplier contact 'desk@newco.example' added."
    )


def test_a_contacts_new_address_is_logged_old_and_new(operator_client, gaining_supplier):
    contact = SupplierContact.objects.get(supplier=gaining_supplier)

    supplier_posting(
        operator_client, gaining_supplier, **{"contacts-0-email": "new@gaining.example"}
    )

    contact.refresh_from_db()
    assert contact.email == "new@gaining.example"
    assert only_event(Kind.ADMIN_CHANGED).detail == (
        "Changed supplier 'Gaining Energy': supplier contact 'new@gaining.example' changed: "
        "email 'desk@gaining.example' → 'new@gaining.example'."
    )


def test_a_contact_removed_through_the_supplier_is_logged(operator_client, gaining_supplier):
    supplier_posting(operator_client, gaining_supplier, **{"contacts-0-DELETE": "on"})

    assert not gaining_supplier.contacts.exists()
    assert only_event(Kind.ADMIN_CHANGED).detail == (
        "Changed supplier 'Gaining Energy': supplier contact 'desk@gaining.example' deleted."
    )


def test_a_devices_new_installing_supplier_is_logged(helpdesk_admin_client, device, other_supplier):
    url = f"{DEVICES}{device.pk}/change/"
    data = {**form_data(helpdesk_admin_client.get(url)), "installing_supplier": other_supplier.pk}

    helpdesk_admin_client.post(url, data)

    assert only_event(Kind.ADMIN_CHANGED).detail == (
        f"Changed device '{device}': installing supplier 'Installing Power' → 'Third Party Gas'."
    )


def test_a_device_deleted_in_the_admin_is_logged(helpdesk_admin_client, device):
    helpdesk_admin_client.post(f"{DEVICES}{device.pk}/delete/", {"post": "yes"})

    assert not Device.objects.filter(pk=device.pk).exists()
    event = only_event(Kind.ADMIN_DELETED)
    assert event.reference == f"device:{device.pk} {device}"
    assert event.detail == f"Deleted device '{device}'."


def test_devices_deleted_in_bulk_are_logged_one_by_one(helpdesk_admin_client, installing_supplier):
    devices = DeviceFactory.create_batch(3, installing_supplier=installing_supplier)

    action(helpdesk_admin_client, DEVICES, "delete_selected", devices, post="yes")

    assert not Device.objects.exists()
    logged = SecurityEvent.objects.filter(kind=Kind.ADMIN_DELETED)
    assert sorted(e.reference for e in logged) == sorted(f"device:{d.pk} {d}" for d in devices)


def test_a_failed_bulk_delete_logs_nothing(helpdesk_admin_client, incident, device):
    # The Device's incident protects it: nothing is deleted, and nothing is said to be.
    other = DeviceFactory(installing_supplier=device.installing_supplier)

    action(helpdesk_admin_client, DEVICES, "delete_selected", [device, other], post="yes")

    assert Device.objects.count() == 2
    assert not SecurityEvent.objects.filter(kind=Kind.ADMIN_DELETED).exists()


def test_a_users_name_corrected_by_the_helpdesk_is_logged(helpdesk_admin_client, gaining_user):
    data = {**form_data(helpdesk_admin_client.get(change_url(gaining_user))), "last_name": "Jones"}

    helpdesk_admin_client.post(change_url(gaining_user), data)

    event = only_event(Kind.ADMIN_CHANGED)
    assert event.reference == f"user:{gaining_user.pk} gaining"
    assert event.actor_supplier == gaining_user.supplier
    assert event.detail.startswith("Changed user 'gaining': last name '")
    assert event.detail.endswith("' → 'Jones'.")


def test_a_password_an_operator_sets_is_logged_without_the_password_or_hash(
    client, operator, gaining_user
):
    client.force_login(operator)
    password = "meter-lantern-orchard-41"

    client.post(
        f"{USERS}{gaining_user.pk}/password/",
        {"usable_password": "true", "password1": password, "password2": password},
    )

    gaining_user.refresh_from_db()
    event = only_event(Kind.ADMIN_CHANGED)
    assert event.actor == operator
    assert "password" in event.detail.lower()
    assert password not in event.detail and gaining_user.password not in event.detail


def test_a_user_an_operator_adds_is_logged_without_the_password(client, operator, gaining_supplier):
    client.force_login(operator)
    password = "meter-lantern-orchard-41"

    client.post(
        f"{USERS}add/",
        {
            "username": "newbie",
            "email": "newbie@gaining.example",
            "supplier": gaining_supplier.pk,
            "usable_password": "true",
            "password1": password,
            "password2": password,
        },
    )

    user = User.objects.get(username="newbie")
    event = only_event(Kind.ADMIN_ADDED)
    assert event.reference == f"user:{user.pk} newbie"
    assert "supplier 'Gaining Energy'" in event.detail
    assert "password set (not recorded)" in event.detail
    assert password not in event.detail and user.password not in event.detail


def test_a_role_an_operator_gives_is_logged_old_and_new(client, operator, gaining_user):
    client.force_login(operator)
    data = {**form_data(client.get(change_url(gaining_user))), "is_supplier_admin": "on"}

    client.post(change_url(gaining_user), data)

    assert only_event(Kind.ADMIN_CHANGED).detail == (
        "Changed user 'gaining': Supplier administrator no → yes."
    )


def test_a_non_working_day_added_is_logged(helpdesk_admin_client):
    helpdesk_admin_client.post(
        f"{NON_WORKING_DAYS}add/", {"date": "2026-12-29", "description": "Company closure"}
    )

    day = NonWorkingDay.objects.get()
    event = only_event(Kind.ADMIN_ADDED)
    assert event.reference == f"nonworkingday:{day.pk} {day}"
    assert "date '2026-12-29'" in event.detail and "'Company closure'" in event.detail


def test_a_non_working_day_deleted_is_logged(helpdesk_admin_client):
    day = NonWorkingDay.objects.create(date=dt.date(2026, 12, 29), description="Closure")

    helpdesk_admin_client.post(f"{NON_WORKING_DAYS}{day.pk}/delete/", {"post": "yes"})

    assert not NonWorkingDay.objects.exists()
    assert only_event(Kind.ADMIN_DELETED).detail == f"Deleted non working day '{day}'."


def test_the_helpdesk_reassignment_is_logged_once(helpdesk_admin_client, incident, other_supplier):
    helpdesk_admin_client.post(
        f"/admin/incidents/incident/{incident.pk}/reassign/",
        {"supplier": other_supplier.pk, "reason": "They installed it."},
    )

    assert SecurityEvent.objects.filter(kind=Kind.REASSIGNED).count() == 1
    assert not SecurityEvent.objects.filter(kind=Kind.ADMIN_CHANGED).exists()


def test_an_old_admin_address_of_a_user_or_supplier_leads_to_its_new_one(client):
    """Bookmarks made when users and Suppliers were the inventory's still lead somewhere."""
    response = client.get("/admin/inventory/user/5/change/?_changelist_filters=q%3Dx")
    assert response.status_code == 301
    assert response["Location"] == "/admin/accounts/user/5/change/?_changelist_filters=q%3Dx"
    response = client.get("/admin/inventory/supplier/")
    assert response["Location"] == "/admin/accounts/supplier/"
    # The Devices stay where they were.
    assert client.get("/admin/inventory/device/").status_code == 302  # to the login page


@pytest.mark.parametrize("url", ["/admin/auth/group/add/", "/admin/accounts/user/add/"])
def test_permissions_and_groups_are_plain_labelled_selects_for_an_operator(operator_client, url):
    """Django's two-box picker (SelectFilter2) puts aria-label on a plain <span>: the portal's
    group and user pages offer a labelled multiple select instead."""
    page = operator_client.get(url).content.decode()
    assert "selectfilter" not in page.lower()
    if "group" in url:
        assert '<label for="id_permissions"' in page
        assert 'name="permissions"' in page and "multiple" in page
