"""Who may see and change what in the notifications app."""


def can_see_organisation_emails(user) -> bool:
    return bool(user.is_authenticated and user.supplier_id)


def can_manage_contacts(user) -> bool:
    """A Supplier's administrators manage the addresses its incident emails go to."""
    return bool(user.is_authenticated and user.supplier_id and user.is_supplier_admin)
