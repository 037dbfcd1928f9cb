"""What an SMI load tells its caller: the refusal of a whole file, and the report of a load."""

from array import array
from collections import Counter
from dataclasses import dataclass, field

from ..load_files import LoadFileError

REPORTED_ISSUES = 1000


class SmiLoadError(LoadFileError):
    """The file is refused whole and nothing was written; ``str(error)`` is fit to show."""


@dataclass(frozen=True)
class SmiRowIssue:
    line: int
    device_id: str
    reason: str


@dataclass(frozen=True)
class SmiStatusChange:
    """A Device already in the inventory whose SMI status the load changed."""

    device_pk: int
    device_id: str
    old_status: str | None
    new_status: str | None


@dataclass
class SmiLoadReport:
    """Counts of one load. ``rejects``, ``warning_notes`` and ``status_change_notes`` keep the
    first ``REPORTED_ISSUES``; the counts, the reject file and ``status_changed_device_pks``
    cover every row.

    ``method`` says how the rows were written: ``copy`` (PostgreSQL staging table and one
    upsert), ``copy-initial`` (PostgreSQL, first load into an empty table: indexes rebuilt
    after the insert) or ``bulk_create`` (other databases).
    """

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    status_changes: int = 0
    method: str = ""
    rejects: list[SmiRowIssue] = field(default_factory=list)
    warning_notes: list[SmiRowIssue] = field(default_factory=list)
    status_change_notes: list[SmiStatusChange] = field(default_factory=list)
    # 8 bytes per Device, whatever the size of the load.
    status_changed_device_pks: array = field(default_factory=lambda: array("q"))
    # New SMI status -> how many Devices moved to it.
    status_changes_to: Counter = field(default_factory=Counter)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged

    def record_status_change(
        self, device_pk: int, device_id: str, old_status: str | None, new_status: str | None
    ) -> None:
        self.status_changes += 1
        self.status_changed_device_pks.append(device_pk)
        self.status_changes_to[new_status] += 1
        if len(self.status_change_notes) < REPORTED_ISSUES:
            self.status_change_notes.append(
                SmiStatusChange(device_pk, device_id, old_status, new_status)
            )
