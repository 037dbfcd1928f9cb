"""The incidents app's models, one module per concern; every name is importable from here."""

from .assignments import ANSWERED_OUTCOMES, Assignment, AssignmentOutcome
from .bulk import BulkKind, BulkOutcome, BulkResult, BulkRow, BulkStatus, BulkUpload
from .calendar import NonWorkingDay
from .events import EventKind, IncidentEvent
from .incidents import (
    OPEN_STATUSES,
    STATUS_PHRASES,
    TRANSITIONS,
    CloseOutcome,
    Incident,
    IncidentStatus,
    PortalCloseOutcome,
    RaiseChannel,
    pk_from_reference,
    reference_for,
)
from .lodged import LodgedCode
from .tallies import RaiseTally

__all__ = [
    "ANSWERED_OUTCOMES",
    "OPEN_STATUSES",
    "STATUS_PHRASES",
    "TRANSITIONS",
    "Assignment",
    "AssignmentOutcome",
    "BulkKind",
    "BulkOutcome",
    "BulkResult",
    "BulkRow",
    "BulkStatus",
    "BulkUpload",
    "CloseOutcome",
    "EventKind",
    "Incident",
    "IncidentEvent",
    "IncidentStatus",
    "LodgedCode",
    "NonWorkingDay",
    "PortalCloseOutcome",
    "RaiseChannel",
    "RaiseTally",
    "pk_from_reference",
    "reference_for",
]
