"""The organisation pages: what was emailed to us, and the addresses it goes to."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import SupplierContact
from tests.support.outbox import make_notification
from tests.test_html import assert_valid_page

pytestmark = pytest.mark.django_db

EMAILS = reverse("notifications:sent_emails")
CONTACTS = reverse("notifications:contacts")


def remove_url(contact: SupplierContact) -> str:
    return reverse("notifications:contact_remove", args=[contact.pk])


@pytest.fixture
def installing_admin(installing_user):
    installing_user.is_supplier_admin = True
    installing_user.save(update_fields=["is_supplier_admin"])
    return installing_user


def logged_in(client, user):
    client.force_login(user)
    return client


def contacts_of(supplier) -> list[str]:
    return sorted(supplier.contacts.values_list("email", flat=True))


# --- Emails sent to us --------------------------------------------------------------------------


def test_a_supplier_user_sees_the_emails_sent_to_its_organisation(
    client, installing_user, installing_supplier
):
    make_notification(supplier=installing_supplier, recipient="ops@installing.example")

    html = logged_in(client, installing_user).get(EMAILS).content.decode()

    assert "ops@installing.example" in html
    assert "[SSI] INC0000042: Request for Install Code assigned to you" in html


def test_a_supplier_user_sees_no_other_organisation_s_emails(
    client, installing_user, other_supplier, gaining_supplier
):
    make_notification(supplier=other_supplier, recipient="team@third.example")
    make_notification(supplier=gaining_supplier, recipient="desk@gaining.example")
    make_notification(supplier=None, recipient="helpdesk@dcc.example")

    html = logged_in(client, installing_user).get(EMAILS).content.decode()

    assert "@third.example" not in html
    assert "@gaining.example" not in html
    assert "helpdesk@dcc.example" not in html
    assert "No emails match." in html


def test_the_list_shows_the_subject_never_the_body(client, installing_user, installing_supplier):
    make_notification(supplier=installing_supplier)

    html = logged_in(client, installing_user).get(EMAILS).content.decode()

    assert "Open the request in the SSI Portal" not in html  # a line of the body


def test_a_subject_is_shown_as_plain_text(client, installing_user, installing_supplier):
    make_notification(
        supplier=installing_supplier,
        template="incident_closed",
        context={"reference": "INC1", "raising_supplier": "M&S <Energy>"},
    )

    html = logged_in(client, installing_user).get(EMAILS).content.decode()

    assert "closed by M&amp;S &lt;Energy&gt;" in html


def test_the_date_is_shown_in_uk_time(client, installing_user, installing_supplier):
    # 12:30 UTC on 1 July is 13:30 in London (BST).
    sent = dt.datetime(2026, 7, 1, 12, 30, tzinfo=dt.UTC)
    make_notification(supplier=installing_supplier, status="sent", sent_at=sent)

    html = logged_in(client, installing_user).get(EMAILS).content.decode()

    assert "1 Jul 2026 13:30" in html


@pytest.mark.parametrize(
    "status,shown",
    [("pending", "Pending"), ("sending", "Pending"), ("sent", "Sent"), ("failed", "Failed")],
)
def test_each_email_shows_its_status(client, installing_user, installing_supplier, status, shown):
    make_notification(supplier=installing_supplier, status=status)

    html = logged_in(client, installing_user).get(EMAILS).content.decode()

    assert f">{shown}</span>" in html


def test_the_list_filters_by_status(client, installing_user, installing_supplier):
    make_notification(supplier=installing_supplier, status="sent", recipient="a@installing.example")
    make_notification(
        supplier=installing_supplier, status="failed", recipient="b@installing.example"
    )

    html = logged_in(client, installing_user).get(EMAILS + "?status=failed").content.decode()

    assert "b@installing.example" in html
    assert "a@installing.example" not in html


def test_the_list_is_newest_first_in_pages_without_counting(
    client, installing_user, installing_supplier
):
    for n in range(30):
        make_notification(
            supplier=installing_supplier,
            recipient=f"r{n:02d}@installing.example",
            age=dt.timedelta(minutes=30 - n),
        )
    client = logged_in(client, installing_user)

    first = client.get(EMAILS).content.decode()
    second = client.get(EMAILS + "?page=2").content.decode()

    assert first.index("r29@") < first.index("r28@")
    assert "r05@" in first and "r04@" not in first
    assert "Next page" in first and "Previous page" not in first
    assert "r04@" in second and "r00@" in second and "r05@" not in second
    assert "Next page" not in second and "Previous page" in second


@pytest.mark.parametrize("page", ["99999999999999999999", "3", "9" * 400])
def test_a_page_past_the_end_shows_the_last_page(
    client, installing_user, installing_supplier, page
):
    for n in range(30):
        make_notification(
            supplier=installing_supplier,
            recipient=f"r{n:02d}@installing.example",
            age=dt.timedelta(minutes=30 - n),
        )

    response = logged_in(client, installing_user).get(EMAILS + f"?page={page}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Page 2" in html
    assert "r00@" in html and "r05@" not in html
    assert "Next page" not in html and "Previous page" in html


@pytest.mark.parametrize("page", ["-3", "0", "two", "1e9", "\u0661"])
def test_a_page_that_is_not_a_positive_number_shows_the_first_page(
    client, installing_user, installing_supplier, page
):
    for n in range(30):
        make_notification(supplier=installing_supplier, recipient=f"r{n:02d}@installing.example")

    response = logged_in(client, installing_user).get(EMAILS, {"page": page})

    assert response.status_code == 200
    assert "Page 1" in response.content.decode()


def test_the_list_costs_the_same_queries_for_any_number_of_emails(
    client, installing_user, installing_supplier, django_assert_num_queries
):
    for n in range(30):
        make_notification(supplier=installing_supplier, recipient=f"r{n}@installing.example")
    client = logged_in(client, installing_user)

    # The session read with its user and their Supplier (heading and navbar), one page of
    # emails: no COUNT.
    with django_assert_num_queries(2) as captured:
        client.get(EMAILS)

    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_a_user_without_an_organisation_has_no_emails_page(client, helpdesk_user):
    assert logged_in(client, helpdesk_user).get(EMAILS).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(anonymous):
    response = anonymous.get(EMAILS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Contact addresses: reading -----------------------------------------------------------------


def test_every_user_of_the_supplier_sees_its_addresses_read_only(client, installing_user):
    html = logged_in(client, installing_user).get(CONTACTS).content.decode()

    assert "installs@installing.example" in html and "ops@installing.example" in html
    assert "Add address" not in html and "Remove" not in html
    assert "Ask an administrator of your organisation" in html


def test_an_administrator_sees_the_add_and_remove_buttons(client, installing_admin):
    html = logged_in(client, installing_admin).get(CONTACTS).content.decode()

    assert "Add address" in html
    assert html.count(">Remove</button>") == 2


def test_a_user_sees_only_its_own_organisation_s_addresses(client, installing_user, other_supplier):
    html = logged_in(client, installing_user).get(CONTACTS).content.decode()

    assert "team@third.example" not in html


@pytest.mark.parametrize("url", [EMAILS, CONTACTS])
def test_the_pages_are_valid_html(client, installing_admin, installing_supplier, url):
    make_notification(supplier=installing_supplier)
    assert_valid_page(logged_in(client, installing_admin).get(url).content.decode())


def test_a_refused_address_page_is_valid_html_with_the_error_summary(client, installing_admin):
    response = logged_in(client, installing_admin).post(CONTACTS, {"email": "not an address"})
    html = response.content.decode()
    assert_valid_page(html)
    assert "data-error-summary" in html and 'href="#id_email"' in html


def test_the_navbar_links_to_both_pages(client, installing_user):
    html = logged_in(client, installing_user).get(reverse("incidents:home")).content.decode()

    assert f'href="{EMAILS}"' in html and f'href="{CONTACTS}"' in html


# --- Contact addresses: adding ------------------------------------------------------------------


def test_an_administrator_adds_an_address(client, installing_admin, installing_supplier):
    response = logged_in(client, installing_admin).post(
        CONTACTS, {"email": "New.Desk@Installing.example"}, follow=True
    )

    assert "new.desk@installing.example now receives your incident emails" in (
        response.content.decode()
    )
    assert "new.desk@installing.example" in contacts_of(installing_supplier)


def test_an_address_already_on_the_list_is_refused_with_a_clear_message(
    client, installing_admin, installing_supplier
):
    response = logged_in(client, installing_admin).post(
        CONTACTS, {"email": "OPS@installing.example"}
    )

    assert response.status_code == 400
    assert "ops@installing.example already receives Installing Power&#x27;s emails." in (
        response.content.decode()
    )
    assert contacts_of(installing_supplier) == [
        "installs@installing.example",
        "ops@installing.example",
    ]


@pytest.mark.parametrize(
    "email", ["", "not an address", "a@b", "one@installing.example, two@installing.example"]
)
def test_an_invalid_address_is_refused(client, installing_admin, installing_supplier, email):
    response = logged_in(client, installing_admin).post(CONTACTS, {"email": email})

    assert response.status_code == 400
    assert len(contacts_of(installing_supplier)) == 2


def test_a_user_who_is_not_an_administrator_cannot_add_an_address(
    client, installing_user, installing_supplier
):
    response = logged_in(client, installing_user).post(CONTACTS, {"email": "x@installing.example"})

    assert response.status_code == 403
    assert "x@installing.example" not in contacts_of(installing_supplier)


def test_an_administrator_of_another_supplier_adds_only_to_its_own(
    client, other_supplier_user, other_supplier, installing_supplier
):
    other_supplier_user.is_supplier_admin = True
    other_supplier_user.save()

    logged_in(client, other_supplier_user).post(CONTACTS, {"email": "x@third.example"})

    assert "x@third.example" in contacts_of(other_supplier)
    assert "x@third.example" not in contacts_of(installing_supplier)


def test_adding_needs_the_csrf_token(installing_admin, installing_supplier):
    client = Client(enforce_csrf_checks=True)
    client.force_login(installing_admin)

    response = client.post(CONTACTS, {"email": "x@installing.example"})

    assert response.status_code == 403
    assert "x@installing.example" not in contacts_of(installing_supplier)


# --- Contact addresses: removing ----------------------------------------------------------------


def test_an_administrator_removes_an_address(client, installing_admin, installing_supplier):
    ops = installing_supplier.contacts.get(email="ops@installing.example")

    response = logged_in(client, installing_admin).post(remove_url(ops), follow=True)

    assert "ops@installing.example no longer receives your incident emails" in (
        response.content.decode()
    )
    assert contacts_of(installing_supplier) == ["installs@installing.example"]


def test_the_last_address_cannot_be_removed(client, installing_admin, installing_supplier):
    installing_supplier.contacts.filter(email="ops@installing.example").delete()
    last = installing_supplier.contacts.get()

    response = logged_in(client, installing_admin).post(remove_url(last), follow=True)

    assert "is Installing Power&#x27;s only contact address" in response.content.decode()
    assert contacts_of(installing_supplier) == ["installs@installing.example"]


def test_a_user_who_is_not_an_administrator_cannot_remove_an_address(
    client, installing_user, installing_supplier
):
    ops = installing_supplier.contacts.get(email="ops@installing.example")

    response = logged_in(client, installing_user).post(remove_url(ops))

    assert response.status_code == 403
    assert len(contacts_of(installing_supplier)) == 2


def test_another_organisation_s_address_is_not_found(client, installing_admin, other_supplier):
    theirs = other_supplier.contacts.get()
    other_supplier.contacts.create(email="second@third.example")

    response = logged_in(client, installing_admin).post(remove_url(theirs))

    assert response.status_code == 404
    assert SupplierContact.objects.filter(pk=theirs.pk).exists()


def test_a_missing_address_is_not_found(client, installing_admin):
    response = logged_in(client, installing_admin).post(
        reverse("notifications:contact_remove", args=[999_999])
    )
    assert response.status_code == 404


def test_removing_is_post_only(client, installing_admin, installing_supplier):
    ops = installing_supplier.contacts.get(email="ops@installing.example")

    response = logged_in(client, installing_admin).get(remove_url(ops))

    assert response.status_code == 405
    assert len(contacts_of(installing_supplier)) == 2


def test_removing_needs_the_csrf_token(installing_admin, installing_supplier):
    ops = installing_supplier.contacts.get(email="ops@installing.example")
    client = Client(enforce_csrf_checks=True)
    client.force_login(installing_admin)

    assert client.post(remove_url(ops)).status_code == 403
    assert len(contacts_of(installing_supplier)) == 2
