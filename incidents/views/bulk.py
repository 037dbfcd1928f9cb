"""Bulk upload pages: the history, the three upload forms, the progress page with its JSON
status, and the CSV downloads (results of an upload, the worklist, sample files).

Only users of a Supplier; a foreign upload is a 404, like a missing one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ssi_portal.lib.csv_export import csv_response, csv_streaming_response
from ssi_portal.lib.paging import page_number
from ssi_portal.lib.text import count_of
from ssi_portal.lib.working_days import LONDON

from ..forms.bulk import BulkUploadForm
from ..models import BulkKind, BulkStatus, BulkUpload
from ..permissions import Refusal, supplier_user_required, upload_access
from ..selectors import bulk as selectors_bulk
from ..services.bulk.files import ANSWER_CODE_COLUMN, HEADERS, header_text
from ..services.bulk.jobs import bulk_upload_create
from ..services.bulk.rows import refusal_reason

PAGE_SIZE = 25
REFUSED_PAGE_SIZE = 50

# What each upload page says, and an example of its rows (public example values only).
PAGES = {
    BulkKind.RAISE: {
        "title": "Raise requests from a CSV file",
        "intro": "One Device ID a row, optionally with a reference of your own. Each Device is "
        "checked like a single request and sent to the Supplier that installed it.",
        "sample": [["00-DB-12-34-56-78-90-A0", "JOB-1042"], ["00DB1234567890A1", ""]],
    },
    BulkKind.ANSWER: {
        "title": "Answer requests from a CSV file",
        "intro": "One request a row, named by its reference (INC…) or its Device ID, with the "
        "install code (32 hex digits, or 36 with the CRC), or NOT_INSTALLED if you did not "
        "install the Device. Or download the worklist of what awaits your answer, fill in its "
        "install_code column and upload it as it is: its other columns are ignored.",
        "sample": [
            ["INC0000042", "83FED3407A939723A5C639B26916D505C3B5"],
            ["00-DB-12-34-56-78-90-A0", "NOT_INSTALLED"],
        ],
    },
    BulkKind.LODGE: {
        "title": "Lodge install codes in advance",
        "intro": "One Device your organisation pre-notified a row, with its install code. A "
        "request later raised for the Device is answered at once from the lodged code. Lodged "
        "codes are encrypted, and deleted once the Device is commissioned or after a year.",
        "sample": [["00-DB-12-34-56-78-90-A0", "83FED3407A939723A5C639B26916D505C3B5"]],
    },
}
WORKLIST_COLUMNS = ("reference", "device_id", "device_type", "raised_by", "raised_at", "due")
RESULT_HEADERS = {
    BulkKind.RAISE: ["line", "device_id", "reference"],
    BulkKind.ANSWER: ["line", "device_id_or_reference"],
    BulkKind.LODGE: ["line", "device_id"],
}


supplier_only = supplier_user_required(Refusal.NOT_SUPPLIER_UPLOAD)


@supplier_only
def history(request):
    page = selectors_bulk.bulk_upload_page(
        request.user, page_number(request.GET.get("page")), PAGE_SIZE
    )
    return render(
        request,
        "incidents/bulk/history.html",
        {"uploads": page.rows, "page": page.number, "has_next": page.has_next, "kinds": PAGES},
    )


def _upload_view(request, kind: str):
    access = upload_access(request.user, kind)
    if not access:
        raise PermissionDenied(access.refusal.text)
    header = header_text(kind)
    posted = request.method == "POST"
    form = BulkUploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        header=header,
        or_header="the worklist's header" if kind == BulkKind.ANSWER else "",
    )
    upload = None
    if posted and form.is_valid():
        file = form.cleaned_data["file"]
        upload = bulk_upload_create(actor=request.user, kind=kind, file=file, filename=file.name)
        if upload.status != BulkStatus.REFUSED:
            # Said once, beside a status that may already be "Done": no "being processed".
            messages.success(
                request, f"{upload.filename} uploaded: {count_of(upload.total_rows, 'row')}."
            )
            before = selectors_bulk.bulk_upload_same_file_before(upload)
            if before is not None:
                when = timezone.localtime(before.created_at, LONDON)
                messages.info(
                    request,
                    f"The same file was uploaded on {when:%d %B %Y at %H:%M}: "
                    "what it did is not done twice (its rows come back as already done).",
                )
            return HttpResponseRedirect(upload_url(upload))
        form.add_error("file", upload.error)
    return render(
        request,
        "incidents/bulk/upload.html",
        {
            "kind": kind,
            "page": PAGES[kind],
            "header": header,
            "headers": [",".join(h) for h in HEADERS[kind]],
            "form": form,
            "refused_upload": upload,
            "max_rows": settings.SSI_BULK_MAX_ROWS,
            "error_forms": [form] if form.errors else [],
        },
        status=400 if form.errors else 200,
    )


@login_required
def upload_raise(request):
    return _upload_view(request, BulkKind.RAISE)


@login_required
def upload_answer(request):
    return _upload_view(request, BulkKind.ANSWER)


@login_required
def upload_lodge(request):
    return _upload_view(request, BulkKind.LODGE)


@login_required
def sample(request, kind: str):
    if kind not in PAGES:
        raise Http404("No such sample.")
    return csv_response(f"sample-{kind}.csv", HEADERS[kind][0], PAGES[kind]["sample"])


def upload_url(upload: BulkUpload) -> str:
    return reverse("incidents:bulk_detail", kwargs={"public_id": upload.public_id})


@supplier_only
def detail(request, public_id):
    upload = selectors_bulk.bulk_upload_get_for_user(request.user, public_id)
    context = {"upload": upload, "page_info": PAGES[upload.kind], "refusals": []}
    if upload.status in (BulkStatus.DONE, BulkStatus.FAILED) and upload.refused_rows:
        pages = -(-upload.refused_rows // REFUSED_PAGE_SIZE)
        page = _page_number(request.GET.get("page"), last=pages)
        rows = selectors_bulk.bulk_refused_page(upload, page, REFUSED_PAGE_SIZE)
        first = (page - 1) * REFUSED_PAGE_SIZE + 1
        context |= {
            "refusals": [
                (refusal_reason(code), count)
                for code, count in selectors_bulk.bulk_refusal_counts(upload)
            ],
            "refused_rows": rows,
            "refused_page": page,
            "refused_pages": pages,
            "refused_from": first,
            "refused_to": first + len(rows) - 1,
        }
    return render(request, "incidents/bulk/detail.html", context)


def _page_number(value: str | None, *, last: int) -> int:
    """The page asked for, within 1..last: a page number that is not one gives the first
    page, one past the end the last (a link kept from before is never an error)."""
    try:
        page = int(value or "1")
    except ValueError:
        return 1
    return min(max(page, 1), last)


@never_cache
@supplier_only
def status_json(request, public_id):
    upload = selectors_bulk.bulk_upload_get_for_user(request.user, public_id)
    return JsonResponse(
        {
            "status": upload.status,
            "status_label": upload.get_status_display(),
            "running": upload.is_running,
            "total": upload.total_rows,
            "processed": upload.processed_rows,
            "accepted": upload.accepted_rows,
            "refused": upload.refused_rows,
            "percent": upload.percent,
        }
    )


@supplier_only
def results_csv(request, public_id):
    upload = selectors_bulk.bulk_upload_get_for_user(request.user, public_id)
    header = [*RESULT_HEADERS[upload.kind], "result", "reason_code", "message", "incident"]
    rows = selectors_bulk.bulk_results_rows(upload)
    if upload.kind != BulkKind.RAISE:
        rows = ((line, key, *rest) for line, key, _reference, *rest in rows)
    return csv_streaming_response(f"results-{upload.kind}-{upload.public_id}.csv", header, rows)


@supplier_user_required(Refusal.NOT_SUPPLIER_WORKLIST)
def worklist_csv(request):
    stamp = timezone.localtime(timezone.now(), LONDON)
    # The install_code column is left empty to be filled in: the file is then an answer file.
    return csv_streaming_response(
        f"worklist-{stamp:%Y-%m-%d-%H%M}.csv",
        [*WORKLIST_COLUMNS, ANSWER_CODE_COLUMN],
        ((*row, "") for row in selectors_bulk.worklist_rows(request.user)),
    )
