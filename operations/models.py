from django.db import models

# Room for an exception's class and the start of its message; the logs have the rest.
ERROR_LENGTH = 200


class JobRun(models.Model):
    """The last runs of one periodic task (``CELERY_BEAT_SCHEDULE``), as the workers saw them.

    Telemetry, written by ``operations.services`` from Celery's task signals: one row per task,
    updated in place, so it holds the last start, success and failure, whichever worker ran it.
    """

    name = models.CharField(
        max_length=200,
        unique=True,
        help_text="The task's name, e.g. incidents.tasks.escalate_overdue_incidents.",
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(
        max_length=ERROR_LENGTH,
        blank=True,
        help_text="The last failure's exception, secrets redacted, cut short.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
