"""Bulk jobs: submit a file of raises, answers or lodged codes, follow its progress, page
through its rows' results. The same jobs as the pages' (``incidents.services.bulk``): the
same checks, limits and words; a foreign job answers exactly like a missing one."""

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from incidents.models import BulkKind, BulkStatus
from incidents.selectors import bulk as selectors_bulk
from incidents.services.bulk.files import read_limited
from incidents.services.bulk.jobs import bulk_upload_create
from incidents.services.bulk.jsonlines import CSV, JSON_LINES

from ..problems import Problem
from ..serializers.bulk import (
    PROGRESS_EXAMPLES,
    RESULTS_EXAMPLES,
    SUBMIT_EXAMPLES,
    BulkJobSerializer,
    BulkJobUploadSerializer,
    BulkResultsPageSerializer,
    KindSerializer,
    ResultsQuerySerializer,
)
from .base import ApiView

CSV_TYPE, JSON_LINES_TYPE = "text/csv", "application/x-ndjson"
JSON_LINES_NAMES = (".jsonl", ".ndjson")
# The scope each kind of file needs: the scope of the single action.
KIND_SCOPES = {BulkKind.RAISE: "raise", BulkKind.ANSWER: "answer", BulkKind.LODGE: "answer"}
TAGS = ["Bulk jobs"]


class _FileBody(BaseParser):
    """A file sent as the body, read within the upload limit (``SSI_BULK_MAX_BYTES``, checked
    by the service with the pages' words) rather than ``DATA_UPLOAD_MAX_MEMORY_SIZE``, which
    is for form fields."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = read_limited(stream, settings.SSI_BULK_MAX_BYTES) if stream else b""
        # Kept as HttpRequest.body keeps a body it read: the Idempotency-Key's fingerprint
        # reads it.
        request = parser_context["request"]._request
        request._body, request._stream = data, io.BytesIO(data)
        return data


class CsvBody(_FileBody):
    media_type = CSV_TYPE


class JsonLinesBody(_FileBody):
    media_type = JSON_LINES_TYPE


def _is_multipart(request) -> bool:
    return (request.content_type or "").startswith("multipart/form-data")


def _kind_sent(request) -> str | None:
    if _is_multipart(request):
        return request.POST.get("kind") or request.query_params.get("kind")
    return request.query_params.get("kind")


class BulkJobsView(ApiView):
    required_scopes = {"POST": ("raise", "answer")}
    parser_classes = [MultiPartParser, CsvBody, JsonLinesBody]

    def scope_for(self, request):
        return KIND_SCOPES.get(_kind_sent(request))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            # Read the file now, within its own limit (``_FileBody``), before the
            # Idempotency-Key's fingerprint reads the body.
            request.data  # noqa: B018

    @extend_schema(
        operation_id="bulk_job_create",
        summary="Submit a file of raises, answers or lodged codes",
        description=(
            "The file and its kind, as multipart (fields ``file`` and ``kind``), or the file "
            "as the body (``text/csv``, or ``application/x-ndjson``: one JSON object a line "
            "with the CSV's columns as fields) with ``?kind=``. A raise file needs the raise "
            "scope, answer and lodge files the answer scope. The file is checked whole at once "
            "(the pages' limits and words: size, rows, the Supplier's raise limit): a refused "
            "file is a 422 naming ``file`` with the reason code (``bad_file``, "
            "``file_too_large``, ``too_many_rows``, ``over_supplier_limit``). An accepted one "
            "is queued (202); its rows are then processed in the background, each refused or "
            "accepted on its own: follow ``Location``."
        ),
        parameters=[
            OpenApiParameter(
                "kind",
                enum=BulkKind.values,
                location=OpenApiParameter.QUERY,
                required=False,
                description="The kind of a file sent as the body.",
            ),
            OpenApiParameter(
                "Location",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                response=[202],
                description="The job.",
            ),
        ],
        request={
            "multipart/form-data": BulkJobUploadSerializer,
            CSV_TYPE: OpenApiTypes.BINARY,
            JSON_LINES_TYPE: OpenApiTypes.BINARY,
        },
        responses={202: BulkJobSerializer},
        examples=SUBMIT_EXAMPLES,
        tags=TAGS,
    )
    def post(self, request):
        kind = KindSerializer(data={"kind": _kind_sent(request)})
        kind.is_valid(raise_exception=True)
        kind = kind.validated_data["kind"]
        if _is_multipart(request):
            file = request.data.get("file")
            if not isinstance(file, UploadedFile):
                raise serializers.ValidationError({"file": "Attach the file as the part file."})
            named_jsonl = (file.name or "").lower().endswith(JSON_LINES_NAMES)
            file_format = JSON_LINES if named_jsonl or file.content_type == JSON_LINES_TYPE else CSV
            name = file.name
        elif (request.content_type or "").startswith((CSV_TYPE, JSON_LINES_TYPE)):
            file_format = JSON_LINES if request.content_type.startswith(JSON_LINES_TYPE) else CSV
            # An empty body is not parsed at all: it is an empty file, refused as such.
            data = request.data if isinstance(request.data, bytes) else b""
            file, name = io.BytesIO(data), f"{kind}.{file_format}"
        else:
            raise Problem(
                415,
                "unsupported_media_type",
                f"Send the file as multipart/form-data (parts file and kind), or as the body "
                f"with Content-Type {CSV_TYPE} or {JSON_LINES_TYPE} and ?kind=.",
            )
        upload = bulk_upload_create(
            actor=request.user, kind=kind, file=file, filename=name, file_format=file_format
        )
        if upload.status == BulkStatus.REFUSED:
            code = upload.refusal_code
            raise Problem(
                422,
                code,
                upload.error,
                errors=[{"field": "file", "code": code, "detail": upload.error}],
            )
        location = reverse("api:bulk_job", kwargs={"public_id": upload.public_id})
        return Response(BulkJobSerializer(upload).data, status=202, headers={"Location": location})


class BulkJobView(ApiView):
    required_scopes = {"GET": "read"}

    @extend_schema(
        operation_id="bulk_job_get",
        summary="A bulk job's progress",
        description="Its status and counts of rows; a job of another Supplier is not found.",
        responses=BulkJobSerializer,
        examples=PROGRESS_EXAMPLES,
        tags=TAGS,
    )
    def get(self, request, public_id):
        upload = selectors_bulk.bulk_upload_get_for_user(request.user, public_id)
        return Response(BulkJobSerializer(upload).data)


class BulkJobResultsView(ApiView):
    required_scopes = {"GET": "read"}

    @extend_schema(
        operation_id="bulk_job_results",
        summary="The results of a bulk job's rows",
        description=(
            "The rows processed so far, in file order, ``page_size`` at a time: follow "
            "``next`` (the rows after the page's last line). Each row's outcome or reason "
            "code and message, and the request it raised or answered; never an install code."
        ),
        parameters=[ResultsQuerySerializer],
        responses=BulkResultsPageSerializer,
        examples=RESULTS_EXAMPLES,
        tags=TAGS,
    )
    def get(self, request, public_id):
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, size = query.validated_data["after"], query.validated_data["page_size"]
        upload = selectors_bulk.bulk_upload_get_for_user(request.user, public_id)
        rows = selectors_bulk.bulk_results_after(upload, after=after, size=size + 1)
        following = None
        if len(rows) > size:
            rows = rows[:size]
            following = f"{request.path}?after={rows[-1].line}&page_size={size}"
        page = {"job": upload.public_id, "results": [r._asdict() for r in rows], "next": following}
        return Response(BulkResultsPageSerializer(page).data)
