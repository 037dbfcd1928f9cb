"""Install codes are credentials: once a request is closed, its code is kept only for
``SSI_INSTALL_CODE_RETENTION_DAYS`` and then deleted, leaving the incident's timeline and the
security log intact."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import SecurityEvent, SecurityEventKind
from ssi_portal.lib.text import count_of

from ..models import Incident, IncidentStatus

BATCH_SIZE = 1000


def incidents_purge_install_codes(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Delete the sealed codes of requests closed longer ago than the retention period.

    Set-based and idempotent (a purged row no longer matches); each purge is written to the
    security log. Returns how many codes were deleted.
    """
    now = now or timezone.now()
    days = settings.SSI_INSTALL_CODE_RETENTION_DAYS
    cutoff = now - dt.timedelta(days=days)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Incident.objects.select_for_update(skip_locked=True)
                .filter(
                    status=IncidentStatus.CLOSED,
                    closed_at__lt=cutoff,
                    install_code_sealed__isnull=False,
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                return purged
            Incident.objects.filter(pk__in=batch).update(install_code_sealed=None)
            SecurityEvent.objects.bulk_create(
                SecurityEvent(
                    kind=SecurityEventKind.CODE_PURGED,
                    reference=Incident(pk=pk).reference,
                    detail=f"Install code deleted {count_of(days, 'day')} after the request "
                    "closed.",
                    created_at=now,
                )
                for pk in batch
            )
        purged += len(batch)
