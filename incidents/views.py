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

from inventory.identifiers import crc_suffix, format_install_code
from inventory.permissions import user_may_raise

from . import permissions, selectors, services
from .calendar import working_day_calendar
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


def _list_page(request, base, *, scope: str):
    form = IncidentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.incident_list(
        base,
        status=filters.get("status", ""),
        overdue=filters.get("overdue", False),
        search=filters.get("q", ""),
    )
    # Keyset pages (no COUNT, no OFFSET): a deep page costs what the first one does.
    page = selectors.incident_page(qs, request.GET.get("cursor"), size=PAGE_SIZE)
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
        },
    )


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
    query = request.GET.copy()
    query.pop("cursor", None)
    query.pop("page", None)
    for key in [k for k, values in query.lists() if any(map(looks_like_install_code, values))]:
        query.pop(key)  # refused by the filter form; not repeated in the page's links
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
        "timeline": selectors.incident_timeline(incident),
        "can_reveal": permissions.can_reveal_code(user, incident),
        "can_reassign": permissions.can_reassign(user, incident),
        "is_raiser": permissions.is_raiser(user, incident),
        "is_overdue": incident.status == IncidentStatus.AWAITING_INSTALLER
        and incident.due_at is not None
        and now > incident.due_at,
        "working_days_left": (
            working_day_calendar().working_days_left(now, incident.due_at)
            if incident.status == IncidentStatus.AWAITING_INSTALLER and incident.due_at
            else None
        ),
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
        raise PermissionDenied("You cannot do that to this incident.")
    form = form_class(request.POST, **form_kwargs(incident))
    if form.is_valid():
        try:
            perform(incident, form.cleaned_data)
        except services.IncidentError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, success.format(reference=incident.reference))
            return redirect(incident_url(incident))
    return _render_detail(request, incident, status=400, **{form_name: form})


@require_POST
@login_required
def answer(request, public_id):
    return _action(
        request,
        public_id,
        allowed=permissions.can_answer,
        form_class=AnswerForm,
        form_name="answer_form",
        perform=lambda incident, data: services.incident_answer(
            actor=request.user, incident=incident, install_code=data["install_code"]
        ),
        success="Install code provided for {reference}. The raising Supplier has been emailed.",
    )


@require_POST
@login_required
def not_installed(request, public_id):
    return _action(
        request,
        public_id,
        allowed=permissions.can_answer,
        form_class=NotInstalledForm,
        form_name="not_installed_form",
        perform=lambda incident, data: services.incident_answer_not_installed(
            actor=request.user, incident=incident, reason=data["reason"]
        ),
        success="{reference} sent to the DCC helpdesk to find the installing Supplier.",
    )


@require_POST
@login_required
def code_failed(request, public_id):
    return _action(
        request,
        public_id,
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
    code = services.incident_reveal_code(actor=request.user, incident=incident)
    return _render_detail(request, incident, revealed=code)
