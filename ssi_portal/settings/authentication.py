"""Settings of authentication, part of ``base``: login throttling, two-factor authentication
(TOTP), sessions, invitations. The password validators and LOGIN_URL are in ``base``."""

import datetime as dt

import environ
from django.core.exceptions import ImproperlyConfigured

from ssi_portal.lib.networks import parse_networks

env = environ.Env()

AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: refuses a locked-out username and address before any
    # password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, which also reads a signed-in user's second factors with the user.
    "accounts.backends.ModelBackend",
]

# Two-factor authentication: an authenticator app (TOTP) with one-use backup codes; an email is
# not a second factor. When required, a signed-in user without an authenticator sees only the
# page that sets one up, and the admin needs a session verified with a code. Production always
# requires it (production.py); the demo (dev.py) offers it on the account page.
SSI_MFA_REQUIRED = True
SSI_MFA_BACKUP_CODES = 10
# How long the code step of a login waits after the password was accepted.
SSI_MFA_PENDING_SECONDS = 300
OTP_TOTP_ISSUER = "SSI Portal"
# The TOTP secret and backup codes stay out of the helpdesk's view of the device tables.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Login throttling (django-axes): five failed logins of one username from one address lock that
# username at that address for 15 minutes from the fifth; the next attempt is refused even with
# the right password. Locking by username *and* address means a rival elsewhere cannot lock a
# user out, and a success resets the count. A refused attempt does not extend the lock, so the
# time the lockout page names holds.
AXES_FAILURE_LIMIT = env.int("SSI_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("SSI_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.account.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "accounts.audit.client_ip"
AXES_USERNAME_CALLABLE = "accounts.audit.login_username"
# Logins are in the portal's own security log (accounts.SecurityEvent); axes keeps only the
# failure counts. Codes typed at the second step never reach its stored request data.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
AXES_VERBOSE = False
# The proxies in front of the portal (addresses or CIDR networks) whose X-Forwarded-For is
# believed: from a peer on this list the client is the right-most forwarded address that is not
# one of them; from any other peer, the socket's address, whatever the header says. Empty here
# (nothing in front); production trusts loopback, where its proxy reaches gunicorn. Too few and
# every client behind the proxy shares one address (one lockout); too many and a client that
# reaches gunicorn directly chooses its own.
SSI_TRUSTED_PROXIES = env.list("SSI_TRUSTED_PROXIES", default=[])
# Replaced by SSI_TRUSTED_PROXIES: a count of proxies believed the header from any peer at all.
if "SSI_TRUSTED_PROXY_COUNT" in env:
    raise ImproperlyConfigured(
        "SSI_TRUSTED_PROXY_COUNT is no longer read: list the proxies in front of the portal in "
        "SSI_TRUSTED_PROXIES (addresses or CIDR networks, comma-separated) and unset it."
    )
try:
    parse_networks(SSI_TRUSTED_PROXIES, setting="SSI_TRUSTED_PROXIES")
except ValueError as _exc:
    raise ImproperlyConfigured(str(_exc)) from _exc

# Sessions end after this much inactivity or when the browser closes, whichever comes first.
# They live in the database (Django's database sessions in the portal's table, whose row names
# its user: accounts.sessions reads the session with its user in one query compiled once), read
# on every request, so a session deleted or a user deactivated is refused at once. A request
# moves the end on by saving the session, but at most once every SSI_SESSION_REFRESH_SECONDS
# (0: every request), not on every request: a session therefore ends between
# SESSION_COOKIE_AGE minus that and SESSION_COOKIE_AGE after its last request, never later
# (accounts.middleware).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env.int("SSI_SESSION_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SSI_SESSION_REFRESH_SECONDS = env.int("SSI_SESSION_REFRESH_SECONDS", default=60)
if not 0 <= SSI_SESSION_REFRESH_SECONDS <= SESSION_COOKIE_AGE // 10:
    raise ImproperlyConfigured(
        f"SSI_SESSION_REFRESH_SECONDS is {SSI_SESSION_REFRESH_SECONDS}: use 0 (save the session "
        f"on every request) up to a tenth of SSI_SESSION_SECONDS ({SESSION_COOKIE_AGE // 10}), "
        "or an active user's session could end while they work."
    )
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# An invitation's set-password link works once, and for this long.
PASSWORD_RESET_TIMEOUT = env.int("SSI_INVITATION_SECONDS", default=3 * 24 * 60 * 60)
