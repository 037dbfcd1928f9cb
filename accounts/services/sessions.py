"""Ending a user's sessions, found by the index on the session's user (``accounts.Session``)."""

from ..models import Session


def user_sessions_end(*, user_id: int) -> int:
    """Delete every session of the user: each is refused at its next request, and stays ended
    whatever happens to the user afterwards. Runs in the caller's transaction (with the change
    that calls for it); queues nothing. Returns how many sessions ended."""
    ended, _ = Session.objects.filter(user_id=user_id).delete()
    return ended
