"""The orders the lists of requests are read in, each a keyset order
(``ssi_portal.lib.keyset``) whose every segment is one index range scan on each side of the
lists (``Incident.Meta.indexes``)."""

from typing import NamedTuple

from django.db.models import Q

from ssi_portal.lib.keyset import NEWEST_FIRST, Order, Segment

from ..models import IncidentStatus


class ListOrder(NamedTuple):
    """A sort order the lists offer: the column it sorts by, which way, what the page says of
    it, and how the keyset reads it. Every segment of every order is one index range scan on
    each side of the lists (``Incident.Meta.indexes``)."""

    column: str  # "raised", "due" or "status"
    ascending: bool
    label: str
    keyset: Order


_AWAITING = Q(status=IncidentStatus.AWAITING_INSTALLER)
_NEWEST = ("-created_at", "-id")
# By deadline only where a clock runs: the others have no deadline to sort by, and follow.
_NO_CLOCK = Segment(_NEWEST, ~_AWAITING)
# The statuses in the order of the process.
_PROCESS = tuple(IncidentStatus)

LIST_ORDERS: dict[str, ListOrder] = {
    "-raised": ListOrder("raised", False, "newest first", NEWEST_FIRST),
    "raised": ListOrder(
        "raised", True, "oldest first", Order("old", (Segment(("created_at", "id")),))
    ),
    "due": ListOrder(
        "due",
        True,
        "answer due soonest first, then those with no deadline running",
        Order("due", (Segment(("due_at", "created_at", "id"), _AWAITING), _NO_CLOCK)),
    ),
    "-due": ListOrder(
        "due",
        False,
        "answer due latest first, then those with no deadline running",
        Order("late", (Segment(("-due_at", "-created_at", "-id"), _AWAITING), _NO_CLOCK)),
    ),
    "status": ListOrder(
        "status",
        True,
        "by status, awaiting the installing Supplier first, newest first within each",
        Order("st", tuple(Segment(_NEWEST, Q(status=s)) for s in _PROCESS)),
    ),
    "-status": ListOrder(
        "status",
        False,
        "by status, closed first, newest first within each",
        Order("ts", tuple(Segment(_NEWEST, Q(status=s)) for s in reversed(_PROCESS))),
    ),
}
DEFAULT_ORDER = "-raised"
# The API's order for following changes: least recently changed first, so that a client reads
# on from the last change it saw (``updated_since``) and misses none.
CHANGED_ORDER = ListOrder(
    "updated", True, "least recently changed first", Order("upd", (Segment(("updated_at", "id")),))
)


def list_order(sort: str | None) -> tuple[str, ListOrder]:
    """The order a list's ``sort`` parameter names, the default for anything else."""
    name = sort if sort in LIST_ORDERS else DEFAULT_ORDER
    return name, LIST_ORDERS[name]
