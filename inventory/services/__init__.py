"""Writes of the inventory app. Import from here; the split is by sub-domain only:
``smi_load`` (the load of an SMI extract), ``smi_rows`` (its columns and row checks),
``smi_copy`` (its PostgreSQL writer), ``accounts`` (a Supplier's users, managed by its
administrators), ``mfa`` (two-factor authentication), ``security_events`` (the security log)."""

from .accounts import (
    AccountError,
    user_deactivate,
    user_invite,
    user_invite_again,
    user_reactivate,
    user_roles_change,
)
from .mfa import (
    mfa_backup_codes_regenerate,
    mfa_enrolment_confirm,
    mfa_enrolment_start,
    mfa_remove,
    mfa_reset,
    mfa_verify,
)
from .security_events import security_event_record
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
    "REJECT_FILE_HEADER",
    "REPORTED_ISSUES",
    "SMI_COLUMNS",
    "AccountError",
    "SmiLoadError",
    "SmiLoadReport",
    "SmiRowIssue",
    "SmiStatusChange",
    "mfa_backup_codes_regenerate",
    "mfa_enrolment_confirm",
    "mfa_enrolment_start",
    "mfa_remove",
    "mfa_reset",
    "mfa_verify",
    "security_event_record",
    "smi_load_csv",
    "user_deactivate",
    "user_invite",
    "user_invite_again",
    "user_reactivate",
    "user_roles_change",
]
