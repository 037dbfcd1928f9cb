"""Pages of the portal. Each view checks access, validates a form, calls one service and maps a
refusal to a form error; the rules themselves live in ``incidents.services``."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from inventory.identifiers import crc_suffix, format_install_code
from ssi_portal.lib.templatetags.plain_forms import BlankForm

from .. import services
from ..calendar import days_left_text, deadline_text, non_working_days_from
from ..forms.incidents import (
    AnswerForm,
    CloseForm,
    CodeFailedForm,
    NoteForm,
    NotInstalledForm,
    RaiseForm,
)
from ..models import Incident, IncidentStatus
from ..paths import incident_path
from ..permissions import Refusal, incident_access, raise_access
from ..selectors import incidents as selectors
from ..selectors import timeline as selectors_timeline


@login_required
def raise_request(request):
    access = raise_access(request.user)
    if not access:
        raise PermissionDenied(access.refusal.text)
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
            return HttpResponseRedirect(incident_url(incident))
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


def incident_url(incident: Incident) -> str:
    return incident_path(incident.public_id)


@login_required
def detail(request, public_id):
    incident = selectors.incident_get_for_user(request.user, public_id)
    return _render_detail(request, incident)


def _render_detail(
    request, incident: Incident, *, status: int = 200, revealed: bytes | None = None, **bound_forms
):
    now = timezone.now()
    access = incident_access(request.user, incident)
    disclaimed = access.read_only
    forms = {
        "answer_form": _BLANK_ANSWER if access.answer else None,
        "not_installed_form": _BLANK_NOT_INSTALLED if access.disclaim else None,
        "code_failed_form": _BLANK_CODE_FAILED if access.code_failed else None,
        "close_form": (
            _BLANK_CLOSE[incident.status == IncidentStatus.CODE_PROVIDED] if access.close else None
        ),
        "note_form": _BLANK_NOTE if access.note else None,
    }
    forms.update(bound_forms)
    context = {
        "incident": incident,
        # What happened after the Supplier disclaimed it is for those working it now.
        "timeline": selectors_timeline.incident_timeline_entries(
            incident, until=incident.disclaimed_at if disclaimed else None
        ),
        "access": access,
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
            days_left_text(
                now,
                incident.due_at,
                non_working_days=non_working_days_from(incident.non_working_days),
            )
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


# The forms an incident's page offers, drawn once (ssi_portal.lib.templatetags.plain_forms):
# building and drawing them afresh on each request was about 8% of the page's CPU.
_BLANK_ANSWER = BlankForm(AnswerForm)
_BLANK_NOT_INSTALLED = BlankForm(NotInstalledForm)
_BLANK_CODE_FAILED = BlankForm(CodeFailedForm)
_BLANK_CLOSE = {  # by whether the request has an install code to close with
    True: BlankForm(lambda: CloseForm(code_provided=True)),
    False: BlankForm(lambda: CloseForm(code_provided=False)),
}
_BLANK_NOTE = BlankForm(NoteForm)


def _action(
    request,
    public_id,
    *,
    action: str,
    form_class,
    form_name: str,
    perform: Callable,
    success: str,
    form_kwargs: Callable = lambda incident: {},
):
    """Shared shape of every POST action on an incident page."""
    incident = selectors.incident_get_for_user(request.user, public_id)
    if not incident_access(request.user, incident).of(action):
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
            return HttpResponseRedirect(incident_url(incident))
    return _render_detail(request, incident, status=400, **{form_name: form})


# Refusals of a service that mean the request changed since the user's page was drawn.
MOVED_ON_CODES = ("invalid_transition", "closed")


def _moved_on(request, incident: Incident, *, action: str):
    """A refused action: 409 with what happened when the user could take it a moment ago and
    the request has moved on (answered, closed...) since; otherwise 403 (or 404 once the user
    may no longer see the request at all)."""
    incident = selectors.incident_get_for_user(request.user, incident.public_id)
    access = incident_access(request.user, incident)
    message = (
        selectors_timeline.incident_moved_on_message(
            incident, until=incident.disclaimed_at if access.read_only else None
        )
        if access.of(action).takes_part
        else None
    )
    if message is None:
        raise PermissionDenied(Refusal.NOT_ALLOWED.text)
    messages.warning(request, message)
    return _render_detail(request, incident, status=409)


@require_POST
@login_required
def answer(request, public_id):
    return _action(
        request,
        public_id,
        action="answer",
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
            form_class=NotInstalledForm,
            form_name="not_installed_form",
            perform=lambda incident, data: services.incident_answer_not_installed(
                actor=request.user, incident=incident, reason=data["reason"]
            ),
            success="{reference} sent to the DCC helpdesk to find the installing Supplier. "
            "It has left your worklist; you can still read it under Disclaimed by us.",
        )
    incident = selectors.incident_get_for_user(request.user, public_id)
    if not incident_access(request.user, incident).disclaim:
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
