"""Install codes lodged in advance of a request."""

from django.conf import settings
from django.db import models

from accounts.models import Supplier
from inventory.models import Device


class LodgedCode(models.Model):
    """An install code the installing Supplier lodged in advance for a Device it pre-notified.

    A request later raised for the Device is answered at once from it (and the code moves
    into the incident). Purged when the Device is commissioned, leaves the SMI, or after
    ``SSI_LODGED_CODE_RETENTION_DAYS``.
    """

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="lodged_code")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="lodged_codes")
    code_sealed = models.BinaryField(editable=False)
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lodged_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Lodged code for Device {self.device_id}"

    @staticmethod
    def seal_context_for(device_id: str) -> bytes:
        """Associated data binding a lodged code to its Device (canonical Device ID)."""
        return f"lodged:{device_id}".encode()
