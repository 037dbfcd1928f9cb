"""Install codes lodged in advance by the installing Supplier (the direction of SEC MP281).

A Supplier lodges codes for Devices it pre-notified, by CSV (:mod:`.bulk.lodging`) or in a
batch through the API (:func:`lodged_codes_lodge`), both under the rules of
:func:`lodge_refusal`, and may withdraw them (:func:`lodged_codes_withdraw`). A request later
raised for such a Device is answered at once from the lodged code, which moves into the
incident (sealed again, bound to the incident) and leaves this table. Lodged codes are sealed
like every install code, bound to their Device (``lodged:<Device ID>``), and purged once the
Device is commissioned or has left the SMI, or after ``SSI_LODGED_CODE_RETENTION_DAYS``.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import SecurityEventKind
from accounts.services import security_event_record
from inventory.identifiers import parse_install_code
from inventory.models import Device, SMIStatus
from ssi_portal.lib.bulk_sql import in_values
from ssi_portal.lib.compiled import CompiledQuery
from ssi_portal.lib.crypto import SecretError, key_ring
from ssi_portal.lib.identifiers import IdentifierError, parse_device_id

from ..models import (
    OPEN_STATUSES,
    Assignment,
    BulkKind,
    Incident,
    IncidentEvent,
    LodgedCode,
    reference_for,
)
from ..permissions import upload_access
from .common import IncidentError
from .events import change_of, record_events
from .lifecycle import ANSWER_FIELDS, answer_with_code

logger = logging.getLogger(__name__)
Kind = IncidentEvent.Kind

# SMI statuses after which a lodged code can never be used.
PURGED_STATUSES = (SMIStatus.COMMISSIONED, SMIStatus.DECOMMISSIONED, SMIStatus.WITHDRAWN)


def answered_from_lodged_message(supplier_name: str) -> str:
    return f"Answered at once from the install code {supplier_name} lodged in advance."


# --- Using lodged codes -------------------------------------------------------------------------


def lodged_codes_take(devices: Iterable[Device]) -> dict[int, bytes]:
    """Remove and return the usable lodged codes of ``devices``: {Device pk: 16-byte code}.

    Usable: lodged by the Device's installing Supplier as the SMI names it now. Call inside the
    transaction that answers from the codes: their rows are locked and deleted in it, so a code
    answers one request only. A code that no longer opens (its key was retired) is left for
    the purge and the request waits for an answer as usual.
    """
    by_pk = {d.pk: d for d in devices if d.installing_supplier_id}
    if not by_pk:
        return {}
    if len(by_pk) == 1:
        rows = _LODGED_CODE.rows(*by_pk, using=router.db_for_write(LodgedCode))
    else:
        rows = _lodged_codes(in_values("device_id", by_pk, "bigint"))
    ring = key_ring()
    taken: dict[int, bytes] = {}
    for device_pk, supplier_id, sealed in rows:
        device = by_pk[device_pk]
        if supplier_id != device.installing_supplier_id:
            continue
        try:
            taken[device_pk] = ring.open(sealed, aad=LodgedCode.seal_context_for(device.device_id))
        except SecretError:
            logger.warning("Lodged code of Device %s does not open; left unused.", device_pk)
    if taken:
        LodgedCode.objects.filter(device_id__in=taken).delete()
    return taken


def _lodged_codes(which) -> QuerySet[LodgedCode]:
    return (
        LodgedCode.objects.select_for_update()
        .filter(which)
        .values_list("device_id", "supplier_id", "code_sealed")
    )


# A single raise reads its Device's code through this: compiled once, not on every raise.
_LODGED_CODE = CompiledQuery(lambda pk: _lodged_codes(Q(device_id=pk)), kinds=(int,))


def incident_answer_from_lodged_code(
    incident: Incident, *, code: bytes, actor, raised_message: str, now: dt.datetime
) -> Incident:
    """Answer a request just raised (saved, clock started) from a code taken from its lodged
    code, inside the raise's transaction.

    Writes the ``raised`` event without its "assigned" email (there is nothing left to answer)
    and a ``code_provided`` event by the portal, marked as answered from a lodged code; emails
    the raiser that the code is there, and the installing Supplier that its code was used.
    """
    raised = change_of(incident, Kind.RAISED, actor=actor, from_status="", message=raised_message)
    installer = incident.assigned_supplier
    answer = answer_with_code(incident, supplier_id=installer.pk, code=code, now=now)
    Assignment.objects.filter(incident=incident, ended_at__isnull=True).update(
        **answer.clock_fields
    )
    incident.save(update_fields=ANSWER_FIELDS)
    answered = change_of(
        incident,
        Kind.CODE_PROVIDED,
        actor=None,
        from_status=answer.from_status,
        message=answered_from_lodged_message(installer.name),
    )
    record_events([raised, answered], now=now)
    return incident


# --- Lodging and withdrawing -------------------------------------------------------------------

MAX_BATCH = 1000
LODGED_MESSAGE = "Install code lodged: a request raised for this Device is answered at once."
REPLACED_MESSAGE = " It replaces the code lodged before."


@dataclass(frozen=True)
class Lookup:
    """What the rules of lodging read of a batch of Devices, in three queries."""

    devices: dict[str, Device]  # by canonical Device ID
    open_requests: dict[int, int]  # Device pk -> its open incident's pk
    lodged: set[int]  # Device pks with a code lodged already


def lodge_lookup(device_ids: Sequence[str]) -> Lookup:
    devices = {
        d.device_id: d
        for d in Device.objects.filter(in_values("device_id", list(device_ids), "text")).only(
            "pk", "device_id", "device_type", "smi_status", "installing_supplier_id"
        )
    }
    pks = [d.pk for d in devices.values()]
    open_requests = dict(
        Incident.objects.filter(
            in_values("device_id", pks, "bigint"), status__in=OPEN_STATUSES
        ).values_list("device_id", "pk")
    )
    lodged = set(
        LodgedCode.objects.filter(in_values("device_id", pks, "bigint")).values_list(
            "device_id", flat=True
        )
    )
    return Lookup(devices, open_requests, lodged)


def lodge_refusal(supplier, device_id: str, lookup: Lookup) -> IncidentError | None:
    """Why ``supplier`` may not lodge the code of Device ``device_id`` (canonical), or None:
    only the installing Supplier, as the SMI names it now, for a Device a request could be
    raised for that has no open request."""
    # raising imports this module (to answer from lodged codes): import its rule late.
    from .raising import device_ineligible

    device = lookup.devices.get(device_id)
    ineligible = device_ineligible(device, device_id)
    if ineligible and ineligible.code == "not_in_smi":
        return ineligible
    if device.installing_supplier_id != supplier.pk:
        return IncidentError(
            "not_prenotified_by_you",
            f"{supplier.name} did not pre-notify Device {device_id}: only the installing "
            "Supplier may lodge its install code.",
            field="device_id",
        )
    if ineligible:
        return ineligible
    if device.pk in lookup.open_requests:
        return IncidentError(
            "already_open",
            f"Device {device_id} already has an open Request for Install Code, "
            f"{reference_for(lookup.open_requests[device.pk])}: answer that request instead "
            "of lodging the code.",
            field="device_id",
        )
    return None


def lodged_codes_store(
    entries: Sequence[tuple[Device, bytes]], *, supplier, actor, now: dt.datetime
) -> None:
    """Insert or replace the lodged codes of ``entries`` (Device, 16-byte code), sealed to
    their Devices, as lodged by ``actor`` now. One statement."""
    ring = key_ring()
    LodgedCode.objects.bulk_create(
        [
            LodgedCode(
                device_id=device.pk,
                supplier_id=supplier.pk,
                code_sealed=ring.seal(code, aad=LodgedCode.seal_context_for(device.device_id)),
                lodged_by_id=actor.pk,
                lodged_at=now,
            )
            for device, code in entries
        ],
        update_conflicts=True,
        unique_fields=["device"],
        update_fields=["supplier", "code_sealed", "lodged_by", "lodged_at"],
    )


@dataclass(frozen=True)
class ItemResult:
    """What became of one item of a batch: ``lodged``, ``withdrawn`` or ``refused`` (with the
    reason ``code``). ``device_id`` is canonical, or "" when the item's did not parse."""

    index: int
    device_id: str
    result: str
    code: str = ""
    message: str = ""
    replaced: bool = False


def _refused(index: int, device_id: str, code: str, message: str) -> ItemResult:
    return ItemResult(index, device_id, "refused", code, message)


def _may_lodge(actor) -> None:
    access = upload_access(actor, BulkKind.LODGE)
    if not access:
        raise PermissionDenied(access.refusal.text)


def _batch_size(items: Sequence) -> None:
    if not items:
        raise IncidentError("empty_batch", "Send at least one item.", field="items")
    if len(items) > MAX_BATCH:
        raise IncidentError(
            "batch_too_large",
            f"A batch holds at most {MAX_BATCH:,} items; this one has {len(items):,}. "
            "Send it in several batches.",
            field="items",
        )


def _parsed(values: Sequence, parse_more=None) -> tuple[dict[int, tuple], list[ItemResult]]:
    """Each item's canonical Device ID (and what ``parse_more`` reads of it) by index, and the
    refusals of the items that did not parse or repeat an earlier item. As in a lodge file,
    only an item that parsed can repeat an earlier one, and every later one is refused,
    whatever became of the first."""
    parsed: dict[int, tuple] = {}
    refused: list[ItemResult] = []
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        raw, rest = (value, None) if parse_more is None else value
        try:
            device_id = parse_device_id(raw)
        except IdentifierError as exc:
            refused.append(_refused(index, "", "bad_format", str(exc)))
            continue
        try:
            more = parse_more(rest) if parse_more else None
        except IdentifierError as exc:
            refused.append(_refused(index, device_id, "bad_install_code", str(exc)))
            continue
        earlier = first.setdefault(device_id, index)
        if earlier != index:
            refused.append(
                _refused(
                    index,
                    device_id,
                    "duplicate_in_batch",
                    f"Device {device_id} is also at index {earlier} of this batch; only index "
                    f"{earlier} is used.",
                )
            )
            continue
        parsed[index] = (device_id, more)
    return parsed, refused


def lodged_codes_lodge(
    *, actor, items: Sequence[tuple[str, str]], now: dt.datetime | None = None
) -> list[ItemResult]:
    """Lodge a batch of (Device ID, install code) for the actor's Supplier, item by item.

    Preconditions: the actor may lodge codes (a Supplier user with the role to answer), else
    ``PermissionDenied``; 1 to :data:`MAX_BATCH` items, else ``IncidentError``. Each item is
    lodged or refused with its own reason, as a row of a lodge file is (the same rules and
    words; a repeated Device is ``duplicate_in_batch``); a refused item writes nothing, and
    the lodged ones are written in one transaction. Each lodged code records who lodged it
    and when, as a lodge file's do; no event (there is no incident), nothing queued.
    """
    _may_lodge(actor)
    _batch_size(items)
    now = now or timezone.now()
    by_index, results = _parsed(items, parse_install_code)
    supplier = actor.supplier
    with transaction.atomic():
        lookup = lodge_lookup([device_id for device_id, _ in by_index.values()])
        entries = []
        for index, (device_id, code) in by_index.items():
            error = lodge_refusal(supplier, device_id, lookup)
            if error:
                results.append(_refused(index, device_id, error.code, error.message))
                continue
            device = lookup.devices[device_id]
            entries.append((device, code))
            replaced = device.pk in lookup.lodged
            message = LODGED_MESSAGE + (REPLACED_MESSAGE if replaced else "")
            results.append(ItemResult(index, device_id, "lodged", "", message, replaced))
        if entries:
            lodged_codes_store(entries, supplier=supplier, actor=actor, now=now)
    return sorted(results, key=lambda r: r.index)


def lodged_codes_withdraw(
    *, actor, device_ids: Sequence[str], now: dt.datetime | None = None
) -> list[ItemResult]:
    """Withdraw the codes the actor's Supplier lodged for a batch of Devices, item by item.

    Preconditions as :func:`lodged_codes_lodge`. A Device without a code lodged by the
    actor's Supplier (none lodged, or another Supplier's) is refused ``not_lodged``, in the
    same words either way. In one transaction the codes are deleted and each withdrawal is
    recorded in the security log (kind ``lodged_code_withdrawn``, the Device ID as reference);
    nothing queued.
    """
    _may_lodge(actor)
    _batch_size(device_ids)
    now = now or timezone.now()
    parsed, results = _parsed(device_ids)
    by_index = {index: device_id for index, (device_id, _) in parsed.items()}
    supplier = actor.supplier
    with transaction.atomic():
        held = dict(
            LodgedCode.objects.select_for_update(of=("self",))
            .filter(
                supplier_id=supplier.pk,
                device__device_id__in=list(by_index.values()),
            )
            .values_list("device__device_id", "pk")
        )
        LodgedCode.objects.filter(pk__in=held.values()).delete()
        for index, device_id in by_index.items():
            if device_id not in held:
                results.append(
                    _refused(
                        index,
                        device_id,
                        "not_lodged",
                        f"{supplier.name} has no install code lodged for Device {device_id}.",
                    )
                )
                continue
            security_event_record(
                kind=SecurityEventKind.LODGED_CODE_WITHDRAWN,
                actor=actor,
                reference=device_id,
                detail=f"Withdrew the install code lodged for Device {device_id}.",
                now=now,
            )
            results.append(
                ItemResult(index, device_id, "withdrawn", "", "Lodged install code withdrawn.")
            )
    return sorted(results, key=lambda r: r.index)


# --- Purge --------------------------------------------------------------------------------------


def lodged_codes_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the lodged codes that can no longer be used (Device Commissioned, Decommissioned
    or Withdrawn) or that are older than ``SSI_LODGED_CODE_RETENTION_DAYS``. One DELETE; safe
    to run twice. Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SSI_LODGED_CODE_RETENTION_DAYS)
    deleted, _ = LodgedCode.objects.filter(
        Q(device__smi_status__in=PURGED_STATUSES) | Q(lodged_at__lt=cutoff)
    ).delete()
    return deleted
