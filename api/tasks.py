"""Thin periodic tasks of the API: the work is in ``api.idempotency`` and django-oauth-toolkit."""

from celery import shared_task
from oauth2_provider.models import clear_expired

from .idempotency import idempotency_keys_purge


@shared_task(acks_late=True)
def purge_api_leftovers() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): delete Idempotency-Keys past their 24 hours and
    expired tokens. Safe to run twice or overlapping: each delete is of rows already dead."""
    purged = idempotency_keys_purge()
    clear_expired()
    return purged
