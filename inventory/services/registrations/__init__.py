"""Loading the registration services' extract. Import from here (or from
``inventory.services``); the split is by concern: ``load`` (the entry point, reading and
checking the rows), ``staging`` (the staging table and the SQL that writes the rows)."""

from .load import (
    REGISTRATION_COLUMNS,
    RegistrationLoadError,
    RegistrationLoadReport,
    RegistrationRowIssue,
    registrations_load_csv,
)

__all__ = [
    "REGISTRATION_COLUMNS",
    "RegistrationLoadError",
    "RegistrationLoadReport",
    "RegistrationRowIssue",
    "registrations_load_csv",
]
