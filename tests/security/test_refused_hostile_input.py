"""Where the framework would have turned a malformed value into a server error, the portal
refuses it: a NUL in a query string, a date-hierarchy year past any date, a posted Supplier
that is no key, an admin address naming no incident."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpdesk(client, helpdesk_user):
    helpdesk_user.is_superuser = True
    helpdesk_user.save(update_fields=["is_superuser"])
    client.force_login(helpdesk_user)
    return client


@pytest.mark.parametrize("query", ["status=%00", "q=a%00b", "%00=1"])
def test_a_nul_character_in_a_query_string_is_refused(client, gaining_user, query):
    client.force_login(gaining_user)

    response = client.get(f"{reverse('incidents:raised')}?{query}")

    assert response.status_code == 400
    assert b"NUL character" in response.content


def test_a_nul_character_in_an_admin_filter_is_refused(helpdesk):
    url = reverse("admin:inventory_device_changelist")

    response = helpdesk.get(f"{url}?device_type__exact=%00")

    assert response.status_code == 400


@pytest.mark.parametrize("model", ["accounts_securityevent", "incidents_nonworkingday"])
def test_a_date_hierarchy_year_past_any_date_is_a_bad_lookup(helpdesk, model):
    field = "created_at" if model == "accounts_securityevent" else "date"
    url = reverse(f"admin:{model}_changelist")

    response = helpdesk.get(url, {f"{field}__year": "9" * 20})

    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"


def test_a_posted_supplier_that_is_no_key_is_refused_on_the_form(
    client, django_user_model, installing_user
):
    # Only an operator may move a user to another organisation (the helpdesk's form holds
    # the Supplier read-only), so the operator's form is the one that parses the key.
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@ops.example", "x" * 16)
    )
    response = client.post(
        reverse("admin:accounts_user_change", args=[installing_user.pk]),
        {"username": "installing", "supplier": "not-a-key", "date_joined_0": "2026-01-01"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_a_device_posted_with_a_supplier_that_is_no_key_is_refused_on_the_form(helpdesk, device):
    response = helpdesk.post(
        reverse("admin:inventory_device_change", args=[device.pk]),
        {"device_id": device.device_id, "installing_supplier": "abc"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("key", ["abc", "-1", "1e309"])
def test_an_incident_admin_address_naming_no_incident_says_it_does_not_exist(helpdesk, key):
    response = helpdesk.get(f"/admin/incidents/incident/{key}/change/", follow=True)

    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()
