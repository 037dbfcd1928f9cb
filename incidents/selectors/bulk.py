"""Reads for the bulk upload pages and downloads. A Supplier sees its own uploads only; a
foreign upload answers exactly like a missing one (404)."""

import uuid
from collections.abc import Iterator
from typing import NamedTuple

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from ssi_portal.lib.keyset import keyset_stream
from ssi_portal.lib.paging import NumberedPage, numbered_page
from ssi_portal.lib.working_days import LONDON

from ..models import (
    BulkResult,
    BulkRow,
    BulkStatus,
    BulkUpload,
    Incident,
    IncidentStatus,
    reference_for,
)

STREAM_CHUNK = 2000


def bulk_uploads_of(user) -> QuerySet[BulkUpload]:
    """The uploads of the user's Supplier, newest first, without their payloads."""
    if not user.is_authenticated or not user.supplier_id:
        return BulkUpload.objects.none()
    return (
        BulkUpload.objects.filter(supplier_id=user.supplier_id)
        .defer("payload_sealed")
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")
    )


def bulk_upload_page(user, page: int, size: int) -> NumberedPage:
    """One page of the history and whether another follows: ``size + 1`` rows are fetched
    instead of counting them all (a COUNT over a long history costs more than the page); past
    the end, the last page."""
    return numbered_page(bulk_uploads_of(user), page, size)


def bulk_upload_get_for_user(user, public_id) -> BulkUpload:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise Http404("No such upload.") from exc
    upload = bulk_uploads_of(user).filter(public_id=public_id).first()
    if upload is None:
        raise Http404("No such upload.")
    return upload


def bulk_upload_same_file_before(upload: BulkUpload) -> BulkUpload | None:
    """The latest earlier upload of the same file (same content) by the same Supplier."""
    return (
        BulkUpload.objects.filter(
            supplier_id=upload.supplier_id,
            content_sha256=upload.content_sha256,
            created_at__lt=upload.created_at,
        )
        .exclude(status=BulkStatus.REFUSED)
        .defer("payload_sealed")
        .order_by("-created_at")
        .first()
    )


def bulk_refusal_counts(upload: BulkUpload) -> list[tuple[str, int]]:
    """(reason code, rows) of the refused rows, most frequent first."""
    return list(
        BulkRow.objects.filter(upload=upload, result=BulkResult.REFUSED)
        .values_list("reason_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason_code")
    )


class RefusedRow(NamedTuple):
    line: int
    key: str  # the Device ID (or INC reference) as the row named it, "" if it did not parse
    message: str


def bulk_refused_page(upload: BulkUpload, page: int, size: int) -> list[RefusedRow]:
    """One page (from 1) of the upload's refused rows in file order. Bounded by the upload's
    own rows (the unique index on upload and line); their number is ``refused_rows``."""
    start = (page - 1) * size
    rows = (
        BulkRow.objects.filter(upload=upload, result=BulkResult.REFUSED)
        .order_by("line")
        .values_list("line", "device_id", "message")[start : start + size]
    )
    return [RefusedRow(*row) for row in rows]


def bulk_results_rows(upload: BulkUpload) -> Iterator[tuple]:
    """Every row's result in file order, streamed: (line, device_id, reference, result,
    reason_code, message, incident reference)."""
    rows = keyset_stream(
        BulkRow.objects.filter(upload=upload),
        ("line",),  # unique within an upload
        ("line", "device_id", "reference", "result", "reason_code", "message", "incident_id"),
        chunk=STREAM_CHUNK,
    )
    for line, device_id, reference, result, reason, message, incident_id in rows:
        yield (
            line,
            device_id,
            reference,
            result,
            reason,
            message,
            reference_for(incident_id) if incident_id else "",
        )


class ResultRow(NamedTuple):
    line: int
    device_id: str  # the Device ID (or INC reference) as the row named it, "" if it did not parse
    reference: str  # the Supplier's own (raise files)
    result: str
    outcome: str
    reason_code: str
    message: str
    incident_reference: str  # the request the row raised or answered, "" for none


def bulk_results_after(upload: BulkUpload, *, after: int, size: int) -> list[ResultRow]:
    """Up to ``size`` results of the upload's rows after line ``after``, in file order: a
    range on the unique index of (upload, line), however far into the file."""
    rows = (
        BulkRow.objects.filter(upload=upload, line__gt=after)
        .order_by("line")
        .values_list(
            "line",
            "device_id",
            "reference",
            "result",
            "outcome",
            "reason_code",
            "message",
            "incident_id",
        )[:size]
    )
    return [ResultRow(*row[:-1], reference_for(row[-1]) if row[-1] else "") for row in rows]


def worklist_rows(user) -> Iterator[tuple]:
    """The requests awaiting the user's Supplier's answer, soonest due first, streamed:
    (reference, Device ID, type, raised by, raised at, due), times in UK time."""
    rows = keyset_stream(
        # Awaiting an answer, every request has a deadline (a database constraint).
        Incident.objects.filter(
            assigned_supplier_id=user.supplier_id, status=IncidentStatus.AWAITING_INSTALLER
        ),
        ("due_at", "id"),
        (
            "id",
            "device__device_id",
            "device__device_type",
            "raising_supplier__name",
            "created_at",
            "due_at",
        ),
        chunk=STREAM_CHUNK,
    )
    for pk, device_id, device_type, raiser, raised_at, due_at in rows:
        yield (
            reference_for(pk),
            device_id,
            device_type,
            raiser,
            f"{timezone.localtime(raised_at, LONDON):%Y-%m-%d %H:%M}",
            f"{timezone.localtime(due_at, LONDON):%Y-%m-%d %H:%M}" if due_at else "",
        )
