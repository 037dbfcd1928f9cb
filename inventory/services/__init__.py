"""Writes of the inventory app. Import from here; the split is by sub-domain only:
``smi_load`` (the load of an SMI extract), ``smi_rows`` (its columns and row checks),
``smi_copy`` (its PostgreSQL writer), ``registrations`` (the registration services' extract)."""

from .registrations import (
    REGISTRATION_COLUMNS,
    RegistrationLoadError,
    RegistrationLoadReport,
    registrations_load_csv,
)
from .smi_load import (
    REPORTED_ISSUES,
    SmiLoadError,
    SmiLoadReport,
    SmiRowIssue,
    SmiStatusChange,
    smi_load_csv,
)
from .smi_rows import REJECT_FILE_HEADER, SMI_COLUMNS

__all__ = [
    "REGISTRATION_COLUMNS",
    "REJECT_FILE_HEADER",
    "REPORTED_ISSUES",
    "SMI_COLUMNS",
    "RegistrationLoadError",
    "RegistrationLoadReport",
    "SmiLoadError",
    "SmiLoadReport",
    "SmiRowIssue",
    "SmiStatusChange",
    "registrations_load_csv",
    "smi_load_csv",
]
