"""The lists of requests (raised by us, assigned to us, disclaimed by us) and the download of
the first: filters, sorting and keyset pages."""

import uuid
from typing import NamedTuple
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from ssi_portal.lib.csv_export import csv_streaming_response
from ssi_portal.lib.dates import month_names, short_date
from ssi_portal.lib.working_days import LONDON

from ..forms.incidents import IncidentFilterForm
from ..models import IncidentStatus
from ..permissions import Refusal, supplier_user_required
from ..selectors import incidents as selectors
from ..services import looks_like_install_code

PAGE_SIZE = 25


@supplier_user_required(Refusal.NOT_SUPPLIER_OWN_REQUESTS)
def raised_list(request):
    return _list_page(request, scope="raised")


@supplier_user_required(Refusal.NOT_SUPPLIER_WORKLIST)
def assigned_list(request):
    return _list_page(request, scope="assigned")


@supplier_user_required(Refusal.NOT_SUPPLIER_ANSWER)
def disclaimed_list(request):
    return _list_page(request, scope="disclaimed")


@supplier_user_required(Refusal.NOT_SUPPLIER_OWN_REQUESTS)
def raised_csv(request):
    """The "Raised by us" list as a CSV file, with the list's filters, newest first; streamed."""
    _, qs = _filtered(
        request, selectors.incidents_raised_by_us(request.user), raiser_references=True
    )
    stamp = timezone.localtime(timezone.now(), LONDON)
    return csv_streaming_response(
        f"raised-by-us-{stamp:%Y-%m-%d-%H%M}.csv",
        selectors.EXPORT_HEADER,
        selectors.incident_export_rows(qs),
    )


def _filtered(request, base, *, raiser_references: bool = False):
    """The filter form of a list, and the list filtered by what it validly says."""
    form, criteria = _criteria(request, raiser_references=raiser_references)
    return form, selectors.list_filtered(base, criteria)


def _criteria(request, *, raiser_references: bool):
    """The filter form of a list, and the criteria (``selectors.list_criteria``) of what it
    validly says."""
    form = IncidentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    criteria = selectors.list_criteria(
        status=filters.get("status", ""),
        overdue=filters.get("overdue", False),
        search=filters.get("q", ""),
        raiser_references=raiser_references,
        due_today=filters.get("due_today", False),
        to_reveal=filters.get("to_reveal", False),
    )
    return form, criteria


def _list_page(request, *, scope: str):
    form, criteria = _criteria(request, raiser_references=scope == "raised")
    sort, order = selectors.list_order(request.GET.get("sort"))
    # Keyset pages (no COUNT, no OFFSET): a deep page costs what the first one does. The
    # scope is the side of the list: the user's Supplier's requests raised, assigned or
    # disclaimed (incidents_on_side).
    page = selectors.incident_side_page(
        request.user, scope, criteria, request.GET.get("cursor"), size=PAGE_SIZE, order=order
    )
    kept = _kept_query(request)
    filters = _filters_of(kept)
    return render(
        request,
        "incidents/list.html",
        {
            "scope": scope,
            "form": form,
            "page": page,
            "rows": _list_rows(page.object_list, scope=scope, now=timezone.now()),
            "first_url": _page_url(request.path, kept, ""),
            "previous_url": _page_url(request.path, kept, page.previous_cursor),
            "next_url": _page_url(request.path, kept, page.next_cursor),
            "sort": sort if sort != selectors.DEFAULT_ORDER else "",
            "order": order,
            "sort_links": _sort_links(request.path, filters, order),
            # The list's filters as a query string (for its download).
            "filter_query": _encoded(filters),
        },
    )


def _kept_query(request) -> list[tuple[str, list[str]]]:
    """The list's query string as (name, values) without its page, and without any value
    that looks like an install code: the filter form refuses those, and the page's links do
    not repeat them. Worked out once for the page's links (copying the query for each of them
    was a twentieth of the page)."""
    return [
        (name, values)
        for name, values in request.GET.lists()
        if name not in ("cursor", "page") and not any(map(looks_like_install_code, values))
    ]


def _filters_of(kept: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The list's filters, without its page or order."""
    return [(name, values) for name, values in kept if name != "sort"]


def _url(path: str, query: list[tuple[str, list[str]]]) -> str:
    """``path`` with ``query`` (as ``QueryDict.urlencode`` writes it)."""
    return f"{path}?{_encoded(query)}" if query else path


def _encoded(query: list[tuple[str, list[str]]]) -> str:
    return urlencode([(name, value) for name, values in query for value in values])


class SortLink(NamedTuple):
    url: str
    aria_sort: str  # "ascending" or "descending" on the column sorted by, else ""
    hint: str  # what following the link does, for those who cannot see the arrows


# The way a column sorts when first chosen: newest first, soonest deadline first, status in the
# order of the process.
_FIRST_SORT = {"raised": "-raised", "due": "due", "status": "status"}
_SORT_HINTS = {
    "-raised": "sort newest first",
    "raised": "sort oldest first",
    "due": "sort by answer due, soonest first",
    "-due": "sort by answer due, latest first",
    "status": "sort by status, awaiting the installing Supplier first",
    "-status": "sort by status, closed first",
}


def _sort_links(path: str, filters, order: selectors.ListOrder) -> dict[str, SortLink]:
    """For each sortable column, where its heading leads (the other way round when the list
    is sorted by it already) and what it tells assistive technology."""
    links = {}
    for column, first in _FIRST_SORT.items():
        aria_sort = ""
        sort = first
        if order.column == column:
            aria_sort = "ascending" if order.ascending else "descending"
            sort = column if not order.ascending else f"-{column}"
        query = [*filters, ("sort", [sort])] if sort != selectors.DEFAULT_ORDER else filters
        links[column] = SortLink(_url(path, query), aria_sort, _SORT_HINTS[sort])
    return links


class ListRow(NamedTuple):
    url: str
    reference: str
    device_id: str
    device_type: str
    other_party: str
    status_label: str
    badge: str  # the status badge's colour, as includes/status_badge.html has it
    raised: str
    due: str  # "" unless the installer's clock runs
    due_flag: str  # "Breached", "Overdue" or ""


STATUS_BADGES = {
    IncidentStatus.AWAITING_INSTALLER: "text-bg-primary",
    IncidentStatus.WITH_HELPDESK: "text-bg-warning",
    IncidentStatus.CODE_PROVIDED: "text-bg-success",
}


def _list_rows(incidents: list[selectors.IncidentListRow], *, scope: str, now) -> list[ListRow]:
    """What each row of a list shows, worked out here once rather than by template tags per
    row: the lists are the busiest pages, and template lookups, URL reversing, an include and
    date filters per row were a third of their cost (bench/http_load.py)."""
    # Reversed once; each row's address differs only by its public id.
    url = reverse("incidents:detail", kwargs={"public_id": _ZERO_UUID})
    prefix, suffix = url.split(str(_ZERO_UUID))
    rows = []
    zone, months = timezone.get_current_timezone(), month_names()
    for incident in incidents:
        clock_runs = incident.status == IncidentStatus.AWAITING_INSTALLER and incident.due_at
        flag = ""
        if clock_runs and incident.breached_at:
            flag = "Breached"
        elif clock_runs and incident.due_at < now:
            flag = "Overdue"
        rows.append(
            ListRow(
                url=f"{prefix}{incident.public_id}{suffix}",
                reference=incident.reference,
                device_id=incident.device_id,
                device_type=incident.device_type,
                other_party=(
                    incident.assigned_supplier or "DCC helpdesk"
                    if scope == "raised"
                    else incident.raising_supplier
                ),
                status_label=incident.status_label,
                badge=STATUS_BADGES.get(incident.status, "text-bg-secondary"),
                raised=short_date(incident.created_at, with_time=True, zone=zone, months=months),
                due=short_date(incident.due_at, zone=zone, months=months) if clock_runs else "",
                due_flag=flag,
            )
        )
    return rows


_ZERO_UUID = uuid.UUID(int=0)


def _page_url(path: str, kept, cursor: str) -> str:
    """This list with its filters, at ``cursor`` ("" for the first page)."""
    return _url(path, [*kept, ("cursor", [cursor])] if cursor else kept)
