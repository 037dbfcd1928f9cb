"""Lodging install codes in advance by CSV: rows ``device_id,install_code``.

Only the installing Supplier (the one that pre-notified the Device, as the SMI says now) may
lodge a Device's code, for a Device of a type and SMI status a request could be raised for.
A row for a Device with a code already lodged replaces it.
"""

import datetime as dt

from incidents.models import BulkOutcome
from incidents.services.bulk.files import SourceRow
from incidents.services.bulk.rows import Parsed, RowHandler, RowResult, cell
from incidents.services.lodged import (
    LODGED_MESSAGE,
    REPLACED_MESSAGE,
    lodge_lookup,
    lodge_refusal,
    lodged_codes_store,
)
from inventory.identifiers import parse_install_code
from ssi_portal.lib.identifiers import IdentifierError, parse_device_id


class LodgeRows(RowHandler):
    """Rows ``device_id,install_code`` of a lodge file, upserted into ``LodgedCode`` under
    the rules of :func:`incidents.services.lodged.lodge_refusal`."""

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
        lookup = lodge_lookup([p.key for p in parsed])
        results: list[RowResult] = []
        entries = []
        for p in parsed:
            error = lodge_refusal(self.supplier, p.key, lookup)
            if error:
                device = lookup.devices.get(p.key)
                incident_id = (
                    lookup.open_requests.get(device.pk) if error.code == "already_open" else None
                )
                results.append(self.refused_by(p.line, p.key, error, incident_id=incident_id))
                continue
            device = lookup.devices[p.key]
            entries.append((device, p.code))
            message = LODGED_MESSAGE + (REPLACED_MESSAGE if device.pk in lookup.lodged else "")
            results.append(self.accepted(p.line, p.key, BulkOutcome.LODGED, message))
        if entries:
            lodged_codes_store(entries, supplier=self.supplier, actor=self.actor, now=now)
        return results
