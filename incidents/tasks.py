"""Periodic jobs (scheduled by ``CELERY_BEAT_SCHEDULE``). Thin: the work is in the services,
which are idempotent, so a redelivered or overlapping run does nothing twice."""

from celery import shared_task

from .services.bulk.jobs import bulk_upload_process, bulk_uploads_requeue_stale
from .services.deadlines import incident_escalate_overdue, incidents_remind_due
from .services.entitlement import raise_tallies_purge
from .services.lodged import lodged_codes_purge
from .services.registration_sync import incidents_cancel_registration_moved
from .services.retention import incidents_purge_install_codes
from .services.smi_sync import incidents_sync_with_smi


@shared_task(acks_late=True)
def escalate_overdue_incidents() -> int:
    return incident_escalate_overdue()


@shared_task(acks_late=True)
def remind_incidents_due_soon() -> int:
    return incidents_remind_due()


@shared_task(acks_late=True)
def sync_open_incidents_with_smi() -> int:
    """Catch requests an SMI load could not close at once (row locked, or the load's own sync
    failed after its commit)."""
    return incidents_sync_with_smi()


@shared_task(acks_late=True)
def cancel_requests_registration_moved() -> int:
    """Cancel the requests whose raiser the registration data no longer names: catches
    future-dated changes of Supplier on their day, and what a load's own run left."""
    return incidents_cancel_registration_moved()


# --- Bulk uploads and lodged codes ----------------------------------------------------------


@shared_task(acks_late=True)
def process_bulk_upload(upload_id: int, continuation: bool = False) -> str:
    """Process (or resume) one bulk upload by id. At-least-once per chunk, exactly once in
    effect: each chunk commits with the upload's counters, so a redelivered or duplicate run
    resumes after the last committed chunk or finds nothing to do. A run stops within
    ``SSI_BULK_TASK_SECONDS`` and queues its continuation, well inside the time limits."""
    return bulk_upload_process(upload_id=upload_id, continuation=continuation)


@shared_task(acks_late=True)
def requeue_stale_bulk_uploads() -> int:
    """Periodic: publish again uploads left queued or stuck processing."""
    return bulk_uploads_requeue_stale()


@shared_task(acks_late=True)
def purge_lodged_codes() -> int:
    """Periodic (daily): delete lodged codes that can no longer be used or are too old."""
    return lodged_codes_purge()


@shared_task(acks_late=True)
def purge_install_codes() -> int:
    """Periodic: delete the install codes of requests closed longer ago than the retention."""
    return incidents_purge_install_codes()


@shared_task(acks_late=True)
def purge_raise_tallies() -> int:
    """Periodic (daily): delete the per-Supplier raise counts no rate-limit window reaches."""
    return raise_tallies_purge()
