import datetime as dt

import factory

from accounts.models import Supplier, SupplierContact, User
from inventory.identifiers import mpan_check_digit
from inventory.models import Device, DeviceType, Registration, SMIStatus
from ssi_portal.lib.identifiers import format_device_id

PASSWORD = "correct-horse-battery-staple"
# The meter point of every Device the factory makes unless told otherwise (a valid MPAN core).
DEFAULT_MPXN = "1312345678907"


def _eui64(prefix: str, n: int) -> str:
    return format_device_id(f"{prefix}{n:010X}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Supplier {n:03d} Energy")
    user_id = factory.Sequence(lambda n: _eui64("90B3D5", n))
    # An MPID has 4 characters: wrap the counter, which passes 999 over a full test run.
    mpid = factory.Sequence(lambda n: f"S{n % 1000:03d}")
    is_import_supplier = True
    is_gas_supplier = True

    @factory.post_generation
    def contacts(self, create, extracted, **kwargs):
        if not create:
            return
        emails = extracted if extracted is not None else [f"incidents@{self.mpid.lower()}.example"]
        for email in emails:
            SupplierContact.objects.create(supplier=self, email=email)


class SupplierContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierContact

    supplier = factory.SubFactory(SupplierFactory)
    email = factory.Sequence(lambda n: f"contact{n}@supplier.example")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@users.example")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    supplier = factory.SubFactory(SupplierFactory)
    password = factory.django.Password(PASSWORD)


class HelpdeskUserFactory(UserFactory):
    supplier = None
    is_helpdesk = True
    is_staff = True
    email = factory.LazyAttribute(lambda u: f"{u.username}@dcc.example")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device
        skip_postgeneration_save = True

    device_id = factory.Sequence(lambda n: _eui64("00DB12", n + 1))
    device_type = DeviceType.ESME
    smi_status = SMIStatus.INSTALLED_NOT_COMMISSIONED
    manufacturer = "Acme Meters"
    model = "AM-2"
    mpxn = DEFAULT_MPXN
    installing_supplier = factory.SubFactory(SupplierFactory)

    @factory.post_generation
    def registered(self, create, extracted, **kwargs):
        """``registered=supplier``: the Device gets a meter point of its own, registered to
        that Supplier (the default meter point is the gaining Supplier's)."""
        if not create or extracted is None:
            return
        body = f"99{self.pk:010d}"
        self.mpxn = f"{body}{mpan_check_digit(body)}"
        Device.objects.filter(pk=self.pk).update(mpxn=self.mpxn)
        Registration.objects.create(
            mpxn=self.mpxn, supplier=extracted, effective_from=dt.date(2020, 1, 1)
        )


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A registration of the factory's default meter point, current since 2020."""

    class Meta:
        model = Registration

    mpxn = DEFAULT_MPXN
    supplier = factory.SubFactory(SupplierFactory)
    effective_from = dt.date(2020, 1, 1)
    effective_to = None
