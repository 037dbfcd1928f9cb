"""The parts of an incident's page drawn in Python: its status badge, its details and its
timeline. The template engine's lookups, conditions, filters and escaping, an include and URL
reversing for each of them were most of what drawing the page cost. The markup is the one
``incidents/detail.html`` and ``includes/status_badge.html`` had, byte for byte
(tests/incidents/test_detail_parts.py compares them)."""

import re
from html import escape  # as Django's escape(), without its checks for lazy text: str only

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from ssi_portal.lib.dates import long_date

from ..models import IncidentStatus
from ..paths import device_path, incident_path

register = template.Library()

# The status badge's colour, as includes/status_badge.html has it.
STATUS_BADGES = {
    IncidentStatus.AWAITING_INSTALLER: "text-bg-primary",
    IncidentStatus.WITH_HELPDESK: "text-bg-warning",
    IncidentStatus.CODE_PROVIDED: "text-bg-success",
}


@register.simple_tag
def status_badge(incident) -> SafeString:
    """``{% status_badge incident %}``: what ``{% include "includes/status_badge.html" %}``
    drew, its line's end included."""
    badge = STATUS_BADGES.get(incident.status, "text-bg-secondary")
    label = escape(str(_display(incident, "status")))
    return mark_safe(f'<span class="badge {badge}">{label}</span>\n')  # noqa: S308 (escaped)


@register.simple_tag
def incident_url(name: str, public_id) -> str:
    """``{% incident_url "incidents:answer" incident.public_id %}``: ``{% url %}`` of one of
    an incident's pages, its pattern reversed once (:func:`incidents.paths.incident_path`)."""
    return incident_path(public_id, name)


def _display(instance, name: str):
    """``instance.get_<name>_display()``, its choices read once per field rather than made
    into a dictionary on each call: the label, or the value itself (None when unset)."""
    field = instance._meta.get_field(name)
    labels = _LABELS.get(field)
    if labels is None:
        labels = _LABELS[field] = dict(field.flatchoices)
    value = getattr(instance, field.attname)
    label = labels.get(value, value)
    return label if label is None else str(label)


_LABELS: dict = {}


def _date(value, *, weekday: bool = True) -> str:
    """``{{ value|date:"l j F Y, H:i" }}`` (``"j F Y, H:i"`` without ``weekday``), escaped."""
    return escape(long_date(value, weekday=weekday))


@register.simple_tag
def incident_details(incident, access, disclaimed, deadline: str, days_left: str) -> SafeString:
    """``{% incident_details incident access disclaimed deadline days_left %}``: the rows of
    the page's Details (``<dt>``/``<dd>`` pairs): the Device, who raised it and when, who has
    it, when the answer is due, when it was closed."""
    device = incident.device
    rows = [
        '<dt class="col-sm-4">Device ID</dt><dd class="col-sm-8 font-monospace" id="device-id">'
        f'<a href="{escape(device_path(device.device_id))}">'
        f"{escape(device.device_id)}</a></dd>",
        '<dt class="col-sm-4">Device type</dt><dd class="col-sm-8">'
        f"{escape(str(_display(device, 'device_type')))}</dd>",
        '<dt class="col-sm-4">SMI status</dt><dd class="col-sm-8">'
        f"{escape(_display(device, 'smi_status') or '—')}</dd>",
    ]
    rows.append(
        f'<dt class="col-sm-4">MPxN</dt><dd class="col-sm-8">{escape(device.mpxn)}</dd>'
        if device.mpxn
        else ""
    )
    rows.append(
        '<dt class="col-sm-4">Your reference</dt><dd class="col-sm-8" id="your-reference">'
        f"{escape(incident.raiser_reference)}</dd>"
        if access.is_raiser and incident.raiser_reference
        else ""
    )
    raiser = incident.raised_by
    if disclaimed and incident.assigned_supplier:
        assignee = "Another Supplier"
    else:
        assignee = escape(incident.assigned_supplier.name if incident.assigned_supplier else "")
        assignee = assignee or "DCC helpdesk"
    rows += [
        '<dt class="col-sm-4">Raised by</dt><dd class="col-sm-8">'
        f"{escape(incident.raising_supplier.name)} "
        f"({escape(raiser.get_full_name() or raiser.username)})</dd>",
        f'<dt class="col-sm-4">Raised</dt><dd class="col-sm-8">{_date(incident.created_at)}</dd>',
        '<dt class="col-sm-4">Assigned to</dt><dd class="col-sm-8" id="assigned-to">'
        f"{assignee}</dd>",
        f'<dt class="col-sm-4">Answer due</dt>\n        <dd class="col-sm-8" id="due">\n'
        f"          {_due(incident, deadline, days_left)}\n        </dd>",
    ]
    rows.append(
        '<dt class="col-sm-4">Closed</dt><dd class="col-sm-8">'
        f"{_date(incident.closed_at)} — "
        f"{escape(str(_display(incident, 'close_outcome')))}</dd>"
        if incident.closed_at
        else ""
    )
    return mark_safe("\n        ".join(rows))  # noqa: S308 (every value escaped above)


def _due(incident, deadline: str, days_left: str) -> str:
    if deadline:
        breached = (
            ": escalated to the DCC helpdesk on "
            f"{_date(incident.breached_at, weekday=False)}. A late answer is still accepted."
            if incident.breached_at
            else ""
        )
        return (
            f'\n            <span class="d-block fw-semibold">Due by {escape(deadline)}</span>\n'
            f'            <span class="d-block" id="days-left">{escape(capfirst(days_left))}'
            f"{breached}</span>\n          "
        )
    if incident.status == IncidentStatus.WITH_HELPDESK:
        return "Clock paused while the DCC helpdesk finds the installing Supplier\n          "
    return "—"


_EVENT = (
    "\n        <li>\n"
    '          <p class="mb-0"><strong>{kind_label}</strong>{now_status}</p>\n'
    '          <p class="mb-1 small text-body-secondary"><time datetime="{at_iso}">{at}</time>'
    " · {organisation}{actor}</p>\n"
    "          {message}\n"
    "        </li>\n        "
)


def _lines(text: str) -> str:
    """``{{ text|linebreaksbr }}``: escaped, then each line's end a ``<br>``."""
    return escape(_NEWLINES.sub("\n", text)).replace("\n", "<br>")


_NEWLINES = re.compile(r"\r\n|\r")


@register.simple_tag
def timeline_items(entries) -> SafeString:
    """``{% timeline_items timeline %}``: the timeline's items, one an event
    (``selectors.timeline.TimelineEntry``), oldest first."""
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            _EVENT.format(
                kind_label=escape(entry.kind_label),
                now_status=f" — now {escape(entry.now_status)}" if entry.now_status else "",
                at_iso=escape(entry.at_iso),
                at=escape(entry.at),
                organisation=escape(entry.organisation),
                actor=f" ({escape(entry.actor)})" if entry.actor else "",
                message=f'<p class="mb-0">{_lines(entry.message)}</p>' if entry.message else "",
            )
            for entry in entries
        )
    )
