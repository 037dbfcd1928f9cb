"""An organisation's users, for its administrators: list, invite, roles, deactivate and
reactivate, invite again, reset a lost second factor. Nobody manages another organisation's
users here (404), and a plain user nothing (403); the DCC helpdesk uses the admin.

Each view checks access, validates a form, calls one service and maps a refusal to a form
error or a message; the rules live in ``accounts.services``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import services
from ..forms.users import InviteForm, RolesForm, roles_initial
from ..permissions import can_manage_users
from ..selectors.users import organisation_user_get, organisation_users


def _administrator(request):
    if not can_manage_users(request.user):
        raise PermissionDenied("Only your organisation's administrators manage its users.")
    return request.user


@login_required
@require_http_methods(["GET", "HEAD"])
def users_list(request):
    actor = _administrator(request)
    return render(
        request,
        "accounts/users/list.html",
        {"users": organisation_users(actor.supplier_id)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def users_invite(request):
    actor = _administrator(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_invite(actor=actor, request=request, **form.cleaned_data)
        except services.AccountError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"{user.username} is invited: an email with a link to choose a password is on "
                f"its way to {user.email}.",
            )
            return redirect("users:list")
    return render(
        request,
        "accounts/users/invite.html",
        {"form": form, "error_forms": [form] if form.errors else []},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def users_detail(request, user_id: int):
    actor = _administrator(request)
    member = organisation_user_get(actor, user_id)
    form = RolesForm(request.POST or None, initial=roles_initial(member))
    if request.method == "POST" and form.is_valid():
        try:
            services.user_roles_change(
                actor=actor, user_id=member.pk, request=request, **form.cleaned_data
            )
        except services.AccountError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Roles of {member.username} saved.")
            return redirect("users:detail", user_id=member.pk)
    return render(
        request,
        "accounts/users/detail.html",
        {
            "member": member,
            "form": form,
            "error_forms": [form] if form.errors else [],
            "is_self": member.pk == actor.pk,
        },
        status=400 if form.errors else 200,
    )


def _user_action(request, user_id: int, service, success: str):
    actor = _administrator(request)
    try:
        user = service(actor=actor, user_id=user_id, request=request)
    except services.AccountError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success.format(username=user.username, email=user.email))
    return redirect("users:detail", user_id=user_id)


@login_required
@require_POST
def users_deactivate(request, user_id: int):
    return _user_action(
        request,
        user_id,
        services.user_deactivate,
        "{username} is deactivated and can no longer log in.",
    )


@login_required
@require_POST
def users_reactivate(request, user_id: int):
    return _user_action(request, user_id, services.user_reactivate, "{username} can log in again.")


@login_required
@require_POST
def users_invite_again(request, user_id: int):
    return _user_action(
        request,
        user_id,
        services.user_invite_again,
        "A new invitation is on its way to {email}; the earlier link no longer works.",
    )


@login_required
@require_POST
def users_reset_mfa(request, user_id: int):
    return _user_action(
        request,
        user_id,
        services.mfa_reset,
        "Two-factor authentication of {username} is reset: they set up a new app when they "
        "next log in.",
    )
