"""Writes of the inventory app. Import from here; the split is by sub-domain only:
``smi`` (the load of an SMI extract), ``registrations`` (the registration services' extract),
``load_files`` (what both loaders share in reading a file and writing its rejects)."""

from .registrations import (
    REGISTRATION_COLUMNS,
    RegistrationLoadError,
    RegistrationLoadReport,
    registrations_load_csv,
)
from .smi import (
    REJECT_FILE_HEADER,
    REPORTED_ISSUES,
    SMI_COLUMNS,
    SmiLoadError,
    SmiLoadReport,
    SmiRowIssue,
    SmiStatusChange,
    smi_load_csv,
)

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
