"""What the portal's configured log handler writes, captured for a test."""

import io
import logging
from contextlib import contextmanager


@contextmanager
def portal_log(level: int = logging.DEBUG):
    """The text the ``console`` handler of LOGGING writes (its filters and formatter at work),
    into a buffer instead of stderr, with the root logger at ``level``; both put back after."""
    handler = logging.getHandlerByName("console")
    assert handler is not None, "LOGGING has no handler named console"
    root = logging.getLogger()
    buffer = io.StringIO()
    saved_level = root.level
    saved_stream = handler.setStream(buffer)
    root.setLevel(level)
    try:
        yield buffer
    finally:
        handler.setStream(saved_stream)
        root.setLevel(saved_level)
