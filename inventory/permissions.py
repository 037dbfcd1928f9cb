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
