"""Signing in and one's own account: the login (password, then a code for a user with an
authenticator app), the lockout page, two-factor set-up, the account page, changing one's
password, and the set-password page of an invitation. An organisation's users, for its
administrators, are in ``views_users``.

Each view checks access, validates a form, calls one service and maps a refusal to a form
error; the rules live in ``accounts.services``.
"""

import io
import time
from base64 import b32encode

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import (
    LoginView,
    PasswordChangeView,
    PasswordResetConfirmView,
)
from django.db.models import Max
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from .. import services
from ..audit import client_ip
from ..forms.account import CodeForm, LoginForm, SetupCodeForm
from ..models import User
from ..selectors.mfa import backup_codes_left, mfa_pending_device, user_has_mfa
from ..tokens import invitation_token_generator

# Set between the two steps of a login: whose password was accepted, how, and when.
PENDING_LOGIN = "_ssi_login_pending"


def _next_url(request, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- Login ----------------------------------------------------------------------------------


class PortalLoginView(LoginView):
    """Step one: the password (django-axes counts failures). A user with an authenticator app
    is not signed in yet: step two (:func:`login_code`) asks for a code."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.is_verified() and user_has_mfa(user):
            # Signed in without a code (a session begun before the app was set up): start
            # again, with both steps.
            logout(request)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if not user_has_mfa(user):
            return super().form_valid(form)
        # A new session key: whoever planted the old one learns nothing from this step.
        self.request.session.cycle_key()
        self.request.session[PENDING_LOGIN] = {
            "user_id": user.pk,
            "backend": user.backend,
            "at": time.time(),
        }
        url = reverse("accounts:login_code")
        if next_url := self.get_redirect_url():
            url += "?" + urlencode({"next": next_url})
        return HttpResponseRedirect(url)


def _pending_login(request) -> tuple[User | None, str]:
    pending = request.session.get(PENDING_LOGIN)
    if not pending:
        return None, ""
    if (
        time.time() - pending["at"] > settings.SSI_MFA_PENDING_SECONDS
        or pending["backend"] not in settings.AUTHENTICATION_BACKENDS
    ):
        del request.session[PENDING_LOGIN]
        return None, ""
    return User.objects.filter(pk=pending["user_id"], is_active=True).first(), pending["backend"]


@never_cache
@sensitive_post_parameters("otp_token")
@require_http_methods(["GET", "HEAD", "POST"])
def login_code(request):
    """Step two: a code from the authenticator app, or a backup code. A wrong code counts as a
    failed login towards the lockout, like a wrong password."""
    user, backend = _pending_login(request)
    if user is None:
        messages.info(request, "Enter your username and password to log in.")
        return redirect("login")
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return locked_out(request, None, credentials)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.mfa_verify(user=user, token=form.cleaned_data["otp_token"])
        except services.AccountError as exc:
            form.add_error("otp_token", exc.message)
            user_login_failed.send(
                sender=__name__,
                credentials={**credentials, "second_factor": True},
                request=request,
            )
            if getattr(request, "axes_locked_out", False):
                return locked_out(request, None, credentials)
        else:
            del request.session[PENDING_LOGIN]
            # django_otp's user_logged_in receiver marks the new session verified by it.
            user.otp_device = device
            auth_login(request, user, backend=backend)
            if isinstance(device, StaticDevice):
                left = backup_codes_left(user)
                messages.warning(
                    request,
                    f"You logged in with a backup code; {left} left. "
                    "Make new ones on your account page if you are running short.",
                )
            return HttpResponseRedirect(_next_url(request, request.GET.get("next")))
    return render(
        request,
        "accounts/login_code.html",
        {"form": form, "error_forms": [form] if form.errors else []},
        status=400 if form.errors else 200,
    )


def locked_out(request, original_response=None, credentials=None):
    """The lockout page (django-axes' ``AXES_LOCKOUT_CALLABLE``): says until when this username
    is refused from this address. Status 429."""
    username = get_client_username(request, credentials) or ""
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    last = AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
        last=Max("attempt_time")
    )["last"]
    if hasattr(request, "session"):
        request.session.pop(PENDING_LOGIN, None)
    return render(
        request,
        "accounts/locked_out.html",
        {"until": (last or timezone.now()) + settings.AXES_COOLOFF_TIME},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


# --- The account page and two-factor authentication ----------------------------------------


def _account_page(request, *, remove_form=None, codes_form=None, status=200):
    user = request.user
    remove_form = remove_form or CodeForm(prefix="remove")
    codes_form = codes_form or CodeForm(prefix="codes")
    return render(
        request,
        "accounts/account.html",
        {
            "has_mfa": user_has_mfa(user),
            "backup_codes_left": backup_codes_left(user),
            "mfa_required": settings.SSI_MFA_REQUIRED,
            "remove_form": remove_form,
            "codes_form": codes_form,
            "error_forms": [f for f in (remove_form, codes_form) if f.is_bound and f.errors],
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def account(request):
    return _account_page(request)


def _secret_for_typing(device) -> str:
    """The secret as an authenticator app takes it typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_post_parameters("otp_token")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_setup(request):
    try:
        device = services.mfa_enrolment_start(actor=request.user)
    except services.AccountError as exc:
        messages.info(request, exc.message)
        return redirect("accounts:account")
    next_url = _next_url(request, request.GET.get("next"))
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.mfa_enrolment_confirm(
                actor=request.user, token=form.cleaned_data["otp_token"], request=request
            )
        except services.AccountError as exc:
            form.add_error("otp_token", exc.message)
        else:
            # This session is verified by the new app: no second login needed.
            django_otp.login(request, device)
            return render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "next_url": next_url, "just_set_up": True},
            )
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "secret": _secret_for_typing(device),
            "next_url": next_url,
            "error_forms": [form] if form.errors else [],
        },
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def mfa_qr(request):
    """The QR code of the authenticator being set up, as an SVG image (no third party sees the
    secret, and the page needs no script)."""
    device = mfa_pending_device(request.user)
    if device is None:
        raise Http404("Nothing is being set up.")
    out = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        out, kind="svg", scale=5, border=4, xmldecl=False, title="QR code for your app"
    )
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@sensitive_post_parameters("remove-otp_token")
@login_required
@require_POST
def mfa_remove(request):
    form = CodeForm(request.POST, prefix="remove")
    if form.is_valid():
        try:
            services.mfa_remove(
                actor=request.user, token=form.cleaned_data["otp_token"], request=request
            )
        except services.AccountError as exc:
            form.add_error("otp_token", exc.message)
        else:
            if settings.SSI_MFA_REQUIRED:
                messages.info(request, "Your old app no longer works. Set up the new one now.")
                return redirect("accounts:mfa_setup")
            messages.success(request, "Two-factor authentication is off for your account.")
            return redirect("accounts:account")
    return _account_page(request, remove_form=form, status=400)


@never_cache
@sensitive_post_parameters("codes-otp_token")
@login_required
@require_POST
def mfa_backup_codes(request):
    form = CodeForm(request.POST, prefix="codes")
    if form.is_valid():
        try:
            codes = services.mfa_backup_codes_regenerate(
                actor=request.user, token=form.cleaned_data["otp_token"], request=request
            )
        except services.AccountError as exc:
            form.add_error("otp_token", exc.message)
        else:
            return render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "next_url": reverse("accounts:account"), "just_set_up": False},
            )
    return _account_page(request, codes_form=form, status=400)


# --- Passwords ----------------------------------------------------------------------------


class SetPasswordView(PasswordResetConfirmView):
    """The page an invitation links to: choose a password (Django's validators apply). The link
    works once; Django moves its token into the session and out of the address bar at once."""

    template_name = "accounts/set_password.html"
    token_generator = invitation_token_generator
    success_url = reverse_lazy("login")
    post_reset_login = False

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["error_forms"] = [form] if form is not None and form.errors else []
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        then = (
            " You will then set up two-factor authentication." if settings.SSI_MFA_REQUIRED else ""
        )
        messages.success(
            self.request,
            f"Your password is set. Log in as {form.user.get_username()}.{then}",
        )
        return response


class PortalPasswordChangeView(PasswordChangeView):
    """Change one's own password (Django's validators apply); the session stays signed in and
    verified."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["error_forms"] = [form] if form is not None and form.errors else []
        return context

    def form_valid(self, form):
        messages.success(self.request, "Your password is changed.")
        return super().form_valid(form)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response
