"""Raise tallies: the counts the per-Supplier rate limit sums."""

from django.db import models

from accounts.models import Supplier


class RaiseTally(models.Model):
    """How many requests a Supplier raised in one short interval: the per-Supplier rate limit
    sums the intervals of its window (a few dozen rows) instead of counting up to hundreds of
    thousands of incidents on every raise. Written in the raise's own transaction."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    bucket = models.DateTimeField(help_text="Start of the interval (UTC).")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "bucket"], name="raise_tally_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} @ {self.bucket:%Y-%m-%d %H:%M:%S}: {self.count}"
