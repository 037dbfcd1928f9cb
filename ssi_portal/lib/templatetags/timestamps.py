"""Times as machines read them, for ``<time datetime="...">``."""

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def isotime(value) -> str:
    """An ISO 8601 date and time to the second, with the UK offset: "2026-04-01T10:15:07+01:00".

    ``|date:"c"`` keeps the microseconds, which HTML's datetime syntax does not allow (at most
    three digits of a second).
    """
    if not isinstance(value, dt.datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()
