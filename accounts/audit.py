"""Where the security log hears of logins: Django's auth signals and django-axes' lockout signal.

Receivers only write an audit row (``security_event_record``); no rule of the portal lives here.
Connected in ``InventoryConfig.ready``. Also the client's address, for the log and the lockout.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice

from ssi_portal.lib.networks import forwarded_client

from .models import SecurityEventKind, User


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless that is one of ``SSI_TRUSTED_PROXIES``; then
    the right-most address in X-Forwarded-For that is not one of them (see
    ``ssi_portal.lib.networks``). A client that reaches the portal directly cannot choose its
    address with the header. Also django-axes' ``AXES_CLIENT_IP_CALLABLE``.
    """
    meta = getattr(request, "META", {})
    return forwarded_client(
        meta.get("REMOTE_ADDR") or "",
        meta.get("HTTP_X_FORWARDED_FOR", ""),
        settings.SSI_TRUSTED_PROXIES,
    )


# The username column of accounts (and of the security log); django-axes' holds 255.
USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


def login_username(request, credentials=None) -> str | None:
    """The username a login attempt named, cut to the length an account's can have: django-axes'
    ``AXES_USERNAME_CALLABLE``, so that no attempt is too long for its records. An over-long
    name, which no account has, then counts against the account named by its first 150
    characters, from that address only, as any wrong guess at that name would."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "POST", {}).get("username")
    if username is None:
        return None
    return str(username)[:USERNAME_MAX_LENGTH]


def _record(**kwargs) -> None:
    from .services import security_event_record

    security_event_record(**kwargs)


@receiver(user_logged_in, dispatch_uid="accounts.audit.logged_in")
def _logged_in(sender, request, user, **kwargs):
    device = getattr(user, "otp_device", None)
    if device is None:
        detail = "Password."
    elif isinstance(device, StaticDevice):
        detail = "Password and a backup code."
    else:
        detail = "Password and authenticator code."
    _record(kind=SecurityEventKind.LOGIN, actor=user, request=request, detail=detail)


@receiver(user_logged_out, dispatch_uid="accounts.audit.logged_out")
def _logged_out(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        _record(kind=SecurityEventKind.LOGOUT, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="accounts.audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")[:USERNAME_MAX_LENGTH]
    if _refused_while_locked_out(request):
        detail = "Refused: locked out after too many failed attempts."
    elif credentials.get("second_factor"):
        detail = "Wrong two-factor code."
    else:
        detail = "Wrong username or password."
    _record(
        kind=SecurityEventKind.LOGIN_FAILED,
        request=request,
        username=username,
        supplier=_supplier_of(username),
        detail=detail,
    )


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    if _refused_while_locked_out(request):
        # django-axes says so again for each attempt it refuses; the failed login row says it.
        return
    username = str(username or "")[:USERNAME_MAX_LENGTH]
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    _record(
        kind=SecurityEventKind.LOCKED_OUT,
        request=request,
        username=username,
        supplier=_supplier_of(username),
        detail=(
            f"{settings.AXES_FAILURE_LIMIT} failed attempts from this address: logins of this "
            f"username from it refused for {minutes} minutes."
        ),
    )


def _refused_while_locked_out(request) -> bool:
    """Whether django-axes refused this attempt unseen because the lock was already on (as
    opposed to the failure that turned it on). Its backend flags the request before any
    password is checked; only a counted failure carries a failure count."""
    return bool(
        request is not None
        and getattr(request, "axes_locked_out", False)
        and getattr(request, "axes_failures_since_start", None) is None
    )


def _supplier_of(username: str):
    """The organisation of the account a failed attempt named, so the helpdesk can filter by it."""
    if not username:
        return None
    return User.objects.filter(username=username).values_list("supplier_id", flat=True).first()


def connect_axes() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="accounts.audit.locked_out")
