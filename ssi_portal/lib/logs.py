"""Log lines that say which request they belong to, and hold no secret.

Every line carries the request id of the web request it was written in, or of the request that
queued the task writing it (``ssi_portal.celery`` carries the id in the task's headers). The id
lives in a context variable, so threads and tasks each see their own.

Redaction here is the second line of defence: the code does not log install codes, session
keys, passwords or tokens in the first place (tests/security searches the logs for them).
"""

import contextvars
import datetime as dt
import json
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ssi_request_id", default=None
)

# What an incoming X-Request-ID may be to be believed: short, and nothing a log reader or a
# log shipper could take for markup, a field separator or a new line.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_REQUEST_ID = "-"


def request_id_new() -> str:
    # A UUID's hyphens keep it clear of the redaction below (a session key is 32 bare
    # characters; an install code is never written 8-4-4-4-12).
    return str(uuid.uuid4())


def request_id_accept(incoming: str | None) -> str:
    """The incoming id if it is short and safe, else a new one."""
    if incoming and _SAFE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return request_id_new()


def request_id_get() -> str | None:
    return _request_id.get()


def request_id_set(value: str | None) -> contextvars.Token:
    """Set the current id; pass the token to :func:`request_id_reset` when the unit ends."""
    return _request_id.set(value)


def request_id_reset(token: contextvars.Token) -> None:
    _request_id.reset(token)


# --- Redaction ------------------------------------------------------------------------------

_REDACTED = "[redacted]"
_UUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_SECRET_PATTERNS = [
    # Install codes: 16 bytes (32 hex digits), with or without the 2-byte CRC (36), as typed
    # (grouped by 2 or 4 with spaces, hyphens or colons) or packed. The hex run must be the whole
    # word. A UUID written 8-4-4-4-12 (a Celery task id, a request's public id, a request id)
    # is left for the operator to read: no one writes an install code that way.
    re.compile(
        r"(?<![0-9A-Fa-f])(?!"
        + _UUID
        + r"(?![0-9A-Fa-f]))(?:[0-9A-Fa-f]{4}[ :\-]?){7}[0-9A-Fa-f]{4}(?:[ :\-]?[0-9A-Fa-f]{4})?"
        r"(?![0-9A-Fa-f])"
    ),
    re.compile(
        r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{2}([ :\-])(?:[0-9A-Fa-f]{2}\1){14,16}[0-9A-Fa-f]{2}"
        r"(?![0-9A-Fa-f])"
    ),
    # Django session keys: 32 lower-case letters and digits.
    re.compile(r"(?<![A-Za-z0-9])[a-z0-9]{32}(?![A-Za-z0-9])"),
    # Webhook signing secrets and bearer tokens.
    re.compile(r"whsec_[A-Za-z0-9+/=_\-]+"),
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/=\-]+"),
]
# key=value, key: value and "key": "value", for keys that name a secret: the value goes.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)(\b(?:password\d?|passwd|pwd|secret|secret_key|token|api_key|sessionid|session_key|"
    r"csrftoken|csrfmiddlewaretoken|install_code)\b[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]+"
)


def redact(text: str) -> str:
    """``text`` with anything that looks like an install code, a session key, a token or a
    password replaced by ``[redacted]``."""
    text = _SECRET_ASSIGNMENT.sub(rf"\1{_REDACTED}", text)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_REDACTED, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message (arguments merged in) and exception text, redacted.

    On the handler, so it sees the records of every logger that reaches it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            # Formatters use exc_text when it is set; the traceback object is not needed again.
            record.exc_info = None
        return True


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (``-`` outside any request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # Django logs a 4xx or 5xx answer once the middleware has returned, but names the
            # request in the record (django.request's extra), which holds the id.
            request = getattr(record, "request", None)
            record.request_id = (
                request_id_get() or getattr(request, "request_id", None) or NO_REQUEST_ID
            )
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, request_id, and
    exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or NO_REQUEST_ID,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


# The formatter production puts in place of the readable one (ssi_portal.settings.production).
JSON_LINES_FORMATTER = {"()": "ssi_portal.lib.logs.JsonLinesFormatter"}


def logging_config(*, level: str) -> dict:
    """The LOGGING setting: one handler on stderr, every line stamped with its request id and
    redacted, as readable text; production swaps in :data:`JSON_LINES_FORMATTER`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "ssi_portal.lib.logs.RequestIdFilter"},
            "redact": {"()": "ssi_portal.lib.logs.RedactSecretsFilter"},
        },
        "formatters": {
            "portal": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "portal",
                "filters": ["request_id", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }
