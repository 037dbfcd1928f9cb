"""Writes of the inventory app. Import from here; the split is by sub-domain only:
``smi`` (the load of an SMI extract), ``registrations`` (the registration services' extract),
``load_files`` (what both loaders share in reading a file and writing its rejects),
``accounts`` (a Supplier's users, managed by its administrators, and what the DCC helpdesk
may do to them), ``mfa`` (two-factor authentication), ``lockouts`` (lifting a login lockout),
``security_events`` (the security log)."""

from .accounts import (
    AccountError,
    first_admin_invitation_refusal,
    first_admin_invited,
    supplier_first_admin_invite,
    supplier_first_admin_invite_again,
    user_deactivate,
    user_helpdesk_deactivate,
    user_invite,
    user_invite_again,
    user_reactivate,
    user_roles_change,
)
from .lockouts import login_lockout_lift
from .mfa import (
    mfa_backup_codes_regenerate,
    mfa_enrolment_confirm,
    mfa_enrolment_start,
    mfa_helpdesk_reset,
    mfa_remove,
    mfa_reset,
    mfa_verify,
)
from .registrations import (
    REGISTRATION_COLUMNS,
    RegistrationLoadError,
    RegistrationLoadReport,
    registrations_load_csv,
)
from .security_events import security_event_record
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
    "AccountError",
    "RegistrationLoadError",
    "RegistrationLoadReport",
    "SmiLoadError",
    "SmiLoadReport",
    "SmiRowIssue",
    "SmiStatusChange",
    "first_admin_invitation_refusal",
    "first_admin_invited",
    "login_lockout_lift",
    "mfa_backup_codes_regenerate",
    "mfa_enrolment_confirm",
    "mfa_enrolment_start",
    "mfa_helpdesk_reset",
    "mfa_remove",
    "mfa_reset",
    "mfa_verify",
    "registrations_load_csv",
    "security_event_record",
    "smi_load_csv",
    "supplier_first_admin_invite",
    "supplier_first_admin_invite_again",
    "user_deactivate",
    "user_helpdesk_deactivate",
    "user_invite",
    "user_invite_again",
    "user_reactivate",
    "user_roles_change",
]
