"""The helpdesk's calendar: days that are not Working Days."""

from django.db import models


class NonWorkingDay(models.Model):
    """An extra day that is not a Working Day (added by the DCC helpdesk)."""

    date = models.DateField(unique=True)
    description = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d %B %Y}: {self.description}"
