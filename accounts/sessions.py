"""The session engine (``SESSION_ENGINE``): Django's sessions in the database, read with SQL
compiled once per process (``ssi_portal.lib.compiled``): every request of a signed-in user
reads its session, and compiling Django's query took three times as long as running it.

The same table, rows and expiry as ``django.contrib.sessions.backends.db``: a row is the
session until its ``expire_date`` has passed, and a deleted row ends the session at once.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import router
from django.utils import timezone

from ssi_portal.lib.compiled import CompiledQuery

_SESSION_ROW = CompiledQuery(
    lambda key: Session.objects.filter(session_key=key).values_list("session_data", "expire_date"),
    kinds=(str,),
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        rows = _SESSION_ROW.rows(self.session_key, using=router.db_for_read(Session))
        # As Django's own: a session whose end has passed is no session (expire_date > now).
        if not rows or rows[0][1] <= timezone.now():
            self._session_key = None
            return None
        return Session(
            session_key=self.session_key, session_data=rows[0][0], expire_date=rows[0][1]
        )
