"""A Supplier's contact addresses and market data are not the DCC helpdesk's to choose: the
first administrator's invitation (a link to choose a password) goes to a registered address, so
an address the helpdesk could set would let it make itself that Supplier's administrator. The
helpdesk reads Suppliers, corrects a name and invites; operators add, delete and set the rest."""

import json

import pytest

from accounts.models import SecurityEvent, Supplier, SupplierContact, User
from accounts.models import SecurityEventKind as Kind
from notifications.models import Notification
from tests.factories import HelpdeskUserFactory, SupplierFactory

from .admin_helpers import SUPPLIERS, USERS, action, form_data, inline_data, invite_url

pytestmark = pytest.mark.django_db

# An address the helpdesk reads (not one a user of the portal has already).
HIJACKER = "takeover@dcc.example"
NEW_SUPPLIER = {
    "name": "Newco Energy",
    "user_id": "90-b3-d5-1f-30-00-00-09",
    "mpid": "NEWC",
    "gas_short_code": "",
    "is_import_supplier": "on",
    "contacts-TOTAL_FORMS": "1",
    "contacts-INITIAL_FORMS": "0",
    "contacts-0-email": HIJACKER,
}


def supplier_url(supplier) -> str:
    return f"{SUPPLIERS}{supplier.pk}/change/"


def supplier_posting(client, supplier, **changes):
    """Post the Supplier's page as shown, contacts included, with ``changes`` added."""
    page = client.get(supplier_url(supplier))
    data = {**form_data(page), **inline_data(page), **changes}
    return client.post(supplier_url(supplier), data)


def contacts_of(supplier) -> list[str]:
    return list(supplier.contacts.order_by("email").values_list("email", flat=True))


# --- The contact-address takeover, step by step --------------------------------------------


def test_the_helpdesk_cannot_redirect_a_suppliers_contact_address(
    helpdesk_admin_client, gaining_supplier
):
    supplier_posting(helpdesk_admin_client, gaining_supplier, **{"contacts-0-email": HIJACKER})

    assert contacts_of(gaining_supplier) == ["desk@gaining.example"]


def test_the_helpdesk_cannot_add_a_contact_address_to_a_supplier(
    helpdesk_admin_client, gaining_supplier
):
    data = {
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "1",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-id": gaining_supplier.contacts.get().pk,
        "contacts-0-supplier": gaining_supplier.pk,
        "contacts-0-email": "desk@gaining.example",
        "contacts-1-supplier": gaining_supplier.pk,
        "contacts-1-email": HIJACKER,
    }
    page = helpdesk_admin_client.get(supplier_url(gaining_supplier))

    helpdesk_admin_client.post(supplier_url(gaining_supplier), {**form_data(page), **data})

    assert contacts_of(gaining_supplier) == ["desk@gaining.example"]


def test_the_helpdesk_cannot_remove_a_suppliers_contact_address(
    helpdesk_admin_client, gaining_supplier
):
    supplier_posting(helpdesk_admin_client, gaining_supplier, **{"contacts-0-DELETE": "on"})

    assert contacts_of(gaining_supplier) == ["desk@gaining.example"]


def test_a_helpdesk_user_made_superuser_still_cannot_redirect_a_contact_address(
    client, gaining_supplier
):
    # The rule is the helpdesk role's: a superuser flag given to it does not lift it.
    client.force_login(HelpdeskUserFactory(username="powerful", is_superuser=True))

    supplier_posting(client, gaining_supplier, **{"contacts-0-email": HIJACKER})

    assert contacts_of(gaining_supplier) == ["desk@gaining.example"]


def test_the_helpdesk_cannot_take_over_a_supplier_through_its_contact_address(
    helpdesk_admin_client,
    gaining_admin,
    gaining_supplier,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    # Deactivate the last administrator, point the contact address at oneself, invite there.
    action(helpdesk_admin_client, USERS, "deactivate_users", [gaining_admin])
    supplier_posting(helpdesk_admin_client, gaining_supplier, **{"contacts-0-email": HIJACKER})

    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk_admin_client.post(
            invite_url(gaining_supplier),
            {"username": "takeover", "first_name": "T", "last_name": "O", "email": HIJACKER},
        )

    assert response.status_code == 400
    assert not User.objects.filter(username="takeover").exists()
    assert all(HIJACKER not in message.to for message in mailoutbox)


def test_the_supplier_page_shows_the_helpdesk_the_registered_addresses(
    helpdesk_admin_client, installing_supplier
):
    page = helpdesk_admin_client.get(supplier_url(installing_supplier)).content.decode()

    assert "installs@installing.example" in page and "ops@installing.example" in page
    assert 'name="contacts-0-email"' not in page


# --- Adding and deleting Suppliers ---------------------------------------------------------


def test_the_helpdesk_cannot_add_a_supplier_with_contacts_of_its_choosing(helpdesk_admin_client):
    response = helpdesk_admin_client.post(f"{SUPPLIERS}add/", NEW_SUPPLIER)

    assert response.status_code == 403
    assert not Supplier.objects.filter(name="Newco Energy").exists()
    assert not SupplierContact.objects.filter(email=HIJACKER).exists()


def test_the_supplier_list_offers_the_helpdesk_no_add_button(helpdesk_admin_client):
    page = helpdesk_admin_client.get(SUPPLIERS).content.decode()

    assert f"{SUPPLIERS}add/" not in page


def test_the_helpdesk_cannot_delete_a_supplier(helpdesk_admin_client):
    supplier = SupplierFactory(name="Quiet Energy")

    response = helpdesk_admin_client.post(f"{SUPPLIERS}{supplier.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Supplier.objects.filter(pk=supplier.pk).exists()


def test_the_helpdesk_cannot_delete_suppliers_in_bulk(helpdesk_admin_client):
    supplier = SupplierFactory(name="Quiet Energy")

    action(helpdesk_admin_client, SUPPLIERS, "delete_selected", [supplier], post="yes")

    assert Supplier.objects.filter(pk=supplier.pk).exists()


# --- Market data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "posted", "unchanged"),
    [
        ("mpid", "GAIX", "GAIN"),
        ("gas_short_code", "GGG", ""),
        ("user_id", "90-B3-D5-1F-30-00-00-99", None),
        ("is_import_supplier", "", True),
        ("is_gas_supplier", "", True),
    ],
)
def test_the_helpdesk_cannot_change_a_suppliers_market_data(
    helpdesk_admin_client, gaining_supplier, field, posted, unchanged
):
    before = getattr(gaining_supplier, field) if unchanged is None else unchanged
    page = helpdesk_admin_client.get(supplier_url(gaining_supplier))
    data = {**form_data(page), **inline_data(page)}
    # The values an edit would post (an unticked box is not sent at all).
    for name in ("mpid", "gas_short_code", "user_id"):
        data.setdefault(name, getattr(gaining_supplier, name))
    data.pop(field, None)
    if posted:
        data[field] = posted

    helpdesk_admin_client.post(supplier_url(gaining_supplier), data)

    gaining_supplier.refresh_from_db()
    assert getattr(gaining_supplier, field) == before


def test_the_helpdesk_edits_only_a_suppliers_name(helpdesk_admin_client, gaining_supplier):
    response = helpdesk_admin_client.get(supplier_url(gaining_supplier))

    assert set(response.context["adminform"].form.fields) == {"name"}


def test_the_helpdesk_may_correct_a_suppliers_name(helpdesk_admin_client, gaining_supplier):
    response = supplier_posting(helpdesk_admin_client, gaining_supplier, name="Gaining Energy Ltd")

    assert response.status_code == 302
    gaining_supplier.refresh_from_db()
    assert gaining_supplier.name == "Gaining Energy Ltd"


# --- Operators ---------------------------------------------------------------------------


def test_an_operator_adds_a_supplier_with_its_contact_address(operator_client):
    response = operator_client.post(
        f"{SUPPLIERS}add/", {**NEW_SUPPLIER, "contacts-0-email": "desk@newco.example"}
    )

    assert response.status_code == 302
    supplier = Supplier.objects.get(name="Newco Energy")
    assert (supplier.mpid, contacts_of(supplier)) == ("NEWC", ["desk@newco.example"])


def test_an_operator_changes_a_suppliers_contact_address(operator_client, gaining_supplier):
    supplier_posting(
        operator_client, gaining_supplier, **{"contacts-0-email": "new@gaining.example"}
    )

    assert contacts_of(gaining_supplier) == ["new@gaining.example"]


def test_an_operator_adds_a_contact_address_on_the_suppliers_page(
    operator_client, gaining_supplier
):
    # The page offers one empty row after the existing address.
    supplier_posting(
        operator_client, gaining_supplier, **{"contacts-1-email": "two@gaining.example"}
    )

    assert contacts_of(gaining_supplier) == ["desk@gaining.example", "two@gaining.example"]


def test_an_operator_changes_a_suppliers_mpid(operator_client, gaining_supplier):
    supplier_posting(operator_client, gaining_supplier, mpid="GAIX")

    gaining_supplier.refresh_from_db()
    assert gaining_supplier.mpid == "GAIX"


def test_an_operator_deletes_a_supplier_and_it_is_logged(operator_client, operator):
    supplier = SupplierFactory(name="Quiet Energy")

    operator_client.post(f"{SUPPLIERS}{supplier.pk}/delete/", {"post": "yes"})

    assert not Supplier.objects.filter(pk=supplier.pk).exists()
    event = SecurityEvent.objects.get(kind=Kind.ADMIN_DELETED)
    assert (event.actor, event.detail) == (operator, "Deleted supplier 'Quiet Energy'.")


# --- Where else an invitation could be sent ------------------------------------------------


def test_the_helpdesk_cannot_readdress_an_invitation_in_the_outbox(
    helpdesk_admin_client, gaining_supplier
):
    invitation = Notification.objects.create(
        source="security-event:1",
        template="account_invited",
        recipient="desk@gaining.example",
        audience=gaining_supplier.audience,
        context={"user_id": 1, "email": "desk@gaining.example"},
        status=Notification.Status.FAILED,
    )

    helpdesk_admin_client.post(
        f"/admin/notifications/notification/{invitation.pk}/change/",
        {"recipient": HIJACKER, "context": json.dumps({"user_id": 1, "email": HIJACKER})},
    )

    invitation.refresh_from_db()
    assert invitation.recipient == "desk@gaining.example"
    assert invitation.context["email"] == "desk@gaining.example"
