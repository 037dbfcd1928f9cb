"""The DCC helpdesk's view of Suppliers, their users and the security log, the outbox's
Supplier column, and the admin site's guards (``site``, ``log``, ``lockouts``)."""

from . import (  # noqa: F401 (each module registers its pages)
    lockouts,
    outbox,
    security_log,
    suppliers,
    users,
)
