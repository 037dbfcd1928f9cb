"""Demo data to try the portal: Suppliers, users, an SMI and a few requests
(``manage.py load_demo_data``).

Deterministic (one seeded generator, no dependence on today's date for the SMI) and idempotent:
a second run finds everything in place, changes nothing and raises no new requests. Incidents
go through the services, so they carry events and emails like real ones. Split by concern:
``people`` (organisations, users, the helpdesk), ``smi`` (Devices and registrations),
``requests`` (the requests and what is printed).
"""

import random

from django.db import transaction

from inventory.models import Device

from .people import DEMO_PASSWORD, SUPPLIERS, demo_helpdesk, demo_supplier, demo_user
from .requests import demo_logins_print, demo_requests_raise
from .smi import DEVICE_COUNT, SEED, demo_devices, demo_registrations

__all__ = ["DEMO_PASSWORD", "DEVICE_COUNT", "demo_data_load"]


def demo_data_load(*, out) -> None:
    """Create or complete the demo data; ``out`` (with a ``write`` method) receives what a
    person needs to try it: the logins, Device IDs to request and the refusals to see."""
    # Seeded on purpose: the demo must be the same on every machine and every run.
    rng = random.Random(SEED)  # noqa: S311
    with transaction.atomic():
        suppliers = [demo_supplier(spec) for spec in SUPPLIERS]
        users = {
            spec.username: demo_user(spec.username, supplier=supplier)
            for spec, supplier in zip(SUPPLIERS, suppliers, strict=True)
        }
        demo_helpdesk()
        devices = demo_devices(rng, suppliers)
        before = Device.objects.count()
        # Devices already there are left as they are (a demo request may have moved on).
        Device.objects.bulk_create(devices, batch_size=1000, ignore_conflicts=True)
        created = Device.objects.count() - before
        registered = demo_registrations(devices, suppliers)
    raised = demo_requests_raise(out, rng, devices, users, registered)
    out.write(
        f"SMI: {Device.objects.count()} Devices ({created} new). "
        f"Demo requests raised by this run: {raised}."
    )
    demo_logins_print(out, suppliers[0])
