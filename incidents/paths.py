"""The addresses of an incident's pages and a Device's page, each URL pattern reversed once.

``reverse()`` walks the URL conf on every call and costs more than the rest of an email's
context or a redirect; the addresses differ only by the incident's public id or the Device
ID, so each pattern is reversed once per URL conf and script prefix, with a marker in place
of the id, and the id is put in its place after that.
"""

import re

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from ssi_portal.lib.kept import Kept

_PARTS: Kept[tuple[str, str]] = Kept(1_000)  # (before the id, after it), by URL conf and name
_INCIDENT_MARKER = "00000000-0000-0000-0000-000000000000"
_DEVICE_MARKER = "0-0"
# A Device ID that needs no quoting in a path (the portal's own: hex digits and hyphens).
_PLAIN_ID = re.compile(r"[0-9A-Za-z-]+")


def incident_path(public_id, name: str = "incidents:detail") -> str:
    """``reverse(name, kwargs={"public_id": public_id})`` for one of an incident's pages."""
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name)
    prefix, suffix = _PARTS.get(key, lambda: _split(name, {"public_id": _INCIDENT_MARKER}))
    return f"{prefix}{public_id}{suffix}"


def device_path(device_id: str) -> str:
    """``reverse("incidents:device", args=[device_id])``."""
    if not _PLAIN_ID.fullmatch(device_id):
        return reverse("incidents:device", args=[device_id])
    name = "incidents:device"
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name)
    prefix, suffix = _PARTS.get(key, lambda: _split(name, None, [_DEVICE_MARKER]))
    return f"{prefix}{device_id}{suffix}"


def _split(name: str, kwargs: dict | None, args: list | None = None) -> tuple[str, str]:
    marker = _DEVICE_MARKER if args else _INCIDENT_MARKER
    prefix, suffix = reverse(name, args=args, kwargs=kwargs).split(marker)
    return prefix, suffix
