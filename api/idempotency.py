"""``Idempotency-Key`` on every POST of the API.

A POST sent with a key runs inside one transaction that also stores its answer (status,
body, the headers that matter) under (client, key). A retry with the same key and the same
method, path and body gets the stored answer again and acts not at all; the same key with
another body is refused (422, ``idempotency_key_reused``). Keys are kept
``KEEP`` (24 hours); a purge job deletes them after.

Concurrency: the first call inserts its key row inside its transaction; a second call with
the same key blocks on the unique index until the first ends (PostgreSQL), then finds the
stored answer and replays it, or, if the first rolled back, acts itself. So a raise retried
after a lost response never raises twice. An answer of the server's own failure (5xx) or a
rate limit (429) is not kept: the retry acts.
"""

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from .models import IdempotencyKey
from .problems import Problem

HEADER = "Idempotency-Key"
KEEP = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
_KEPT_HEADERS = ("Location", "Cache-Control", "Content-Disposition")


def fingerprint(request) -> str:
    """What a retry must repeat: method, path and body. A multipart body is read by its
    fields and files (its boundary changes from one try to the next)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"field {name}={value}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"file {name} {upload.name}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.body), status=stored.status_code, content_type=stored.content_type
    )
    for name, value in stored.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def checked_key(request) -> str | None:
    """The call's key, or None without the header; a problem for a malformed one."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "bad_idempotency_key",
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters (a UUID is usual).",
        )
    return key


def run_idempotent(request, client, act, *, _attempt: int = 0):
    """Run ``act()``, which returns a rendered response, at most once per key.

    ``request``: the Django request, its body not read yet; ``client``: the calling
    ``ApiClient``. Without the header, ``act()`` just runs.
    """
    key = checked_key(request)
    if key is None:
        return act()
    now = timezone.now()
    print_ = fingerprint(request)
    # A key past its 24 hours is free again.
    IdempotencyKey.objects.filter(client=client, key=key, expires_at__lte=now).delete()
    with transaction.atomic():
        try:
            with transaction.atomic():  # waits here while another call holds this key
                row = IdempotencyKey.objects.create(
                    client=client,
                    key=key,
                    fingerprint=print_,
                    status_code=0,
                    body=b"",
                    content_type="",
                    created_at=now,
                    expires_at=now + KEEP,
                )
        except IntegrityError:
            row = None
        if row is None:
            stored = IdempotencyKey.objects.filter(client=client, key=key).first()
        else:
            response = act()
            if response.status_code >= 500 or response.status_code == 429:
                transaction.set_rollback(True)  # not kept: the retry acts
                return response
            row.status_code = response.status_code
            row.body = response.content
            row.content_type = response.get("Content-Type", "application/json")
            row.headers = {h: response[h] for h in _KEPT_HEADERS if response.has_header(h)}
            row.save(update_fields=["status_code", "body", "content_type", "headers"])
            return response
    if stored is None:  # the other call rolled back after our insert failed: try again
        if _attempt >= 2:
            raise Problem(
                409,
                "idempotency_key_busy",
                f"Another call with this {HEADER} is being answered; retry in a moment.",
                headers={"Retry-After": "1"},
            )
        return run_idempotent(request, client, act, _attempt=_attempt + 1)
    if stored.fingerprint != print_:
        raise Problem(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was used within the last 24 hours for another request (another "
            "path or body); use a new key for a new request.",
        )
    return _replay(stored)


def idempotency_keys_purge(*, now=None) -> int:
    """Delete the keys past their 24 hours; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
