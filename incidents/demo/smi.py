"""The demo's Smart Metering Inventory and registrations: homes of Devices sharing a Comms Hub,
drawn from one seeded generator, with valid meter points registered to a Supplier each."""

import datetime as dt
import random

from accounts.models import Supplier
from inventory.identifiers import mpan_check_digit, mprn_check_digits
from inventory.models import Device, DeviceType, Registration, SMIStatus
from ssi_portal.lib.identifiers import format_device_id

DEVICE_COUNT = 3000
SEED = 2026
# The SMI's dates are fixed, so that every run on every day builds the same inventory.
SMI_EXTRACT_DATE = dt.date(2026, 1, 5)
REGISTRATIONS_FROM = dt.date(2025, 1, 1)

# Fictional manufacturers, each with its own EUI-64 prefix and models.
MANUFACTURERS = (
    ("Northwind Metering", "4C-5A-01", ("NW-E2", "NW-G2", "NW-H1")),
    ("Kestrel Devices", "70-B3-D5", ("K200", "K210", "K300")),
    ("Halden Controls", "00-1E-5E", ("HC-1", "HC-2")),
    ("Orme Smart", "D0-52-A8", ("OS-IHD3", "OS-PP1", "OS-M4")),
)

# Statuses drawn for Devices that carry one: most are commissioned, as in the real SMI, but
# enough await commissioning to request.
STATUS_WEIGHTS = {
    SMIStatus.COMMISSIONED: 30,
    SMIStatus.INSTALLED_NOT_COMMISSIONED: 22,
    SMIStatus.PENDING: 10,
    SMIStatus.WHITELISTED: 10,
    SMIStatus.DECOMMISSIONED: 8,
    SMIStatus.WITHDRAWN: 5,
    SMIStatus.SUSPENDED: 5,
    SMIStatus.RECOVERY: 5,
    SMIStatus.RECOVERED: 5,
}
# The other Devices a home may have besides its Comms Hub, meters and IHD, with their odds.
OPTIONAL_DEVICES = (
    (DeviceType.PPMID, 0.15),
    (DeviceType.HCALCS, 0.08),
    (DeviceType.SAPC, 0.06),
    (DeviceType.CAD, 0.08),
)
NO_INSTALLER_SHARE = 0.02


def demo_devices(rng: random.Random, suppliers: list[Supplier]) -> list[Device]:
    """Homes of Devices sharing a Comms Hub, until there are ``DEVICE_COUNT`` Devices."""
    devices: list[Device] = []
    seen: set[str] = set()

    def new_id() -> tuple[str, str, str]:
        manufacturer, prefix, models = rng.choice(MANUFACTURERS)
        while True:
            device_id = f"{prefix}-{format_device_id(f'{rng.getrandbits(40):016X}')[9:]}"
            if device_id not in seen:
                seen.add(device_id)
                return device_id, manufacturer, rng.choice(models)

    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    home = 0
    while len(devices) < DEVICE_COUNT:
        installer = None if rng.random() < NO_INSTALLER_SHARE else rng.choice(suppliers)
        gas = rng.random() < 0.8
        types = [DeviceType.CHF, DeviceType.ESME, DeviceType.IHD]
        if gas:
            types[1:1] = [DeviceType.GPF, DeviceType.GSME]
        types += [kind for kind, odds in OPTIONAL_DEVICES if rng.random() < odds]
        hub_id = ""
        for kind in types:
            device_id, manufacturer, model = new_id()
            hub_id = hub_id or device_id
            status = None
            if kind not in (DeviceType.IHD, DeviceType.CAD):
                # The first homes cover every status once, whatever the draw.
                status = (
                    statuses[home]
                    if home < len(statuses) and kind == DeviceType.ESME
                    else rng.choices(statuses, weights)[0]
                )
            devices.append(
                Device(
                    device_id=device_id,
                    device_type=kind,
                    smi_status=status,
                    status_effective_date=SMI_EXTRACT_DATE - dt.timedelta(days=rng.randrange(730))
                    if status
                    else None,
                    manufacturer=manufacturer,
                    model=model,
                    mpxn=_mpxn(rng, kind),
                    comms_hub_id=hub_id,
                    installing_supplier=installer,
                )
            )
        home += 1
    return devices[:DEVICE_COUNT]


def demo_registrations(devices: list[Device], suppliers: list[Supplier]) -> dict[str, int]:
    """Register each home's meter points to one Supplier (dual fuel); most homes have changed
    Supplier since their meters were installed. Returns the Supplier pk by Comms Hub ID."""
    # A generator of its own, so that the SMI and the demo requests stay as they were.
    rng = random.Random(SEED + 1)  # noqa: S311 (demo data, seeded on purpose)
    by_hub: dict[str, int] = {}
    since: dict[str, dt.date] = {}
    rows = []
    for device in devices:
        hub = device.comms_hub_id
        if hub not in by_hub:
            installer = device.installing_supplier_id
            others = [s.pk for s in suppliers if s.pk != installer]
            stayed = installer is not None and rng.random() < 0.25
            by_hub[hub] = installer if stayed else rng.choice(others)
            since[hub] = REGISTRATIONS_FROM + dt.timedelta(days=rng.randrange(365))
        if device.mpxn:
            rows.append(
                Registration(mpxn=device.mpxn, supplier_id=by_hub[hub], effective_from=since[hub])
            )
    Registration.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return by_hub


def _mpxn(rng: random.Random, kind: str) -> str:
    if kind == DeviceType.ESME:
        # The first two digits of an MPAN core name the distributor (10 to 23).
        body = f"{rng.randint(10, 23)}{rng.randrange(10**10):010d}"
        return f"{body}{mpan_check_digit(body)}"
    if kind == DeviceType.GSME:
        body = f"{rng.randrange(10**7, 10**8)}"
        return f"{body}{mprn_check_digits(body)}"
    return ""
