"""The session engine (``SESSION_ENGINE``): Django's database sessions in the portal's own
table (``accounts.Session``), whose row also names its signed-in user, and read with that user
and their confirmed second factors in one query, compiled once per process
(``ssi_portal.lib.compiled``): every request of a signed-in user reads its session, and
compiling Django's query took three times as long as running it.

The rows and expiry are those of ``django.contrib.sessions.backends.db``: a row is the session
until its ``expire_date`` has passed, and a deleted row ends the session at once. The user read
with it is handed to the authentication backend for that request only
(``accounts.backends.users_from_the_session_of``), which still refuses an inactive user, and
Django's middleware still checks the session's auth hash against it.
"""

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import router
from django.utils import timezone

from ssi_portal.lib.compiled import CompiledQuery

from .backends import user_columns, user_from_columns
from .models import Session


def _session_with_user(key):
    columns, sessions = user_columns(Session.objects.filter(session_key=key), "user")
    return sessions.values_list("session_data", "expire_date", "user_id", *columns)


_SESSION_ROW = CompiledQuery(_session_with_user, kinds=(str,))


def session_user_id(data: dict):
    """The id of the user signed in to a session of ``data`` (None for none or a bad one)."""
    try:
        return get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))
    except ValidationError:
        return None


class SessionStore(db.SessionStore):
    _user_read = None  # (user id, user or None), as the session's row named them

    @classmethod
    def get_model_class(cls):
        return Session

    def _get_session_from_db(self):
        self._user_read = None
        using = router.db_for_read(Session)
        rows = _SESSION_ROW.rows(self.session_key, using=using)
        # As Django's own: a session whose end has passed is no session (expire_date > now).
        if not rows or rows[0][1] <= timezone.now():
            self._session_key = None
            return None
        session_data, expire_date, user_id, *user = rows[0]
        if user_id is not None:
            self._user_read = (user_id, user_from_columns(using, user))
        return Session(
            session_key=self.session_key,
            session_data=session_data,
            expire_date=expire_date,
            user_id=user_id,
        )

    def take_user(self, user_id) -> tuple | None:
        """``(user,)`` as read with this session's row if its user is ``user_id`` (``(None,)``
        for a user that no longer exists), once: the user of the request that read it, never
        of a later one. None when the row named no such user."""
        read, self._user_read = self._user_read, None
        if read is None or read[0] != user_id:
            return None
        return (read[1],)

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = session_user_id(data)
        return session
