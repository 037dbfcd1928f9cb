"""Assignments: each run of the Working-Day clock a Supplier must answer in."""

from django.db import models
from django.db.models import Q

from accounts.models import Supplier

from .incidents import Incident


class AssignmentOutcome(models.TextChoices):
    CODE_PROVIDED = "code_provided", "Answered with the install code"
    NOT_INSTALLED = "not_installed", "Answered: not installed by us"
    REASSIGNED = "reassigned", "Reassigned by the helpdesk"
    # Also when the portal closes the request after an SMI change: like the raiser's
    # withdrawal, it ends the clock without an answer and without the Supplier's fault.
    WITHDRAWN = "withdrawn", "Closed before an answer (by the raiser, or after an SMI change)"


ANSWERED_OUTCOMES = (AssignmentOutcome.CODE_PROVIDED, AssignmentOutcome.NOT_INSTALLED)


class Assignment(models.Model):
    """One run of the five-Working-Day clock: a Supplier's obligation to answer an incident.

    A new row starts each time a Supplier is notified (raised, reassigned, code did not work);
    it ends with an answer, a reassignment or the raiser closing. The compliance figures are
    computed from these rows.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="assignments")
    # No index of its own: assignment_supplier_idx (Meta.indexes) leads with it and answers a
    # lookup by Supplier (the compliance figures, a Supplier's deletion) as well.
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    notified_at = models.DateTimeField()
    due_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AssignmentOutcome.choices, blank=True)
    answered_late = models.BooleanField(null=True, blank=True)
    answer_working_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Working Days from notification to the answer."
    )
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notified_at", "id"]
        indexes = [
            models.Index(fields=["supplier", "notified_at"], name="assignment_supplier_idx"),
            models.Index(fields=["notified_at"], name="assignment_notified_idx"),
            # A Supplier's "Disclaimed by us" list, and its read-only view of each of them.
            models.Index(
                fields=["supplier", "incident"],
                condition=Q(outcome="not_installed"),
                name="assignment_disclaimed_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(ended_at__isnull=True),
                name="assignment_one_running_per_incident",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, outcome="")
                | Q(ended_at__isnull=False) & ~Q(outcome=""),
                name="assignment_ended_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} on incident {self.incident_id}"
