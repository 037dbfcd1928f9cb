"""``manage.py load_demo_data``: Suppliers, users, an SMI and a few requests to try the portal.

Deterministic (one seeded generator, no dependence on today's date for the SMI) and idempotent:
a second run finds everything in place, changes nothing and raises no new requests. Incidents
go through the services, so they carry events and emails like real ones.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Supplier, SupplierContact, User
from incidents import services
from incidents.models import (
    OPEN_STATUSES,
    CloseOutcome,
    Incident,
    IncidentStatus,
    reference_for,
)
from inventory.identifiers import (
    crc_suffix,
    format_install_code,
    mpan_check_digit,
    mprn_check_digits,
)
from inventory.models import (
    STATUSES_AWAITING_COMMISSIONING,
    TYPES_WITH_INSTALL_CODE,
    Device,
    DeviceType,
    Registration,
    SMIStatus,
)
from inventory.selectors_registration import EntitlementStatus, entitlements, registration_day
from ssi_portal.lib.identifiers import format_device_id

DEMO_PASSWORD = "ssi-demo-2026"  # noqa: S105 (published demo logins; this command is for dev only)
DEVICE_COUNT = 3000
SEED = 2026
HELPDESK_GROUP = "DCC helpdesk"
# The SMI's dates are fixed, so that every run on every day builds the same inventory.
SMI_EXTRACT_DATE = dt.date(2026, 1, 5)
REGISTRATIONS_FROM = dt.date(2025, 1, 1)


@dataclass(frozen=True)
class DemoSupplier:
    username: str
    name: str
    mpid: str
    gas_short_code: str
    user_id: str
    domain: str


SUPPLIERS = (
    DemoSupplier("aurora", "Aurora Energy", "AURA", "AUR", "90-B3-D5-1F-30-00-00-01", "aurora"),
    DemoSupplier(
        "brightwater", "Brightwater Power", "BRIG", "BRI", "90-B3-D5-1F-30-00-00-02", "brightwater"
    ),
    DemoSupplier(
        "cobalt", "Cobalt Gas & Power", "COBA", "COB", "90-B3-D5-1F-30-00-00-03", "cobalt"
    ),
    DemoSupplier("dunmore", "Dunmore Energy", "DUNM", "DUN", "90-B3-D5-1F-30-00-00-04", "dunmore"),
)
HELPDESK_USERNAME = "helpdesk"
DEMO_USERNAMES = {spec.name: spec.username for spec in SUPPLIERS}

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
# What the demo shows of each refusal of a raise, by its reason code (a Device ID for each is
# printed beside the logins).
REFUSAL_DEMOS = {
    "not_in_smi": "not in the SMI",
    "ineligible_status": "commissioned already",
    "not_registered": "another Supplier is registered for its meter point",
    "already_open": "already has an open request",
}
# The first Device ID tried as one missing from the SMI: DOMAIN.md's example, of a
# manufacturer the demo does not use.
NOT_IN_SMI_START = "00DB1234567890A0"
# The public example code of DOMAIN.md (its CRC is B5C3): a code any demo request can take.
DEMO_INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")


class Command(BaseCommand):
    help = (
        "Create demo Suppliers, users (password ssi-demo-2026), ~3,000 SMI Devices and a "
        "dozen Requests for Install Code. Safe to run again. For development only."
    )

    def handle(self, *args, **options):
        # Seeded on purpose: the demo must be the same on every machine and every run.
        rng = random.Random(SEED)  # noqa: S311
        with transaction.atomic():
            suppliers = [self._supplier(spec) for spec in SUPPLIERS]
            users = {
                spec.username: self._user(spec.username, supplier=supplier)
                for spec, supplier in zip(SUPPLIERS, suppliers, strict=True)
            }
            self._helpdesk()
            devices = _demo_devices(rng, suppliers)
            before = Device.objects.count()
            # Devices already there are left as they are (a demo request may have moved on).
            Device.objects.bulk_create(devices, batch_size=1000, ignore_conflicts=True)
            created = Device.objects.count() - before
            registered = _demo_registrations(devices, suppliers)
        raised = self._incidents(rng, devices, users, registered)
        self.stdout.write(
            f"SMI: {Device.objects.count()} Devices ({created} new). "
            f"Demo requests raised by this run: {raised}."
        )
        self._print_logins(suppliers[0])

    # --- Organisations and people -------------------------------------------------------

    def _supplier(self, spec: DemoSupplier) -> Supplier:
        supplier, _ = Supplier.objects.update_or_create(
            name=spec.name,
            defaults={
                "user_id": spec.user_id,
                "mpid": spec.mpid,
                "gas_short_code": spec.gas_short_code,
                "is_import_supplier": True,
                "is_gas_supplier": True,
            },
        )
        SupplierContact.objects.get_or_create(
            supplier=supplier, email=f"incidents@{spec.domain}.example"
        )
        return supplier

    def _user(self, username: str, *, supplier: Supplier | None) -> User:
        domain = "dcc" if supplier is None else username
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@{domain}.example",
                "supplier": supplier,
                "first_name": username.capitalize(),
                "last_name": "Demo",
                "is_helpdesk": supplier is None,
                "is_staff": supplier is None,
                # Each demo Supplier's one user administers it (users, contact addresses).
                "is_supplier_admin": supplier is not None,
            },
        )
        if supplier is not None and not user.is_supplier_admin:
            user.is_supplier_admin = True
            user.save(update_fields=["is_supplier_admin"])
        # The printed password must work, even if someone changed it since the last run.
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _helpdesk(self) -> User:
        group, _ = Group.objects.get_or_create(name=HELPDESK_GROUP)
        group.permissions.set(_helpdesk_permissions())
        user = self._user(HELPDESK_USERNAME, supplier=None)
        if user.supplier_id or not (user.is_helpdesk and user.is_staff):
            user.supplier, user.is_helpdesk, user.is_staff = None, True, True
            user.save(update_fields=["supplier", "is_helpdesk", "is_staff"])
        user.groups.add(group)
        return user

    # --- Requests -----------------------------------------------------------------------

    def _incidents(
        self,
        rng: random.Random,
        devices: list[Device],
        users: dict[str, User],
        registered: dict[str, int],
    ) -> int:
        """Raise the demo requests, skipping any Device that already has one (a re-run).

        The Devices are picked from the generated SMI alone, never from what the database
        holds, so a re-run picks the same ones and then skips them.
        """
        by_supplier = {user.supplier_id: user for user in users.values()}
        # Each request is raised by the Supplier registered for the Device's home, as the
        # registration check requires; the Devices picked have changed Supplier since.
        eligible = [
            d
            for d in devices
            if d.device_type in TYPES_WITH_INSTALL_CODE
            and d.smi_status in STATUSES_AWAITING_COMMISSIONING
            and registered[d.comms_hub_id] != d.installing_supplier_id
        ]
        picks = rng.sample([d for d in eligible if d.installing_supplier_id], 11)
        picks += [d for d in eligible if not d.installing_supplier_id][:1]
        stories = (
            "awaiting",
            "awaiting",
            "awaiting",
            "awaiting",
            "overdue",
            "answered",
            "answered",
            "answered",
            "worked",
            "worked",
            "not_installed",
            "no_installer",
        )
        stored = Device.objects.in_bulk([d.device_id for d in picks], field_name="device_id")
        has_request = set(
            Incident.objects.filter(device__in=stored.values()).values_list(
                "device__device_id", flat=True
            )
        )
        now = timezone.now()
        raised = 0
        for number, (pick, story) in enumerate(zip(picks, stories, strict=False)):
            if pick.device_id in has_request:
                continue
            installer = pick.installing_supplier_id
            started = now - dt.timedelta(days=9 if story == "overdue" else number % 4, hours=number)
            try:
                self._play(
                    story,
                    device=stored[pick.device_id],
                    raiser=by_supplier[registered[pick.comms_hub_id]],
                    answerer=by_supplier.get(installer),
                    rng=rng,
                    start=started,
                )
            except services.IncidentError as exc:
                # The Device changed since the demo SMI was made (e.g. an SMI load).
                self.stdout.write(f"Skipped demo request for {pick.device_id}: {exc.message}")
                continue
            raised += 1
        return raised

    def _play(
        self,
        story: str,
        *,
        device: Device,
        raiser: User,
        answerer: User | None,
        rng: random.Random,
        start: dt.datetime,
    ) -> None:
        incident = services.incident_raise(actor=raiser, device_id=device.device_id, now=start)
        later = start + dt.timedelta(hours=3)
        if story in ("answered", "worked"):
            code = rng.randbytes(16).hex().upper()
            incident = services.incident_answer(
                actor=answerer, incident=incident, install_code=code, now=later
            )
        if story == "worked":
            services.incident_close(
                actor=raiser,
                incident=incident,
                outcome=CloseOutcome.CODE_WORKED,
                now=later + dt.timedelta(hours=2),
            )
        if story == "not_installed":
            services.incident_answer_not_installed(
                actor=answerer,
                incident=incident,
                now=later,
                reason="Our records show no installation at this address.",
            )

    # --- Output ---------------------------------------------------------------------------

    def _print_logins(self, aurora: Supplier) -> None:
        out = self.stdout
        out.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for spec in SUPPLIERS:
            out.write(f"  {spec.username:<12} {spec.name} (Supplier)")
        out.write(f"  {HELPDESK_USERNAME:<12} DCC helpdesk (admin at /admin/)")
        ids = ", ".join(requestable_by(aurora)[:3])
        out.write(
            f"Devices you can request as {SUPPLIERS[0].username}: {ids}   "
            "(eligible: right type/status, pre-notified by another Supplier, "
            f"{SUPPLIERS[0].name} registered for its meter point, no open request)"
        )
        out.write(f"Devices {SUPPLIERS[0].username} is refused a request for, one per reason:")
        for why, device_id in refused_for(aurora).items():
            out.write(f"  {device_id}  {REFUSAL_DEMOS[why]}")
        out.write(
            f"Install code to answer a request with: {format_install_code(DEMO_INSTALL_CODE)} "
            f"{crc_suffix(DEMO_INSTALL_CODE).hex().upper()}   (the last group is its CRC; the "
            "32 digits without it work too)"
        )
        awaiting = [
            f"{reference_for(pk)} as {DEMO_USERNAMES[name]}"
            for pk, name in Incident.objects.filter(status=IncidentStatus.AWAITING_INSTALLER)
            .order_by("pk")
            .values_list("pk", "assigned_supplier__name")[:3]
        ]
        if awaiting:
            out.write(f"Requests awaiting that answer: {', '.join(awaiting)}")


def refused_for(supplier: Supplier) -> dict[str, str]:
    """A Device ID for each refusal of :data:`REFUSAL_DEMOS` the Supplier would meet raising
    a request now, the first in ID order; a reason the data cannot show is left out."""
    open_request = Incident.objects.filter(device=OuterRef("pk"), status__in=OPEN_STATUSES)
    with_code = Device.objects.filter(device_type__in=TYPES_WITH_INSTALL_CODE).order_by("device_id")
    found: dict[str, str] = {}
    missing = format_device_id(NOT_IN_SMI_START)
    while Device.objects.filter(device_id=missing).exists():
        missing = format_device_id(f"{int(missing.replace('-', ''), 16) + 1:016X}")
    found["not_in_smi"] = missing
    commissioned = (
        with_code.filter(smi_status=SMIStatus.COMMISSIONED)
        .values_list("device_id", flat=True)
        .first()
    )
    if commissioned:
        found["ineligible_status"] = commissioned
    candidates = list(
        with_code.filter(
            smi_status__in=STATUSES_AWAITING_COMMISSIONING, installing_supplier__isnull=False
        )
        .exclude(installing_supplier=supplier)
        .exclude(Exists(open_request))
        .only("pk", "device_id", "mpxn", "comms_hub_id")[:200]
    )
    checked = entitlements(candidates, supplier.pk, on=registration_day(timezone.now()))
    elsewhere = next(
        (
            d.device_id
            for d in candidates
            if checked[d.pk].status == EntitlementStatus.NOT_REGISTERED
        ),
        None,
    )
    if elsewhere:
        found["not_registered"] = elsewhere
    already = (
        Incident.objects.filter(raising_supplier=supplier, status__in=OPEN_STATUSES)
        .order_by("device__device_id")
        .values_list("device__device_id", flat=True)
        .first()
    )
    if already:
        found["already_open"] = already
    return found


def requestable_by(supplier: Supplier) -> list[str]:
    """Device IDs the Supplier could raise a request for now (the registered Supplier of their
    meter point), first few in ID order."""
    open_request = Incident.objects.filter(device=OuterRef("pk"), status__in=OPEN_STATUSES)
    candidates = list(
        Device.objects.filter(
            device_type__in=TYPES_WITH_INSTALL_CODE,
            smi_status__in=STATUSES_AWAITING_COMMISSIONING,
            installing_supplier__isnull=False,
        )
        .exclude(installing_supplier=supplier)
        .exclude(Exists(open_request))
        .order_by("device_id")
        .only("pk", "device_id", "mpxn", "comms_hub_id")
    )
    checked = entitlements(candidates, supplier.pk, on=registration_day(timezone.now()))
    return [d.device_id for d in candidates if checked[d.pk].registered][:10]


def _demo_registrations(devices: list[Device], suppliers: list[Supplier]) -> dict[str, int]:
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


def _helpdesk_permissions() -> list[Permission]:
    """View and change on every model of the portal's apps, add on Suppliers, users and the
    inventory; no delete.
    django-axes' too: view to see who is locked out, change to lift a lockout."""
    wanted: set[tuple[int, str]] = set()
    for label in ("accounts", "inventory", "incidents", "notifications", "axes"):
        models = list(apps.get_app_config(label).get_models())
        for model, content_type in ContentType.objects.get_for_models(*models).items():
            actions = (
                ("view", "change", "add")
                if label in ("accounts", "inventory")
                else ("view", "change")
            )
            wanted.update(
                (content_type.pk, f"{action}_{model._meta.model_name}") for action in actions
            )
    content_types = {ct for ct, _ in wanted}
    return [
        perm
        for perm in Permission.objects.filter(content_type__in=content_types)
        if (perm.content_type_id, perm.codename) in wanted
    ]


def _demo_devices(rng: random.Random, suppliers: list[Supplier]) -> list[Device]:
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


def _mpxn(rng: random.Random, kind: str) -> str:
    if kind == DeviceType.ESME:
        # The first two digits of an MPAN core name the distributor (10 to 23).
        body = f"{rng.randint(10, 23)}{rng.randrange(10**10):010d}"
        return f"{body}{mpan_check_digit(body)}"
    if kind == DeviceType.GSME:
        body = f"{rng.randrange(10**7, 10**8)}"
        return f"{body}{mprn_check_digits(body)}"
    return ""
