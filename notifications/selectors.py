"""Reads of the notifications app."""

import logging
from dataclasses import dataclass

from django.db.models import QuerySet
from django.template import Context, TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template

from .models import Notification

logger = logging.getLogger(__name__)

Status = Notification.Status

# What a Supplier user is told of a row: "sending" is still on its way.
SHOWN_STATUS = {
    Status.PENDING: "pending",
    Status.SENDING: "pending",
    Status.SENT: "sent",
    Status.FAILED: "failed",
}
STATUS_FILTERS = {
    "pending": [Status.PENDING, Status.SENDING],
    "sent": [Status.SENT],
    "failed": [Status.FAILED],
}


def notifications_for_supplier(supplier_id: int, *, status: str = "") -> QuerySet[Notification]:
    """The emails sent to one organisation's addresses, newest first (index
    notification_supplier_idx). ``status``: "", "pending", "sent" or "failed"."""
    qs = Notification.objects.filter(supplier_id=supplier_id).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status__in=STATUS_FILTERS[status])
    return qs.only("created_at", "recipient", "template", "context", "status", "sent_at")


@dataclass(frozen=True)
class Page:
    """One page of a list, without counting the list: it only knows whether another follows."""

    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(queryset: QuerySet, number: int, size: int) -> Page:
    """Fetch ``size + 1`` rows: the extra one says whether a next page exists. A COUNT over a
    large organisation's history would cost more than the page itself."""
    number = max(number, 1)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)


def notification_subject(notification: Notification) -> str:
    """The subject line as it was sent, rendered again from the stored context (never the
    body: a list has no business showing it)."""
    try:
        template = get_template(f"emails/{notification.template}_subject.txt")
        # Plain text: the page escapes it once when it shows it.
        subject = template.template.render(Context(notification.context, autoescape=False))
    except (TemplateDoesNotExist, TemplateSyntaxError):
        logger.warning("No subject template for notification %s", notification.pk)
        return f"({notification.template.replace('_', ' ')})"
    return " ".join(subject.split())
