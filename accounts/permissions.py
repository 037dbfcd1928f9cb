"""Who may do what, by a user's organisation and roles. Services enforce these; templates use
them to offer only what a user may do."""


def _active_supplier_user(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.supplier_id)


def user_may_raise(user) -> bool:
    """A Supplier user whose organisation lets them raise Requests for Install Code (one by one
    or by CSV)."""
    return _active_supplier_user(user) and user.can_raise


def user_may_answer(user) -> bool:
    """A Supplier user whose organisation lets them answer the requests assigned to it (with a
    code, "not installed by us", by CSV, or by lodging codes in advance)."""
    return _active_supplier_user(user) and user.can_answer


def can_manage_users(user) -> bool:
    """A Supplier's administrators manage its users, and no other organisation's."""
    return _active_supplier_user(user) and user.is_supplier_admin


def is_helpdesk_staff(user) -> bool:
    """DCC helpdesk staff, or an operator: who deactivates users, requires a new two-factor
    enrolment and invites a Supplier's first administrator (each logged)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_helpdesk or user.is_superuser)
    )


def is_operator(user) -> bool:
    """An operator of the portal: a superuser who is not helpdesk staff. Only operators add
    users, set passwords, organisations, roles and powers in the admin. The helpdesk role never
    does, even with a superuser flag: that is how it cannot act as a Supplier."""
    return bool(
        user.is_authenticated and user.is_active and user.is_superuser and not user.is_helpdesk
    )


def can_see_organisation_emails(user) -> bool:
    """A Supplier's users see its contact addresses and the emails sent to them."""
    return _active_supplier_user(user)


def can_manage_contacts(user) -> bool:
    """A Supplier's administrators manage the addresses its incident emails go to (the one
    "Supplier administrator" rule: :func:`can_manage_users`)."""
    return can_manage_users(user)
