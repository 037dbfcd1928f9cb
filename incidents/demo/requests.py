"""The demo's requests, raised through the services so that they carry events and emails like
real ones, and what the command prints: the logins and Device IDs to try."""

import datetime as dt
import random

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Supplier, User
from incidents import services
from incidents.calendar import answer_deadline, deadline_text, moment_text, working_day_calendar
from incidents.models import (
    OPEN_STATUSES,
    CloseOutcome,
    Incident,
    IncidentStatus,
    reference_for,
)
from inventory.identifiers import crc_suffix, format_install_code
from inventory.models import (
    STATUSES_AWAITING_COMMISSIONING,
    TYPES_WITH_INSTALL_CODE,
    Device,
    SMIStatus,
)
from inventory.selectors.registrations import EntitlementStatus, entitlements, registration_day
from ssi_portal.lib.identifiers import format_device_id

from .people import DEMO_PASSWORD, DEMO_USERNAMES, HELPDESK_USERNAME, SUPPLIERS

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


def demo_requests_raise(
    out,
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
        started = now - dt.timedelta(days=number % 4, hours=number)
        if story == "overdue":
            started = overdue_start(now, hours=number)
        try:
            _play(
                story,
                device=stored[pick.device_id],
                raiser=by_supplier[registered[pick.comms_hub_id]],
                answerer=by_supplier.get(installer),
                rng=rng,
                start=started,
            )
        except services.IncidentError as exc:
            # The Device changed since the demo SMI was made (e.g. an SMI load).
            out.write(f"Skipped demo request for {pick.device_id}: {exc.message}")
            continue
        raised += 1
    return raised


def overdue_start(now: dt.datetime, *, hours: int) -> dt.datetime:
    """When to raise a request for it to be overdue now: nine days ago, or earlier when bank
    holidays put its deadline after now (the sweep, not this, escalates it)."""
    calendar = working_day_calendar()
    started = now - dt.timedelta(days=9, hours=hours)
    while answer_deadline(started, calendar) >= now:
        started -= dt.timedelta(days=1)
    return started


def _play(
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


def demo_logins_print(out, aurora: Supplier) -> None:
    out.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    for spec in SUPPLIERS:
        out.write(f"  {spec.username:<12} {spec.name} (Supplier)")
    out.write(f"  {HELPDESK_USERNAME:<12} DCC helpdesk (admin at /admin/)")
    ids = ", ".join(requestable_by(aurora, count=3))
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
    overdue_print(out)


def overdue_print(out) -> None:
    """The demo's overdue requests: not escalated yet (the demo's beat escalates them within
    half a minute), or escalated and when."""
    now = timezone.now()
    overdue = (
        Incident.objects.filter(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=now)
        .select_related("raising_supplier", "assigned_supplier")
        .order_by("pk")
    )
    for incident in overdue[:3]:
        raiser = DEMO_USERNAMES.get(incident.raising_supplier.name, incident.raising_supplier.name)
        named = (
            f"{reference_for(incident.pk)} as {raiser} "
            f"({incident.assigned_supplier.name} was to answer by "
            f"{deadline_text(incident.due_at, now=now)})"
        )
        if incident.breached_at is None:
            out.write(
                f"Overdue, not escalated yet: {named}. The demo's beat escalates it within half "
                'a minute: its page then says "Deadline breached", and the emails to both '
                "Suppliers and the DCC helpdesk are written to the mail folder."
            )
        else:
            out.write(
                f"Overdue and escalated at {moment_text(incident.breached_at, now=now)}: {named}."
            )


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


def requestable_by(supplier: Supplier, *, count: int = 10) -> list[str]:
    """Device IDs the Supplier could raise a request for now (the registered Supplier of their
    meter point), the first ``count`` in ID order; read a few hundred at a time."""
    open_request = Incident.objects.filter(device=OuterRef("pk"), status__in=OPEN_STATUSES)
    candidates = (
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
    found: list[str] = []
    after = ""
    while len(found) < count:
        batch = list(candidates.filter(device_id__gt=after)[:500])
        if not batch:
            break
        checked = entitlements(batch, supplier.pk, on=registration_day(timezone.now()))
        found += [d.device_id for d in batch if checked[d.pk].registered]
        after = batch[-1].device_id
    return found[:count]
