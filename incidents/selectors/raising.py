"""The read of a raise: the Device a Device ID names, with what the raise's checks and writes
need of it, in one query compiled once (ssi_portal/lib/compiled.py).

Built by the ORM on each raise, this query (the Device, its installing Supplier joined in, the
registration of its meter point in two subqueries) cost about a quarter of a raise's CPU, for
a query PostgreSQL answers in a fraction of a millisecond; the installing Supplier's contact
addresses, which its email needs, and the non-working days of its deadline were one query
more each.
"""

import datetime as dt

from django.db import router
from django.db.models import CharField, OuterRef, QuerySet, StringAgg, Subquery, Value
from django.db.models.functions import Cast, Concat

from accounts.models import Supplier, SupplierContact
from inventory.models import Device
from inventory.selectors.registrations import current_registration
from ssi_portal.lib.compiled import CompiledObjectsQuery

from ..calendar import non_working_days, non_working_days_from

_CONTACT_FIELDS = ["id", "supplier_id", "email"]
_CONTACTS_CACHE = SupplierContact._meta.get_field("supplier").remote_field.cache_name
# Between two contacts in the aggregate (each "<pk>:<address>"): no address holds a line break.
_SEPARATOR = "\n"


def _contact_addresses() -> Subquery:
    return Subquery(
        SupplierContact.objects.filter(supplier_id=OuterRef("installing_supplier_id"))
        .order_by()
        .values("supplier_id")
        .annotate(
            addresses=StringAgg(
                Concat(Cast("pk", CharField()), Value(":"), "email", output_field=CharField()),
                Value(_SEPARATOR),
            )
        )
        .values("addresses")
    )


def _device_for_raise(device_id: str, day: dt.date | None = None) -> QuerySet[Device]:
    devices = Device.objects.select_related("installing_supplier").annotate(
        installer_addresses=_contact_addresses(), non_working_days=non_working_days()
    )
    if day is not None:
        devices = devices.annotate(**current_registration(on=day))
    return devices.filter(device_id=device_id).order_by()


_DEVICE = CompiledObjectsQuery(_device_for_raise, kinds=(str,))
_REGISTERED_DEVICE = CompiledObjectsQuery(
    _device_for_raise,
    kinds=(str, dt.date),
    repeated=True,  # the day, in both subqueries of the registration
)


def device_for_raise(device_id: str, *, registered_on: dt.date | None) -> Device | None:
    """The Device with the (canonical) ``device_id``, None if the SMI has none: with its
    installing Supplier, whose ``contacts`` are read with it, the calendar's extra
    non-working days (``non_working_days``, dates: the deadline of the request), and, given
    ``registered_on``, the registration of its own meter point that day (the annotations of
    :func:`~inventory.selectors.registrations.current_registration`). One query."""
    using = router.db_for_read(Device)
    if registered_on is None:
        found = _DEVICE.objects(device_id, using=using)
    else:
        found = _REGISTERED_DEVICE.objects(device_id, registered_on, using=using)
    if not found:
        return None
    device = found[0]
    device.non_working_days = non_working_days_from(device.non_working_days)
    if device.installing_supplier is not None:
        _with_contacts(device.installing_supplier, device.installer_addresses, using)
    return device


def _with_contacts(supplier: Supplier, addresses: str | None, using: str) -> None:
    """Leave the addresses read with the Supplier where its ``contacts`` look first, as a
    ``prefetch_related`` would."""
    contacts = supplier.contacts.all()
    found = []
    for entry in addresses.split(_SEPARATOR) if addresses else ():
        pk, email = entry.split(":", 1)
        contact = SupplierContact.from_db(using, _CONTACT_FIELDS, (int(pk), supplier.pk, email))
        contact.supplier = supplier
        found.append(contact)
    contacts._result_cache = sorted(found, key=lambda contact: contact.email)
    contacts._prefetch_done = True
    supplier._prefetched_objects_cache = {_CONTACTS_CACHE: contacts}
