"""Demo data to try the portal: Suppliers, users, an SMI and a few requests
(``manage.py load_demo_data``).

Deterministic (one seeded generator, no dependence on today's date for the SMI) and idempotent:
a second run finds everything in place, changes nothing and raises no new requests. Incidents
go through the services, so they carry events and emails like real ones. Split by concern:
``people`` (organisations, users, the helpdesk), ``smi`` (Devices and registrations),
``requests`` (the requests and what is printed), ``bulk`` (Devices enough to watch a bulk
upload's progress, and its file, when asked for).
"""

import random
from pathlib import Path

from django.db import transaction

from inventory.models import Device

from .bulk import bulk_file_write, demo_bulk_devices
from .people import DEMO_PASSWORD, SUPPLIERS, demo_helpdesk, demo_supplier, demo_user
from .requests import demo_logins_print, demo_requests_raise
from .smi import DEVICE_COUNT, SEED, demo_devices, demo_registrations

__all__ = ["DEMO_PASSWORD", "DEVICE_COUNT", "demo_data_load"]


def demo_data_load(*, out, bulk_devices: int = 0, bulk_file: Path | None = None) -> None:
    """Create or complete the demo data; ``out`` (with a ``write`` method) receives what a
    person needs to try it: the logins, Device IDs to request and the refusals to see.

    ``bulk_devices``: as many more meters for the first Supplier to request in bulk
    (:mod:`.bulk`), with the file that raises them written to ``bulk_file``."""
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
        created += demo_bulk_devices(bulk_devices, raiser=suppliers[0], installers=suppliers[1:])
    raised = demo_requests_raise(out, rng, devices, users, registered)
    out.write(
        f"SMI: {Device.objects.count()} Devices ({created} new). "
        f"Demo requests raised by this run: {raised}."
    )
    demo_logins_print(out, suppliers[0])
    if bulk_devices > 0 and bulk_file is not None:
        bulk_file_write(bulk_file, bulk_devices)
        out.write(
            f"A file of {bulk_devices:,} Devices {SUPPLIERS[0].username} may request, to raise "
            f"them in bulk (Bulk uploads, Raise by CSV) and watch the progress: {bulk_file}"
        )
