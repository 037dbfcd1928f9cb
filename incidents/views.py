"""Pages of the portal. Each view checks access, validates a form, calls one service and maps a
refusal to a form error; the rules themselves live in ``incidents.services``."""

import uuid
from collections.abc import Callable
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.permissions import user_may_raise
from inventory.identifiers import crc_suffix, format_install_code
from ssi_portal.lib.csv_export import csv_streaming_response
from ssi_portal.lib.working_days import LONDON

from . import permissions, selectors, services
from .calendar import days_left_text, deadline_text
from .forms import (
    AnswerForm,
    CloseForm,
    CodeFailedForm,
    IncidentFilterForm,
    NoteForm,
    NotInstalledForm,
    RaiseForm,
)
from .models import Incident, IncidentStatus
from .services import looks_like_install_code

PAGE_SIZE = 25


@login_required
def home(request):
    return render(
        request,
        "incidents/home.html",
        {
            "counts": selectors.home_counts(request.user),
            # Counted up to the cap and shown as "10,000+" beyond it.
            "count_cap": selectors.HOME_COUNT_CAP,
        },
    )


@login_required
def raise_request(request):
    if not request.user.supplier_id:
        raise PermissionDenied("Only Supplier users raise Requests for Install Code.")
    if not user_may_raise(request.user):
        raise PermissionDenied(
            "Your organisation has not given you the role to raise Requests for Install Code."
        )
    form = RaiseForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_raise(
                actor=request.user, device_id=form.cleaned_data["device_id"]
            )
        except services.RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        except services.IncidentError as exc:
            form.add_error(exc.field or "device_id", exc.message)
        else:
            messages.success(request, _raised_message(incident))
            if incident.entitlement_warning:
                messages.warning(request, incident.entitlement_warning)
            return redirect(incident_url(incident))
    if form.errors and status == 200:
        status = 400
    return render(
        request,
        "incidents/raise.html",
        {
            "form": form,
            "error_forms": [form] if form.errors else [],
            "registration_check": settings.SSI_REGISTRATION_CHECK,
        },
        status=status,
    )


def _raised_message(incident: Incident) -> str:
    if incident.status == IncidentStatus.CODE_PROVIDED:
        return (
            f"{incident.reference} raised and answered at once: {incident.assigned_supplier.name} "
            "lodged the install code in advance. Reveal it below."
        )
    if incident.assigned_supplier_id:
        return (
            f"{incident.reference} raised and assigned to {incident.assigned_supplier.name}, "
            "who has been emailed."
        )
    return f"{incident.reference} raised and sent to the DCC helpdesk to assign."


@login_required
def raised_list(request):
    if not request.user.supplier_id:
        raise PermissionDenied("Only Supplier users have requests of their own.")
    return _list_page(request, selectors.incidents_raised_by_us(request.user), scope="raised")


@login_required
def assigned_list(request):
    if not request.user.supplier_id:
        raise PermissionDenied("Only Supplier users have a worklist.")
    return _list_page(request, selectors.incidents_assigned_to_us(request.user), scope="assigned")


@login_required
def disclaimed_list(request):
    if not request.user.supplier_id:
        raise PermissionDenied("Only Supplier users answer requests.")
    return _list_page(
        request, selectors.incidents_disclaimed_by_us(request.user), scope="disclaimed"
    )


@login_required
def raised_csv(request):
    """The "Raised by us" list as a CSV file, with the list's filters, newest first; streamed."""
    if not request.user.supplier_id:
        raise PermissionDenied("Only Supplier users have requests of their own.")
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
    form = IncidentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.incident_list(
        base,
        status=filters.get("status", ""),
        overdue=filters.get("overdue", False),
        search=filters.get("q", ""),
        raiser_references=raiser_references,
        due_today=filters.get("due_today", False),
        to_reveal=filters.get("to_reveal", False),
    )
    return form, qs


def _list_page(request, base, *, scope: str):
    form, qs = _filtered(request, base, raiser_references=scope == "raised")
    sort, order = selectors.list_order(request.GET.get("sort"))
    # Keyset pages (no COUNT, no OFFSET): a deep page costs what the first one does.
    page = selectors.incident_page(qs, request.GET.get("cursor"), size=PAGE_SIZE, order=order)
    return render(
        request,
        "incidents/list.html",
        {
            "scope": scope,
            "form": form,
            "page": page,
            "rows": _list_rows(page.object_list, scope=scope, now=timezone.now()),
            "first_url": _page_url(request, ""),
            "previous_url": _page_url(request, page.previous_cursor),
            "next_url": _page_url(request, page.next_cursor),
            "sort": sort if sort != selectors.DEFAULT_ORDER else "",
            "order": order,
            "sort_links": _sort_links(request, order),
            "filter_query": _filter_query(request),
        },
    )


def _query_without_page(request):
    """The list's query string without its page, and without any value that looks like an
    install code: the filter form refuses those, and the page's links do not repeat them."""
    query = request.GET.copy()
    for name in ("cursor", "page"):
        query.pop(name, None)
    for key in [k for k, values in query.lists() if any(map(looks_like_install_code, values))]:
        query.pop(key)
    return query


def _list_query(request):
    """The list's filters, without its page or order."""
    query = _query_without_page(request)
    query.pop("sort", None)
    return query


def _filter_query(request) -> str:
    """The list's filters as a query string (for its download)."""
    return _list_query(request).urlencode()


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


def _sort_links(request, order: selectors.ListOrder) -> dict[str, SortLink]:
    """For each sortable column, where its heading leads (the other way round when the list
    is sorted by it already) and what it tells assistive technology."""
    query = _list_query(request)
    links = {}
    for column, first in _FIRST_SORT.items():
        aria_sort = ""
        sort = first
        if order.column == column:
            aria_sort = "ascending" if order.ascending else "descending"
            sort = column if not order.ascending else f"-{column}"
        if sort != selectors.DEFAULT_ORDER:
            query["sort"] = sort
        else:
            query.pop("sort", None)
        links[column] = SortLink(
            f"{request.path}?{query.urlencode()}" if query else request.path,
            aria_sort,
            _SORT_HINTS[sort],
        )
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
                raised=_short_date(incident.created_at, with_time=True),
                due=_short_date(incident.due_at) if clock_runs else "",
                due_flag=flag,
            )
        )
    return rows


_ZERO_UUID = uuid.UUID(int=0)


def _short_date(value, *, with_time: bool = False) -> str:
    """``value|date:"j M Y"`` (or ``"j M Y H:i"``) in the portal's time zone."""
    local = timezone.localtime(value)
    text = f"{local.day} {MONTHS_3[local.month].title()} {local.year}"
    return f"{text} {local.hour:02d}:{local.minute:02d}" if with_time else text


def _page_url(request, cursor: str) -> str:
    """This list with its filters, at ``cursor`` ("" for the first page)."""
    query = _query_without_page(request)
    if cursor:
        query["cursor"] = cursor
    return f"{request.path}?{query.urlencode()}" if query else request.path


def incident_url(incident: Incident) -> str:
    return reverse("incidents:detail", kwargs={"public_id": incident.public_id})


@login_required
def detail(request, public_id):
    incident = selectors.incident_get_for_user(request.user, public_id)
    return _render_detail(request, incident)


def _render_detail(
    request, incident: Incident, *, status: int = 200, revealed: bytes | None = None, **bound_forms
):
    user = request.user
    now = timezone.now()
    disclaimed = permissions.reads_only_as_disclaimer(user, incident)
    forms = {
        "answer_form": AnswerForm() if permissions.can_answer(user, incident) else None,
        "not_installed_form": NotInstalledForm()
        if permissions.can_answer(user, incident)
        else None,
        "code_failed_form": (
            CodeFailedForm() if permissions.can_report_code_failed(user, incident) else None
        ),
        "close_form": (
            CloseForm(code_provided=incident.status == IncidentStatus.CODE_PROVIDED)
            if permissions.can_close(user, incident)
            else None
        ),
        "note_form": NoteForm() if permissions.can_add_note(user, incident) else None,
    }
    forms.update(bound_forms)
    context = {
        "incident": incident,
        # What happened after the Supplier disclaimed it is for those working it now.
        "timeline": selectors.incident_timeline(
            incident, until=incident.disclaimed_at if disclaimed else None
        ),
        "can_reveal": permissions.can_reveal_code(user, incident),
        "can_reassign": permissions.can_reassign(user, incident),
        "is_raiser": permissions.is_raiser(user, incident),
        "is_overdue": incident.status == IncidentStatus.AWAITING_INSTALLER
        and incident.due_at is not None
        and now > incident.due_at,
        "deadline": (
            deadline_text(incident.due_at, now=now)
            if incident.status == IncidentStatus.AWAITING_INSTALLER
            and incident.due_at
            and not disclaimed
            else ""
        ),
        "days_left": (
            days_left_text(now, incident.due_at)
            if incident.status == IncidentStatus.AWAITING_INSTALLER and incident.due_at
            else ""
        ),
        "disclaimed": disclaimed,
        "error_forms": [f for f in forms.values() if f is not None and f.is_bound and f.errors],
        **forms,
    }
    if revealed is not None:
        context["revealed_code"] = format_install_code(revealed)
        context["revealed_crc"] = crc_suffix(revealed).hex().upper()
    return render(request, "incidents/detail.html", context, status=status)


def _action(
    request,
    public_id,
    *,
    action: str,
    allowed: Callable,
    form_class,
    form_name: str,
    perform: Callable,
    success: str,
    form_kwargs: Callable = lambda incident: {},
):
    """Shared shape of every POST action on an incident page."""
    incident = selectors.incident_get_for_user(request.user, public_id)
    if not allowed(request.user, incident):
        return _moved_on(request, incident, action=action)
    form = form_class(request.POST, **form_kwargs(incident))
    if form.is_valid():
        try:
            perform(incident, form.cleaned_data)
        except (PermissionDenied, services.IncidentError) as exc:
            # The row, read again under its lock, no longer allows it: moved on meanwhile.
            if isinstance(exc, PermissionDenied) or exc.code in MOVED_ON_CODES:
                return _moved_on(request, incident, action=action)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, success.format(reference=incident.reference))
            return redirect(incident_url(incident))
    return _render_detail(request, incident, status=400, **{form_name: form})


# Refusals of a service that mean the request changed since the user's page was drawn.
MOVED_ON_CODES = ("invalid_transition", "closed")


def _moved_on(request, incident: Incident, *, action: str):
    """A refused action: 409 with what happened when the user could take it a moment ago and
    the request has moved on (answered, closed...) since; otherwise 403 (or 404 once the user
    may no longer see the request at all)."""
    incident = selectors.incident_get_for_user(request.user, incident.public_id)
    message = (
        selectors.incident_moved_on_message(
            incident,
            until=incident.disclaimed_at
            if permissions.reads_only_as_disclaimer(request.user, incident)
            else None,
        )
        if permissions.takes_part_in(action, request.user, incident)
        else None
    )
    if message is None:
        raise PermissionDenied("You cannot do that to this incident.")
    messages.warning(request, message)
    return _render_detail(request, incident, status=409)


@require_POST
@login_required
def answer(request, public_id):
    return _action(
        request,
        public_id,
        action="answer",
        allowed=permissions.can_answer,
        form_class=AnswerForm,
        form_name="answer_form",
        perform=lambda incident, data: services.incident_answer(
            actor=request.user, incident=incident, install_code=data["install_code"]
        ),
        success="Install code provided for {reference}. The raising Supplier has been emailed.",
    )


CONFIRMED = "yes"  # the confirmation page's hidden ``confirm`` value


@require_POST
@login_required
def not_installed(request, public_id):
    """We did not install this Device, in two steps: the incident page's form leads to a page
    that says what will happen, with the reason typed; its confirmed POST sends the request to
    the helpdesk and lands on the incident, which the Supplier keeps in sight, read only."""
    if request.POST.get("confirm") == CONFIRMED:
        return _action(
            request,
            public_id,
            action="not_installed",
            allowed=permissions.can_answer,
            form_class=NotInstalledForm,
            form_name="not_installed_form",
            perform=lambda incident, data: services.incident_answer_not_installed(
                actor=request.user, incident=incident, reason=data["reason"]
            ),
            success="{reference} sent to the DCC helpdesk to find the installing Supplier. "
            "It has left your worklist; you can still read it under Disclaimed by us.",
        )
    incident = selectors.incident_get_for_user(request.user, public_id)
    if not permissions.can_answer(request.user, incident):
        return _moved_on(request, incident, action="not_installed")
    form = NotInstalledForm(request.POST)
    # The reason is checked now (length, no install code in it), not after the confirmation.
    if form.is_valid():
        try:
            services.not_installed_reason_clean(form.cleaned_data["reason"])
        except services.IncidentError as exc:
            form.add_error("reason", exc.message)
    if form.errors:
        return _render_detail(request, incident, status=400, not_installed_form=form)
    return render(
        request,
        "incidents/not_installed_confirm.html",
        {"incident": incident, "form": form, "confirmed": CONFIRMED},
    )


@require_POST
@login_required
def code_failed(request, public_id):
    return _action(
        request,
        public_id,
        action="code_failed",
        allowed=permissions.can_report_code_failed,
        form_class=CodeFailedForm,
        form_name="code_failed_form",
        perform=lambda incident, data: services.incident_report_code_failed(
            actor=request.user, incident=incident, reason=data["reason"]
        ),
        success="{reference} returned to the installing Supplier with a new deadline.",
    )


@require_POST
@login_required
def close(request, public_id):
    return _action(
        request,
        public_id,
        action="close",
        allowed=permissions.can_close,
        form_class=CloseForm,
        form_name="close_form",
        form_kwargs=lambda incident: {
            "code_provided": incident.status == IncidentStatus.CODE_PROVIDED
        },
        perform=lambda incident, data: services.incident_close(
            actor=request.user, incident=incident, outcome=data["outcome"]
        ),
        success="{reference} closed.",
    )


@require_POST
@login_required
def add_note(request, public_id):
    return _action(
        request,
        public_id,
        action="note",
        allowed=permissions.can_add_note,
        form_class=NoteForm,
        form_name="note_form",
        perform=lambda incident, data: services.incident_add_note(
            actor=request.user, incident=incident, text=data["text"]
        ),
        success="Note added to {reference}.",
    )


@never_cache
@require_POST
@login_required
def reveal(request, public_id):
    """Show the install code once, on a page that is never cached."""
    incident = selectors.incident_get_for_user(request.user, public_id)
    try:
        code = services.incident_reveal_code(actor=request.user, incident=incident)
    except PermissionDenied:
        return _moved_on(request, incident, action="reveal")
    return _render_detail(request, incident, revealed=code)
