"""The read of a raise (incidents/selectors/raising.py): the Device with its installing
Supplier, that Supplier's contact addresses and the registration of its meter point, in one
query compiled once, answering as the ORM's own queryset."""

import datetime as dt

import pytest

from incidents.selectors.raising import _device_for_raise, device_for_raise
from tests.factories import DeviceFactory, RegistrationFactory, SupplierFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 4, 1)


def test_the_device_comes_with_its_installer_and_the_installers_addresses(
    device, installing_supplier, django_assert_num_queries
):
    device_for_raise(device.device_id, registered_on=DAY)  # compiled

    with django_assert_num_queries(1):
        found = device_for_raise(device.device_id, registered_on=DAY)
        addresses = found.installing_supplier.contact_emails
        name = found.installing_supplier.name

    assert found == device and name == installing_supplier.name
    assert addresses == ["installs@installing.example", "ops@installing.example"]
    assert list(found.installing_supplier.contacts.all()) == list(
        installing_supplier.contacts.all()
    )


def test_it_reads_the_fields_the_orm_reads(device, gaining_supplier):
    [expected] = _device_for_raise(device.device_id, DAY)

    found = device_for_raise(device.device_id, registered_on=DAY)

    fields = [f.attname for f in found._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert (
        (found.registered_supplier_id, found.registered_until)
        == (
            expected.registered_supplier_id,
            expected.registered_until,
        )
        == (gaining_supplier.pk, None)
    )


def test_the_registration_is_that_of_the_day_asked(device, gaining_supplier, other_supplier):
    RegistrationFactory(
        mpxn=device.mpxn,
        supplier=other_supplier,
        effective_from=DAY + dt.timedelta(days=1),
        effective_to=DAY + dt.timedelta(days=30),
    )

    on_the_day = device_for_raise(device.device_id, registered_on=DAY)
    the_day_after = device_for_raise(device.device_id, registered_on=DAY + dt.timedelta(days=1))

    assert on_the_day.registered_supplier_id == gaining_supplier.pk
    assert the_day_after.registered_supplier_id == other_supplier.pk
    assert the_day_after.registered_until == DAY + dt.timedelta(days=30)


def test_without_the_registration_check_no_registration_is_read(device):
    found = device_for_raise(device.device_id, registered_on=None)

    assert found == device and not hasattr(found, "registered_supplier_id")


def test_an_installer_without_addresses_has_none_and_costs_no_query(
    django_assert_num_queries,
):
    silent = SupplierFactory(contacts=[])
    device = DeviceFactory(installing_supplier=silent)

    found = device_for_raise(device.device_id, registered_on=DAY)

    with django_assert_num_queries(0):
        assert found.installing_supplier.contact_emails == []


def test_a_device_without_an_installer_and_a_missing_one(db):
    device = DeviceFactory(installing_supplier=None)

    found = device_for_raise(device.device_id, registered_on=DAY)

    assert found == device and found.installing_supplier is None
    assert device_for_raise("00-DB-12-34-56-78-90-FE", registered_on=DAY) is None


def test_the_calendars_non_working_days_come_with_the_device(device):
    from incidents.models import NonWorkingDay

    assert device_for_raise(device.device_id, registered_on=DAY).non_working_days == []
    for day in (dt.date(2026, 12, 29), dt.date(2026, 4, 8)):
        NonWorkingDay.objects.create(date=day, description="Industry shutdown")

    found = device_for_raise(device.device_id, registered_on=None)

    assert sorted(found.non_working_days) == [dt.date(2026, 4, 8), dt.date(2026, 12, 29)]
