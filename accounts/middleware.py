"""What every request of a signed-in user pays for, kept small: the session and its user read in
one query, the session saved at most once a minute, the second factor checked without reading
its device; and two-factor authentication, where required, before any page of the portal or
the admin."""

import functools
import time

from django.apps import apps
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions import middleware as sessions
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import LazyObject, SimpleLazyObject, empty
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from .backends import confirmed_device_ids, users_from_the_session_of
from .selectors.mfa import user_has_mfa

# When the session was last written (seconds since the epoch), kept in the session itself.
SESSION_SAVED_AT = "_ssi_saved_at"


def session_stamp(session) -> None:
    """Record in ``session`` that it is being saved now (setting it marks it to be saved)."""
    session[SESSION_SAVED_AT] = int(time.time())


def stamp_session_at_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: a session that begins is saved, so its refresh clock starts."""
    if getattr(request, "session", None) is not None:
        session_stamp(request.session)


class SessionMiddleware(sessions.SessionMiddleware):
    """Django's session middleware, which moves a signed-in session's end on
    (``SESSION_COOKIE_AGE``, 30 minutes, after its last save) by saving it when it was last
    saved ``SSI_SESSION_REFRESH_SECONDS`` (60) or more ago, instead of on every request
    (``SESSION_SAVE_EVERY_REQUEST``): the session row is rewritten and committed at most once a
    minute per session, not on every page.

    The expiry stays exact to within that minute, never longer: a session ends 30 minutes after
    the last request that saved it, so between 29 and 30 minutes after the last request of all
    (a request less than a minute after a save does not move the end on). A revoked session
    (its row deleted, its user deactivated) is refused at its very next request as before: the
    row and the user are still read on every request; only the write is spared.

    A session this request did not read is left alone (reading it only to refresh it would
    cost the query it saves), and so is an empty one (no session is made for a visitor).

    The signed-in user is read with the session's row (``accounts.sessions``), and Django's
    ``AuthenticationMiddleware`` takes them from there for this request
    (``accounts.backends.users_from_the_session_of``): one query for the session and its user.
    """

    def __call__(self, request):
        if self.async_mode:  # the portal is served over WSGI; the user is then read on its own
            return super().__call__(request)
        with users_from_the_session_of(request):
            return super().__call__(request)

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and self._refresh_due(session):
            session_stamp(session)
        return super().process_response(request, response)

    @staticmethod
    def _refresh_due(session) -> bool:
        if not (session.accessed or session.modified) or session.is_empty():
            return False
        if session.modified:  # saved anyway: the stamp rides along
            return True
        saved_at = session.get(SESSION_SAVED_AT)
        if not isinstance(saved_at, int):
            return True
        return time.time() - saved_at >= settings.SSI_SESSION_REFRESH_SECONDS


def _concrete_persistent_id(persistent_id: str) -> str | None:
    """``app_label.model/pk`` of the concrete device model (``accounts.sealedtotpdevice/3`` is
    ``otp_totp.totpdevice/3``: a proxy shares its table); None if it names no device."""
    label, _, pk = persistent_id.rpartition("/")
    try:
        model, pk = apps.get_model(label), int(pk)
    except (LookupError, ValueError):
        return None
    if not issubclass(model, Device):
        return None
    return f"{model._meta.concrete_model._meta.label_lower}/{pk}"


def _resolved(user):
    """The user behind ``AuthenticationMiddleware``'s lazy ``request.user``, so that the lazy
    user this middleware installs wraps the user itself, not a second lazy object: each of the
    hundred or so reads of ``request.user``'s attributes a page makes then goes through one
    proxy, not two."""
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


class VerifiedDeviceMiddleware(OTPMiddleware):
    """django-otp's ``OTPMiddleware`` (``request.user.otp_device``, ``user.is_verified()``),
    which checks the device that verified the session (``django_otp.login``) against the
    user's confirmed devices read with the user (``accounts.backends.ModelBackend``) instead of
    reading the device from its table: one query less on every signed-in request, and as
    exact, since that list is read afresh on every request. A device removed, unconfirmed or
    given to another user no longer verifies the session from the next request on: its id
    leaves the session, as django-otp does, and ``TwoFactorRequiredMiddleware`` then asks for
    a code (or for a new authenticator).

    ``otp_device`` is the device itself, read only if something uses more than its presence.
    A user loaded otherwise (no such list) is checked as django-otp does.
    """

    def _verify_user_sync(self, request, user):
        user = _resolved(user)
        confirmed = confirmed_device_ids(user) if user.is_authenticated else None
        if confirmed is None:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if not persistent_id:
            return user
        persistent_id = self._normalize_persistent_id(persistent_id)
        if _concrete_persistent_id(persistent_id) in confirmed:
            user.otp_device = SimpleLazyObject(
                functools.partial(self._device_from_persistent_id, persistent_id)
            )
        else:
            del request.session[DEVICE_ID_SESSION_KEY]
        return user


# The pages a signed-in user reaches before giving a code: those that set one up or end the
# session. Static files never get here (WhiteNoise serves them first).
EXEMPT_VIEWS = frozenset(
    {
        "login",
        "logout",
        "accounts:login_code",
        "accounts:mfa_setup",
        "accounts:mfa_qr",
        "accounts:set_password",
    }
)


class TwoFactorRequiredMiddleware:
    """With ``SSI_MFA_REQUIRED``, a signed-in user whose session no code verified sees only the
    page that sets up an authenticator app (if they have none) or logs in again (if they have
    one: a session begun before they set it up, or elsewhere). Needs ``VerifiedDeviceMiddleware``
    (or django-otp's ``OTPMiddleware``) before it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.SSI_MFA_REQUIRED:
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.resolver_match.view_name in EXEMPT_VIEWS:
            return None
        if user_has_mfa(user):
            logout(request)
            return redirect_to_login(request.get_full_path())
        setup = reverse("accounts:mfa_setup")
        if request.method in ("GET", "HEAD"):
            setup += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(setup)
