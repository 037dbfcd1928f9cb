"""Devices to try a bulk upload with, and the file that raises a request for each
(``manage.py load_demo_data --bulk-devices N``).

Homes of a Comms Hub and an electricity meter of one more fictional manufacturer, installed by
another Supplier than the first demo Supplier (aurora), awaiting commissioning, their meter
points registered to aurora since the demo's registrations began: every meter is one aurora
may request. Their Device IDs and MPANs are numbered, not drawn, so that a count of them is
the same set on every run (a second run adds none) and no ID or MPAN of the seeded SMI is
taken (its MPANs name distributors 10 to 23; these name 24).
"""

import csv
from pathlib import Path

from accounts.models import Supplier
from inventory.identifiers import mpan_check_digit
from inventory.models import Device, DeviceType, Registration, SMIStatus
from ssi_portal.lib.identifiers import format_device_id

from .smi import REGISTRATIONS_FROM, SMI_EXTRACT_DATE

MANUFACTURER, PREFIX, MODELS = "Tern Metering", "8C1F64", ("TM-H1", "TM-E2")
DISTRIBUTOR = "24"


def bulk_meter_ids(count: int) -> list[str]:
    """The Device IDs of the first ``count`` bulk-demo meters, the rows of the bulk file."""
    return [_device_id(2 * home + 1) for home in range(1, count + 1)]


def demo_bulk_devices(count: int, *, raiser: Supplier, installers: list[Supplier]) -> int:
    """Create what is missing of ``count`` homes for ``raiser`` to request in bulk, each
    installed by one of ``installers`` in turn; returns how many Devices were created."""
    if count <= 0:
        return 0
    present = set(
        Device.objects.filter(manufacturer=MANUFACTURER).values_list("device_id", flat=True)
    )
    devices, registrations = [], []
    for home in range(1, count + 1):
        hub, meter = _device_id(2 * home), _device_id(2 * home + 1)
        if meter in present:
            continue
        installer = installers[home % len(installers)]
        body = f"{DISTRIBUTOR}{home:010d}"
        mpan = f"{body}{mpan_check_digit(body)}"
        for device_id, kind, model, mpxn in (
            (hub, DeviceType.CHF, MODELS[0], ""),
            (meter, DeviceType.ESME, MODELS[1], mpan),
        ):
            devices.append(
                Device(
                    device_id=device_id,
                    device_type=kind,
                    smi_status=SMIStatus.INSTALLED_NOT_COMMISSIONED,
                    status_effective_date=SMI_EXTRACT_DATE,
                    manufacturer=MANUFACTURER,
                    model=model,
                    mpxn=mpxn,
                    comms_hub_id=hub,
                    installing_supplier=installer,
                )
            )
        registrations.append(
            Registration(mpxn=mpan, supplier=raiser, effective_from=REGISTRATIONS_FROM)
        )
    Device.objects.bulk_create(devices, batch_size=2000, ignore_conflicts=True)
    Registration.objects.bulk_create(registrations, batch_size=2000, ignore_conflicts=True)
    return len(devices)


def bulk_file_write(path: Path, count: int) -> None:
    """The raise file of the first ``count`` bulk-demo meters: ``device_id,reference``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["device_id", "reference"])
        writer.writerows(
            (device_id, f"DEMO-{line:05d}")
            for line, device_id in enumerate(bulk_meter_ids(count), start=1)
        )


def _device_id(number: int) -> str:
    return format_device_id(f"{PREFIX}{number:010X}")
