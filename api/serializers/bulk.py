"""Bulk jobs: a file of raises, answers or lodged codes, its progress and its rows' results."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from incidents.models import BulkKind, BulkOutcome, BulkResult, BulkStatus

# The job's status as the API names it (the pages say Queued, Processing, Done, Stopped,
# Refused).
STATUS = {
    BulkStatus.QUEUED: "queued",
    BulkStatus.PROCESSING: "processing",
    BulkStatus.DONE: "finished",
    BulkStatus.FAILED: "stopped",
    BulkStatus.REFUSED: "refused",
}
JOB_STATUSES = list(STATUS.values())
BULK_KINDS = BulkKind.values
KIND_REFUSED = "Choose the kind of file: raise, answer or lodge."
KIND_HELP = (
    "raise: rows device_id[,reference]; answer: rows device_id_or_reference,install_code "
    "(or NOT_INSTALLED); lodge: rows device_id,install_code. The same files as the pages'."
)


class BulkJobUploadSerializer(serializers.Serializer):
    """The multipart form of a submit."""

    kind = serializers.ChoiceField(choices=BulkKind.values, help_text=KIND_HELP)
    file = serializers.FileField(
        help_text="A CSV file, or JSON lines (a name ending .jsonl or .ndjson, or the part's "
        "Content-Type application/x-ndjson): one object a line with the CSV's columns as fields."
    )


class KindSerializer(serializers.Serializer):
    """The kind sent (the form's part, or ``?kind=``), refused in the words of the pages."""

    kind = serializers.ChoiceField(
        choices=BulkKind.values,
        error_messages={k: KIND_REFUSED for k in ("required", "invalid_choice", "null", "blank")},
    )


class BulkRowCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="total_rows", help_text="Rows of the file.")
    processed = serializers.IntegerField(source="processed_rows")
    succeeded = serializers.IntegerField(source="accepted_rows")
    failed = serializers.IntegerField(source="refused_rows", help_text="Rows refused.")


class BulkJobSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.ChoiceField(choices=BulkKind.values)
    status = serializers.SerializerMethodField(
        help_text="queued, processing, then finished; stopped when processing kept failing "
        "(the rows so far stand); refused when the file was refused whole (``error`` says why)."
    )
    filename = serializers.CharField()
    rows = BulkRowCountsSerializer(source="*")
    error = serializers.CharField(help_text="Why the file was refused or processing stopped.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    results = serializers.SerializerMethodField(help_text="The rows' results, page by page.")

    @extend_schema_field(serializers.ChoiceField(choices=JOB_STATUSES))
    def get_status(self, upload) -> str:
        return STATUS[upload.status]

    def get_results(self, upload) -> str:
        return reverse("api:bulk_job_results", kwargs={"public_id": upload.public_id})


class BulkResultSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        help_text="The row's line in the file: a CSV's header is line 1; JSON lines count from 1."
    )
    result = serializers.ChoiceField(choices=BulkResult.values)
    outcome = serializers.ChoiceField(
        choices=["", *BulkOutcome.values], help_text="What an accepted row did; empty if refused."
    )
    reason_code = serializers.CharField(help_text="Why the row was refused; empty if accepted.")
    message = serializers.CharField()
    device_id_or_reference = serializers.CharField(
        source="device_id",
        help_text="The Device ID (or, in an answer file, INC reference) the row named; empty "
        "when it did not parse.",
    )
    own_reference = serializers.CharField(
        source="reference", help_text="The raise file's own reference of the row."
    )
    request = serializers.CharField(
        source="incident_reference",
        help_text="The reference of the request the row raised or answered, or empty.",
    )


class ResultsQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, default=0, help_text="The last line of the previous page (0: from the start)."
    )
    page_size = serializers.IntegerField(min_value=1, max_value=1000, default=100)


class BulkResultsPageSerializer(serializers.Serializer):
    job = serializers.UUIDField()
    results = BulkResultSerializer(many=True)
    next = serializers.CharField(
        allow_null=True, help_text="The next page, or null after the last row written so far."
    )


# --- Examples (public example values only) ------------------------------------------------------

_JOB = {
    "id": "3f1c6a1e-8a2b-4c55-9a0e-2b7d8c1f4e10",
    "kind": "raise",
    "status": "queued",
    "filename": "raise.csv",
    "rows": {"total": 2, "processed": 0, "succeeded": 0, "failed": 0},
    "error": "",
    "created_at": "2026-04-01T09:00:00Z",
    "started_at": None,
    "finished_at": None,
    "results": "/api/v1/bulk-jobs/3f1c6a1e-8a2b-4c55-9a0e-2b7d8c1f4e10/results/",
}
SUBMIT_EXAMPLES = [
    OpenApiExample(
        "A raise file as CSV",
        value="device_id,reference\r\n00-DB-12-34-56-78-90-A0,JOB-1042\r\n00DB1234567890A1,\r\n",
        media_type="text/csv",
        request_only=True,
    ),
    OpenApiExample(
        "A lodge file as JSON lines",
        value='{"device_id": "00-DB-12-34-56-78-90-A0", "install_code": '
        '"83FED3407A939723A5C639B26916D505C3B5"}\n',
        media_type="application/x-ndjson",
        request_only=True,
    ),
    OpenApiExample("Queued", value=_JOB, response_only=True, status_codes=["202"]),
]
PROGRESS_EXAMPLES = [
    OpenApiExample(
        "Finished",
        value={
            **_JOB,
            "status": "finished",
            "rows": {"total": 2, "processed": 2, "succeeded": 1, "failed": 1},
            "started_at": "2026-04-01T09:00:01Z",
            "finished_at": "2026-04-01T09:00:02Z",
        },
        response_only=True,
    )
]
RESULTS_EXAMPLES = [
    OpenApiExample(
        "Two rows",
        value={
            "job": _JOB["id"],
            "results": [
                {
                    "line": 2,
                    "result": "accepted",
                    "outcome": "raised",
                    "reason_code": "",
                    "message": "Raised and assigned to Installing Power.",
                    "device_id_or_reference": "00-DB-12-34-56-78-90-A0",
                    "own_reference": "JOB-1042",
                    "request": "INC0000042",
                },
                {
                    "line": 3,
                    "result": "refused",
                    "outcome": "",
                    "reason_code": "not_in_smi",
                    "message": "Device 00-DB-12-34-56-78-90-A1 is not in the Smart Metering "
                    "Inventory.",
                    "device_id_or_reference": "00-DB-12-34-56-78-90-A1",
                    "own_reference": "",
                    "request": "",
                },
            ],
            "next": None,
        },
        response_only=True,
    )
]
