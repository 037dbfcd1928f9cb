"""The organisation pages: the emails the portal sent to a Supplier, and the addresses it sends
them to. Each view checks access, validates a form, calls one service, and redirects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from notifications.selectors import outbox
from ssi_portal.lib.paging import page_number

from .. import permissions, services
from ..forms.organisation import ContactAddForm, NotificationFilterForm
from ..models import supplier_audience

PAGE_SIZE = 25


def _supplier_user(request):
    if not permissions.can_see_organisation_emails(request.user):
        raise PermissionDenied("Only Supplier users have organisation pages.")
    return request.user


@login_required
@require_http_methods(["GET", "HEAD"])
def sent_emails(request):
    user = _supplier_user(request)
    form = NotificationFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = outbox.page_of(
        outbox.notifications_for_audience(supplier_audience(user.supplier_id), status=status),
        page_number(request.GET.get("page")),
        PAGE_SIZE,
    )
    rows = [
        {
            "notification": n,
            "subject": outbox.notification_subject(n),
            "status": outbox.SHOWN_STATUS[n.status],
        }
        for n in page.rows
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/sent_emails.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _contacts_page(request, form, *, status=200):
    user = request.user
    can_manage = permissions.can_manage_contacts(user)
    return render(
        request,
        "accounts/contacts.html",
        {
            "contacts": user.supplier.contacts.order_by("email"),
            "can_manage": can_manage,
            "form": form if can_manage else None,
            "error_forms": [form] if form is not None and form.errors else [],
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contacts(request):
    """The list for every user of the Supplier; its administrators add an address by POST."""
    user = _supplier_user(request)
    if request.method != "POST":
        return _contacts_page(request, ContactAddForm())
    if not permissions.can_manage_contacts(user):
        raise PermissionDenied("Only your organisation's administrators change its addresses.")
    form = ContactAddForm(request.POST)
    if form.is_valid():
        try:
            contact = services.supplier_contact_add(actor=user, email=form.cleaned_data["email"])
        except services.ContactError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, f"{contact.email} now receives your incident emails.")
            return redirect("notifications:contacts")
    return _contacts_page(request, form, status=400)


@login_required
@require_POST
def contact_remove(request, contact_id: int):
    user = _supplier_user(request)
    try:
        contact = services.supplier_contact_remove(actor=user, contact_id=contact_id)
    except services.ContactError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{contact.email} no longer receives your incident emails.")
    return redirect("notifications:contacts")
