from django.db import models
from django.db.models import Q
from django.utils import timezone

from ssi_portal.lib.identifiers import IdentifierError, parse_device_id
from ssi_portal.lib.sql_checks import digits_check, eui64_check


class DeviceType(models.TextChoices):
    ESME = "ESME", "ESME (electricity meter)"
    GSME = "GSME", "GSME (gas meter)"
    CHF = "CHF", "CHF (Communications Hub Function)"
    GPF = "GPF", "GPF (Gas Proxy Function)"
    PPMID = "PPMID", "PPMID (prepayment interface)"
    HCALCS = "HCALCS", "HCALCS (auxiliary load control switch)"
    SAPC = "SAPC", "SAPC (auxiliary proportional controller)"
    IHD = "IHD", "IHD (in-home display, Type 2)"
    CAD = "CAD", "CAD (consumer access device, Type 2)"


class SMIStatus(models.TextChoices):
    PENDING = "Pending"
    WHITELISTED = "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned", "Installed Not Commissioned"
    COMMISSIONED = "Commissioned"
    DECOMMISSIONED = "Decommissioned"
    WITHDRAWN = "Withdrawn"
    SUSPENDED = "Suspended"
    RECOVERY = "Recovery"
    RECOVERED = "Recovered"


# Product decisions (DOMAIN.md): which Devices an install code may be requested for.
TYPES_WITH_INSTALL_CODE = frozenset(
    {DeviceType.ESME, DeviceType.GSME, DeviceType.PPMID, DeviceType.HCALCS, DeviceType.SAPC}
)
TYPE_2_DEVICES = frozenset({DeviceType.IHD, DeviceType.CAD})
STATUSES_AWAITING_COMMISSIONING = frozenset(
    {SMIStatus.PENDING, SMIStatus.WHITELISTED, SMIStatus.INSTALLED_NOT_COMMISSIONED}
)


class Device(models.Model):
    """A Device of the Smart Metering Inventory."""

    device_id = models.CharField("Device ID", max_length=23, unique=True)
    device_type = models.CharField(max_length=6, choices=DeviceType.choices)
    smi_status = models.CharField(
        "SMI status",
        max_length=24,
        choices=SMIStatus.choices,
        null=True,
        blank=True,
        help_text="Type 2 Devices have no SMI status.",
    )
    status_effective_date = models.DateField(null=True, blank=True)
    manufacturer = models.CharField(max_length=80, blank=True)
    model = models.CharField(max_length=80, blank=True)
    mpxn = models.CharField(
        "MPxN",
        max_length=13,
        blank=True,
        help_text="MPAN core (electricity) or MPRN (gas) of a meter.",
    )
    comms_hub_id = models.CharField("Communications Hub", max_length=23, blank=True)
    installing_supplier = models.ForeignKey(
        "accounts.Supplier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prenotified_devices",
        help_text="The Supplier that pre-notified the Device to DCC.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["device_id"]
        indexes = [
            models.Index(fields=["mpxn"], name="device_mpxn_idx"),
            # A PPMID, HCALCS or SAPC has no MPxN of its own: its meter points are those of
            # the meters on its Communications Hub (the entitlement to raise reads them).
            models.Index(
                fields=["comms_hub_id"], condition=~Q(mpxn=""), name="device_hub_meters_idx"
            ),
        ]
        constraints = [
            # ^([0-9A-F]{2}-){7}[0-9A-F]{2}$, said without a regular expression: checked on
            # every row a load writes, where one cost several microseconds a row.
            models.CheckConstraint(condition=eui64_check("device_id"), name="device_id_canonical"),
            models.CheckConstraint(
                condition=Q(device_type__in=DeviceType.values),
                name="device_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(smi_status__isnull=True) | Q(smi_status__in=SMIStatus.values),
                name="device_smi_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} ({self.device_type})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            self.device_id = parse_device_id(self.device_id)
        except IdentifierError as exc:
            raise ValidationError({"device_id": str(exc)}) from exc


class Registration(models.Model):
    """Which Supplier the registration services record for a meter point from a date.

    One row per registration period; the current registration of an MPxN on a day is the row
    with the latest ``effective_from`` on or before it whose ``effective_to`` (inclusive) has
    not passed. Loaded from the registration services' extracts (``load_registrations``);
    the raising rule and the cancellation of requests read it
    (:mod:`inventory.registration`).
    """

    mpxn = models.CharField(
        "MPxN", max_length=13, help_text="MPAN core (13 digits) or MPRN (6 to 10 digits)."
    )
    supplier = models.ForeignKey(
        "accounts.Supplier", on_delete=models.PROTECT, related_name="registrations"
    )
    effective_from = models.DateField()
    effective_to = models.DateField(
        null=True, blank=True, help_text="Last day of the registration; empty while it lasts."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["mpxn", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["mpxn", "effective_from"], name="registration_mpxn_from_unique"
            ),
            # ^([0-9]{13}|[0-9]{6,10})$, without a regular expression (as the Device ID's).
            models.CheckConstraint(
                condition=digits_check("mpxn", 13, (6, 10)), name="registration_mpxn_digits"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="registration_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        until = f" to {self.effective_to}" if self.effective_to else ""
        return f"{self.mpxn}: {self.supplier} from {self.effective_from}{until}"
