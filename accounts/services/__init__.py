"""Writes of the accounts app. Import from here; the split is by sub-domain only: ``users``
(a Supplier's users, managed by its administrators), ``helpdesk`` (what the DCC helpdesk may
do to them),
``contacts`` (the addresses a Supplier receives its emails at), ``mfa`` (two-factor
authentication), ``lockouts`` (lifting a login lockout), ``security_events`` (the security
log)."""

from .contacts import ContactError, supplier_contact_add, supplier_contact_remove
from .helpdesk import (
    first_admin_invitation_refusal,
    first_admin_invited,
    supplier_first_admin_invite,
    supplier_first_admin_invite_again,
    user_helpdesk_deactivate,
)
from .lockouts import login_lockout_lift
from .mfa import (
    mfa_backup_codes_regenerate,
    mfa_enrolment_confirm,
    mfa_enrolment_start,
    mfa_helpdesk_reset,
    mfa_remove,
    mfa_reset,
    mfa_secrets_reseal,
    mfa_verify,
)
from .security_events import security_event_record
from .users import (
    AccountError,
    user_deactivate,
    user_invite,
    user_invite_again,
    user_reactivate,
    user_roles_change,
)

__all__ = [
    "AccountError",
    "ContactError",
    "first_admin_invitation_refusal",
    "first_admin_invited",
    "login_lockout_lift",
    "mfa_backup_codes_regenerate",
    "mfa_enrolment_confirm",
    "mfa_enrolment_start",
    "mfa_helpdesk_reset",
    "mfa_remove",
    "mfa_reset",
    "mfa_secrets_reseal",
    "mfa_verify",
    "security_event_record",
    "supplier_contact_add",
    "supplier_contact_remove",
    "supplier_first_admin_invite",
    "supplier_first_admin_invite_again",
    "user_deactivate",
    "user_helpdesk_deactivate",
    "user_invite",
    "user_invite_again",
    "user_reactivate",
    "user_roles_change",
]
