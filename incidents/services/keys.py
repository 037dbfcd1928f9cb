"""Key rotation for sealed install codes: re-seal every stored secret under the newest key.

Put the new key first in ``INSTALL_CODE_KEYS`` (or the key file), keep the old ones after it,
run ``manage.py reencrypt_install_codes``, then the old keys can be removed.
"""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Model, QuerySet

from accounts.services.mfa import mfa_secrets_reseal
from ssi_portal.lib.crypto import key_ring
from webhooks.models import WebhookEndpoint

from ..models import BulkUpload, Incident, LodgedCode

BATCH_SIZE = 500


def _reseal(queryset: QuerySet, field: str, aad: Callable[[Model], bytes], batch_size: int) -> int:
    ring = key_ring()
    resealed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                queryset.filter(pk__gt=last_pk, **{f"{field}__isnull": False})
                .select_for_update(of=("self",))
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return resealed
            last_pk = batch[-1].pk
            stale = [row for row in batch if not ring.is_current(getattr(row, field))]
            for row in stale:
                context = aad(row)
                setattr(
                    row, field, ring.seal(ring.open(getattr(row, field), aad=context), aad=context)
                )
            type(batch[0]).objects.bulk_update(stale, [field])
            resealed += len(stale)


def install_codes_reencrypt(*, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Re-seal install codes, lodged codes, pending upload files and authenticator secrets not
    under the newest key.

    Safe to interrupt and run again: each batch commits on its own, and rows already under the
    newest key are left alone. Returns how many of each were re-sealed.
    """
    return {
        "incidents": _reseal(
            Incident.objects.only("pk", "public_id", "device_id", "install_code_sealed"),
            "install_code_sealed",
            lambda incident: incident.seal_context(),
            batch_size,
        ),
        "lodged codes": _reseal(
            LodgedCode.objects.select_related("device").only(
                "pk", "code_sealed", "device__device_id"
            ),
            "code_sealed",
            lambda lodged: LodgedCode.seal_context_for(lodged.device.device_id),
            batch_size,
        ),
        "bulk uploads": _reseal(
            BulkUpload.objects.only("pk", "public_id", "payload_sealed"),
            "payload_sealed",
            lambda upload: upload.seal_context(),
            batch_size,
        ),
        # Sealed with the same ring (accounts.models.SealedTOTPDevice).
        "authenticator secrets": mfa_secrets_reseal(batch_size=batch_size),
        "webhook secrets": sum(
            _reseal(
                WebhookEndpoint.objects.only("pk", "public_id", field),
                field,
                lambda endpoint: endpoint.seal_context(),
                batch_size,
            )
            for field in ("secret_sealed", "previous_secret_sealed")
        ),
    }
