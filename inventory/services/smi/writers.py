"""The SMI load's writer for databases other than PostgreSQL (SQLite, the embedded default):
``bulk_create`` upserts, chunk by chunk. Slower than :mod:`.copy_writer`, same results."""

import operator

from ...models import Device
from .report import SmiLoadReport
from .rows import DEVICE_DATA_FIELDS, SMI_COLUMNS, canonical_device

# ``updated_at`` moves only when one of the Device's fields changes.
_UPDATE_FIELDS = [*DEVICE_DATA_FIELDS, "updated_at"]


class ModelWriter:
    """Writes through the ORM, chunk by chunk (SQLite): read the chunk's Devices,
    ``bulk_create`` the new and changed ones with ``update_conflicts``; rows that match are
    left untouched.

    The comparison read is not locked: under two concurrent loads of overlapping files the
    counts may be off, but the upsert itself stays correct (last writer wins per row).
    """

    def __init__(self, *, columns: list[str], suppliers: dict[str, int], report: SmiLoadReport):
        self._pick = operator.itemgetter(*(columns.index(name) for name in SMI_COLUMNS))
        self._suppliers = suppliers
        self._report = report

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def write(self, lines: list[str], devices: list[Device]) -> None:
        suppliers = self._suppliers
        devices = [
            *devices,
            *(canonical_device(self._pick(line.split(",")), suppliers) for line in lines),
        ]
        if devices:
            self._upsert(devices)

    def finish(self) -> None:
        self._report.method = "bulk_create"

    def _upsert(self, devices: list[Device]) -> None:
        report = self._report
        existing = {
            row[0]: row[1:]
            for row in Device.objects.filter(device_id__in=[d.device_id for d in devices])
            .order_by()
            .values_list("device_id", "pk", *DEVICE_DATA_FIELDS)
        }
        changed = []
        for device in devices:
            before = existing.get(device.device_id)
            if before is None:
                report.created += 1
            elif before[1:] == tuple(getattr(device, name) for name in DEVICE_DATA_FIELDS):
                report.unchanged += 1
                continue
            else:
                report.updated += 1
                pk, old_status = before[0], before[2]
                if old_status != device.smi_status:
                    report.record_status_change(pk, device.device_id, old_status, device.smi_status)
            changed.append(device)
        if changed:
            Device.objects.bulk_create(
                changed,
                update_conflicts=True,
                unique_fields=["device_id"],
                update_fields=_UPDATE_FIELDS,
            )
