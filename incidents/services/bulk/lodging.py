"""Lodging install codes in advance by CSV: rows ``device_id,install_code``.

Only the installing Supplier (the one that pre-notified the Device, as the SMI says now) may
lodge a Device's code, for a Device of a type and SMI status a request could be raised for.
A row for a Device with a code already lodged replaces it.
"""

import datetime as dt

from incidents.models import OPEN_STATUSES, BulkOutcome, Incident, LodgedCode, reference_for
from incidents.services.bulk.files import SourceRow
from incidents.services.bulk.rows import Parsed, RowHandler, RowResult, cell
from incidents.services.raising import device_ineligible
from inventory.identifiers import parse_install_code
from inventory.models import Device
from ssi_portal.lib.bulk_sql import in_values
from ssi_portal.lib.crypto import key_ring
from ssi_portal.lib.identifiers import IdentifierError, parse_device_id


class LodgeRows(RowHandler):
    """Rows ``device_id,install_code`` of a lodge file, upserted into :class:`LodgedCode`."""

    def parse(self, row: SourceRow) -> Parsed | RowResult:
        bad = self.bad_columns(row)
        if bad:
            return bad
        try:
            device_id = parse_device_id(cell(row, 0))
        except IdentifierError as exc:
            return self.refused(row.line, "", "bad_format", str(exc))
        try:
            code = parse_install_code(cell(row, 1))
        except IdentifierError as exc:
            return self.refused(row.line, device_id, "bad_install_code", str(exc))
        # Only a row that parsed can repeat an earlier one: each bad row says what is wrong.
        duplicate = self.duplicate(row.line, device_id, what="Device")
        return duplicate or Parsed(row.line, device_id, code=code)

    def apply(self, parsed: list[Parsed], *, now: dt.datetime) -> list[RowResult]:
        devices = {
            d.device_id: d
            for d in Device.objects.filter(
                in_values("device_id", [p.key for p in parsed], "text")
            ).only("pk", "device_id", "device_type", "smi_status", "installing_supplier_id")
        }
        pks = [d.pk for d in devices.values()]
        open_requests = dict(
            Incident.objects.filter(
                in_values("device_id", pks, "bigint"), status__in=OPEN_STATUSES
            ).values_list("device_id", "pk")
        )
        replaced = set(
            LodgedCode.objects.filter(in_values("device_id", pks, "bigint")).values_list(
                "device_id"
            )
        )
        ring = key_ring()
        results: list[RowResult] = []
        lodged: list[LodgedCode] = []
        for p in parsed:
            device = devices.get(p.key)
            refusal = self._refusal(p, device, open_requests)
            if refusal:
                results.append(refusal)
                continue
            lodged.append(
                LodgedCode(
                    device_id=device.pk,
                    supplier_id=self.supplier.pk,
                    code_sealed=ring.seal(p.code, aad=LodgedCode.seal_context_for(p.key)),
                    lodged_by_id=self.actor.pk,
                    lodged_at=now,
                )
            )
            message = "Install code lodged: a request raised for this Device is answered at once."
            if (device.pk,) in replaced:
                message += " It replaces the code lodged before."
            results.append(self.accepted(p.line, p.key, BulkOutcome.LODGED, message))
        if lodged:
            LodgedCode.objects.bulk_create(
                lodged,
                update_conflicts=True,
                unique_fields=["device"],
                update_fields=["supplier", "code_sealed", "lodged_by", "lodged_at"],
            )
        return results

    def _refusal(self, p: Parsed, device: Device | None, open_requests) -> RowResult | None:
        device_id = p.key
        ineligible = device_ineligible(device, device_id)
        if ineligible and ineligible.code == "not_in_smi":
            return self.refused_by(p.line, device_id, ineligible)
        if device.installing_supplier_id != self.supplier.pk:
            return self.refused(
                p.line,
                device_id,
                "not_prenotified_by_you",
                f"{self.supplier.name} did not pre-notify Device {device_id}: only the "
                "installing Supplier may lodge its install code.",
            )
        if ineligible:
            return self.refused_by(p.line, device_id, ineligible)
        if device.pk in open_requests:
            reference = reference_for(open_requests[device.pk])
            return self.refused(
                p.line,
                device_id,
                "already_open",
                f"Device {device_id} already has an open Request for Install Code, "
                f"{reference}: answer that request instead of lodging the code.",
                incident_id=open_requests[device.pk],
            )
        return None
