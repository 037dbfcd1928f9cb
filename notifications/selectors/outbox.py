"""Reads of the notifications app."""

import logging

from django.db.models import QuerySet
from django.template import Context, TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template

from ssi_portal.lib.paging import NumberedPage, numbered_page

from ..models import Notification

logger = logging.getLogger(__name__)

Status = Notification.Status

# What a reader of the list is told of a row: "sending" is still on its way.
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


def notifications_for_audience(audience: str, *, status: str = "") -> QuerySet[Notification]:
    """The emails sent to one audience (e.g. an organisation's addresses), newest first (index
    notification_audience_idx). ``status``: "", "pending", "sent" or "failed"."""
    if not audience:
        return Notification.objects.none()
    qs = Notification.objects.filter(audience=audience).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status__in=STATUS_FILTERS[status])
    return qs.only("created_at", "recipient", "template", "context", "status", "sent_at")


def page_of(queryset: QuerySet, number: int, size: int) -> NumberedPage:
    """Fetch ``size + 1`` rows: the extra one says whether a next page exists. A COUNT over a
    large organisation's history would cost more than the page itself; past the end, the last
    page."""
    return numbered_page(queryset, number, size)


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
