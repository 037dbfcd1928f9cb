"""Every file the portal hands out is a security event: who took which export, from where."""

from accounts.models import SecurityEventKind
from accounts.services import security_event_record


def export_recorded(request, filename: str) -> str:
    """Record that ``request.user`` downloads ``filename``; return the name for chaining."""
    security_event_record(
        kind=SecurityEventKind.EXPORT, actor=request.user, request=request, reference=filename
    )
    return filename
