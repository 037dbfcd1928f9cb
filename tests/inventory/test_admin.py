import re

import pytest
from django.contrib.auth.models import Permission

from tests.factories import DeviceFactory, SupplierFactory

pytestmark = pytest.mark.django_db

DEVICES = "/admin/inventory/device/"


@pytest.fixture
def helpdesk_client(client, helpdesk_user):
    """The helpdesk persona in the admin, with the permissions its group gives it."""
    helpdesk_user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "inventory"],
            codename__in=[
                "view_device",
                "change_device",
                "view_supplier",
                "view_user",
                "change_user",
            ],
        )
    )
    client.force_login(helpdesk_user)
    return client


def listed_ids(response) -> list[str]:
    return [device.device_id for device in response.context["cl"].result_list]


def test_device_search_finds_a_pasted_lower_case_id_without_separators(helpdesk_client, device):
    DeviceFactory(
        device_id="00-DB-12-34-56-78-90-A1", installing_supplier=device.installing_supplier
    )

    response = helpdesk_client.get(DEVICES, {"q": " 00db1234567890a0 "})

    assert response.status_code == 200
    assert listed_ids(response) == [device.device_id]


def test_device_search_by_the_first_digits_of_an_id_finds_every_match(
    helpdesk_client, installing_supplier
):
    DeviceFactory(device_id="00-DB-12-34-56-78-90-A0", installing_supplier=installing_supplier)
    DeviceFactory(device_id="00-DB-12-34-56-78-90-A1", installing_supplier=installing_supplier)
    DeviceFactory(device_id="00-DB-99-34-56-78-90-A1", installing_supplier=installing_supplier)

    response = helpdesk_client.get(DEVICES, {"q": "00db1234"})

    assert listed_ids(response) == ["00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-A1"]


def test_device_search_finds_the_devices_a_supplier_installed_by_part_of_its_name(
    helpdesk_client, installing_supplier, other_supplier
):
    DeviceFactory(device_id="00-DB-12-34-56-78-90-A0", installing_supplier=installing_supplier)
    DeviceFactory(device_id="00-DB-12-34-56-78-90-A1", installing_supplier=other_supplier)

    response = helpdesk_client.get(DEVICES, {"q": "installing pow"})

    assert listed_ids(response) == ["00-DB-12-34-56-78-90-A0"]


def test_a_device_search_by_supplier_name_matches_no_text_across_the_device_table(
    helpdesk_client, installing_supplier
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    DeviceFactory(installing_supplier=installing_supplier)

    with CaptureQueriesContext(connection) as queries:
        helpdesk_client.get(DEVICES, {"q": "Installing Power"})

    device_queries = [q["sql"] for q in queries if 'FROM "inventory_device"' in q["sql"]]
    assert device_queries
    assert not [sql for sql in device_queries if "LIKE" in sql.upper()]
    assert any('"installing_supplier_id" IN (' in sql for sql in device_queries)


def test_device_search_finds_a_meter_by_its_mpxn(helpdesk_client, installing_supplier):
    DeviceFactory(
        device_id="00-DB-12-34-56-78-90-A0",
        mpxn="1312345678907",
        installing_supplier=installing_supplier,
    )
    DeviceFactory(
        device_id="00-DB-12-34-56-78-90-A1",
        mpxn="2000000000009",
        installing_supplier=installing_supplier,
    )

    response = helpdesk_client.get(DEVICES, {"q": "1312345678907"})

    assert listed_ids(response) == ["00-DB-12-34-56-78-90-A0"]


def test_the_device_changelist_runs_a_bounded_number_of_queries_for_50_devices(
    helpdesk_client,
    installing_supplier,
    other_supplier,
    django_assert_max_num_queries,
):
    for n in range(50):
        DeviceFactory(installing_supplier=installing_supplier if n % 2 else other_supplier)

    with django_assert_max_num_queries(8):
        response = helpdesk_client.get(DEVICES)

    assert response.status_code == 200
    assert len(listed_ids(response)) == 50


def test_supplier_search_finds_a_user_id_in_any_spelling(helpdesk_client):
    supplier = SupplierFactory(user_id="90-B3-D5-1F-30-00-00-01")
    SupplierFactory(user_id="90-B3-D5-1F-30-00-00-02")

    response = helpdesk_client.get("/admin/accounts/supplier/", {"q": "90b3d51f30000001"})

    assert list(response.context["cl"].result_list) == [supplier]


def test_the_user_changelist_shows_each_users_supplier(helpdesk_client, gaining_user):
    response = helpdesk_client.get("/admin/accounts/user/", {"q": "Gaining Energy"})

    assert list(response.context["cl"].result_list) == [gaining_user]
    assert "Gaining Energy" in response.content.decode()


def test_the_helpdesk_cannot_make_anyone_a_superuser(helpdesk_client, gaining_user):
    response = helpdesk_client.get(f"/admin/accounts/user/{gaining_user.pk}/change/")

    assert response.status_code == 200
    form_fields = response.context["adminform"].form.fields
    assert "is_superuser" not in form_fields
    assert "user_permissions" not in form_fields


def test_the_helpdesk_cannot_change_a_superuser(helpdesk_client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@dcc.example", "x" * 16)

    response = helpdesk_client.get(f"/admin/accounts/user/{root.pk}/password/")

    assert response.status_code == 403


def test_a_helpdesk_user_with_a_supplier_is_refused_with_a_message(
    admin_client, helpdesk_user, gaining_supplier
):
    url = f"/admin/accounts/user/{helpdesk_user.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("groups", "user_permissions", "password")
    }
    data.update(
        supplier=gaining_supplier.pk,
        is_helpdesk="on",
        last_login_0="",
        last_login_1="",
        date_joined_0="2026-01-01",
        date_joined_1="09:00:00",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "A DCC helpdesk user belongs to no Supplier" in response.content.decode()
    helpdesk_user.refresh_from_db()
    assert helpdesk_user.supplier is None


@pytest.mark.postgres("the planner's row estimate from pg_class")
def test_an_unfiltered_device_list_of_a_big_table_is_paged_by_the_planners_estimate(
    helpdesk_client,
    installing_supplier,
    monkeypatch,
):
    from django.db import connection

    from inventory.admin import EstimatedCountPaginator

    DeviceFactory.create_batch(30, installing_supplier=installing_supplier)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_device")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1)

    response = helpdesk_client.get(DEVICES)

    assert response.context["cl"].paginator.count == 30


# --- Registration data ---------------------------------------------------------------------------

REGISTRATIONS = "/admin/inventory/registration/"


@pytest.fixture
def registration_reader(client, helpdesk_user):
    helpdesk_user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="inventory",
            codename__in=["view_registration", "change_registration", "add_registration"],
        )
    )
    client.force_login(helpdesk_user)
    return client


def test_the_helpdesk_finds_a_meter_points_registrations_by_exact_mpxn(
    registration_reader, gaining_supplier
):
    from tests.factories import RegistrationFactory

    RegistrationFactory(mpxn="3938424403", supplier=gaining_supplier)

    response = registration_reader.get(REGISTRATIONS, {"q": " 3938424403 "})

    assert response.status_code == 200
    assert [r.mpxn for r in response.context["cl"].result_list] == ["3938424403"]


def test_registration_data_is_read_only_in_the_admin_even_with_change_permission(
    registration_reader, gaining_supplier
):
    from inventory.models import Registration

    registration = Registration.objects.get(supplier=gaining_supplier)

    page = registration_reader.get(f"{REGISTRATIONS}{registration.pk}/change/")
    posted = registration_reader.post(
        f"{REGISTRATIONS}{registration.pk}/change/", {"mpxn": "1000000000009"}
    )

    assert page.status_code == 200
    assert b'name="mpxn"' not in page.content
    assert posted.status_code == 403
    assert registration_reader.get(f"{REGISTRATIONS}add/").status_code == 403
    assert Registration.objects.get(pk=registration.pk).mpxn == registration.mpxn


# --- Forms to the portal's standard (the browser crawl checks them whole: tests/e2e) ----------


def allow(user, *codenames: str) -> None:
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def test_each_contact_email_box_on_a_supplier_page_has_a_name(operator_client, installing_supplier):
    # Only an operator edits contact addresses in the admin (the helpdesk reads them).
    html = operator_client.get(f"/admin/accounts/supplier/{installing_supplier.pk}/change/")

    boxes = re.findall(
        r'<input type="email" name="contacts-\d+-email"[^>]*>', html.content.decode()
    )
    assert len(boxes) == 3  # the two addresses and an empty row
    assert all('aria-label="Email address"' in box for box in boxes)


def test_the_empty_choice_of_an_autocomplete_box_reads_as_in_any_select(
    helpdesk_client, helpdesk_user
):
    allow(helpdesk_user, "add_device")

    html = helpdesk_client.get(f"{DEVICES}add/").content.decode()

    assert '<option value="">---------</option>' in html
    assert '<option value=""></option>' not in html


def test_date_boxes_point_at_no_time_zone_note_that_is_not_there(helpdesk_client, device):
    html = helpdesk_client.get(f"{DEVICES}{device.pk}/change/").content.decode()

    assert 'name="status_effective_date"' in html
    assert "timezone_warning_helptext" not in html


def test_the_password_summary_on_a_user_page_is_a_plain_block_with_its_help(
    operator_client, gaining_user
):
    # The operator's form holds the password summary widget; the helpdesk's says in words
    # whether a password is set (tests/accounts/test_helpdesk_admin.py).
    html = operator_client.get(f"/admin/accounts/user/{gaining_user.pk}/change/").content.decode()

    summary = re.search(r'<div[^>]* id="id_password"[^>]*>', html).group(0)
    assert "disabled" not in summary
    assert 'aria-describedby="id_password_helptext"' in summary
    assert 'id="id_password_helptext"' in html


@pytest.fixture
def operator_client(client, django_user_model):
    """A superuser who is not helpdesk staff: an operator of the portal."""
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@ops.example", "x" * 16)
    )
    return client
