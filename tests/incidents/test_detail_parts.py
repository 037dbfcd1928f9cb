"""An incident's page, drawn for less: its status badge, details and timeline drawn in Python
with the markup its templates drew, byte for byte; its forms, not yet filled in, drawn once;
its addresses reversed once."""

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from conftest import INSTALL_CODE
from incidents.forms.incidents import (
    AnswerForm,
    CloseForm,
    CodeFailedForm,
    NoteForm,
    NotInstalledForm,
)
from incidents.models import CloseOutcome, IncidentStatus
from incidents.paths import device_path
from incidents.selectors.timeline import TimelineEntry
from incidents.templatetags.incident_detail import incident_url
from ssi_portal.lib.dates import long_date
from ssi_portal.lib.templatetags.plain_forms import BlankForm, form_fields

pytestmark = pytest.mark.django_db

# The parts as incidents/detail.html drew them, kept to compare.
MARKUP = Path(__file__).parent / "markup"
TEMPLATE_DETAILS = (MARKUP / "detail_details.html").read_text().removesuffix("\n")
TEMPLATE_TIMELINE = (MARKUP / "detail_timeline.html").read_text().removesuffix("\n")
TRICKY = "<b>\"Gas\" & 'power'</b>"
WINTER = dt.datetime(2027, 1, 4, 23, 59, 59, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 31, 23, 30, tzinfo=dt.UTC)  # the next day in UK time


def _closed(incident):
    incident.status = IncidentStatus.CLOSED
    incident.closed_at = SUMMER
    incident.close_outcome = CloseOutcome.NO_LONGER_NEEDED


def _breached(incident):
    incident.breached_at = WINTER


def _with_helpdesk(incident):
    incident.status = IncidentStatus.WITH_HELPDESK
    incident.assigned_supplier = None


def _odd_device(incident):
    incident.device.mpxn = ""
    incident.device.smi_status = ""
    incident.device.device_type = "not a type"


def _tricky_names(incident):
    incident.raiser_reference = TRICKY
    incident.raising_supplier.name = TRICKY
    incident.raised_by.first_name = TRICKY
    incident.device.mpxn = TRICKY
    incident.assigned_supplier.name = TRICKY


def _no_full_name(incident):
    incident.raised_by.first_name = incident.raised_by.last_name = ""


VARIANTS = [None, _closed, _breached, _with_helpdesk, _odd_device, _tricky_names, _no_full_name]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("is_raiser", [True, False])
@pytest.mark.parametrize("disclaimed", [True, False])
@pytest.mark.parametrize(
    ("deadline", "days_left"),
    [("", ""), ("the end of Tuesday 8 December, UK time", "2 Working Days left"), (TRICKY, "")],
)
def test_the_details_are_drawn_as_their_template_drew_them(
    incident, variant, is_raiser, disclaimed, deadline, days_left
):
    incident.raiser_reference = "JOB-77"
    if variant:
        variant(incident)
    context = {
        "incident": incident,
        "access": SimpleNamespace(is_raiser=is_raiser),
        "disclaimed": disclaimed,
        "deadline": deadline,
        "days_left": days_left,
    }
    drawn = Template(
        "{% load incident_detail %}"
        "{% incident_details incident access disclaimed deadline days_left %}"
    )

    assert drawn.render(Context(context)) == Template(TEMPLATE_DETAILS).render(Context(context))


@pytest.mark.parametrize("status", [*IncidentStatus.values, "not a status"])
def test_the_status_badge_is_drawn_as_its_template_drew_it(incident, status):
    incident.status = status
    context = Context({"incident": incident})

    drawn = Template("{% load incident_detail %}{% status_badge incident %}").render(context)

    assert drawn == Template('{% include "includes/status_badge.html" %}').render(context)


def entry(**given) -> TimelineEntry:
    values = {
        "kind": "raised",
        "kind_label": "Raised",
        "now_status": "",
        "at_iso": "2026-12-03T14:05:00+00:00",
        "at": "3 Dec 2026, 14:05",
        "organisation": "Gaining Energy",
        "actor": "Ann Smith",
        "message": "",
    }
    return TimelineEntry(**{**values, **given})


@pytest.mark.parametrize(
    "entries",
    [
        [],
        [entry()],
        [entry(), entry(now_status="Awaiting installer", actor="", organisation="SSI Portal")],
        [entry(message="First\nsecond <line> & more\r\n\rlast\n"), entry(message=TRICKY)],
        [entry(kind_label=TRICKY, now_status=TRICKY, actor=TRICKY, organisation=TRICKY)],
        [entry(at_iso=TRICKY, at=TRICKY)],
    ],
)
def test_the_timeline_is_drawn_as_its_template_drew_it(entries):
    context = {"timeline": entries}

    drawn = Template("{% load incident_detail %}{% timeline_items timeline %}")

    assert drawn.render(Context(context)) == Template(TEMPLATE_TIMELINE).render(Context(context))


@pytest.mark.parametrize(
    "make",
    [
        AnswerForm,
        NotInstalledForm,
        CodeFailedForm,
        NoteForm,
        lambda: CloseForm(code_provided=True),
        lambda: CloseForm(code_provided=False),
    ],
)
def test_a_blank_form_is_drawn_once_as_the_form_itself_is(make):
    blank = BlankForm(make)

    first = form_fields(blank)

    assert first == form_fields(make()) and form_fields(blank) is first
    assert not blank.is_bound and not blank.errors


def test_a_blank_form_is_drawn_again_in_another_language():
    blank = BlankForm(AnswerForm)
    english = form_fields(blank)

    with translation.override("de"):
        assert form_fields(blank) is not english


def test_a_filled_in_form_is_drawn_afresh():
    form = AnswerForm({"install_code": INSTALL_CODE + "X" * 60})  # too long
    form.is_valid()

    assert INSTALL_CODE not in form_fields(form)  # the widget never echoes it
    assert "is-invalid" in form_fields(form) and "is-invalid" not in form_fields(AnswerForm())


@pytest.mark.parametrize(
    "at",
    [
        WINTER,
        SUMMER,
        dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC),
        dt.datetime(2027, 5, 9, 9, 5, tzinfo=dt.UTC),
    ],
)
@pytest.mark.parametrize("weekday", [True, False])
def test_a_long_date_is_the_date_filters(at, weekday):
    fmt = "l j F Y, H:i" if weekday else "j F Y, H:i"

    expected = Template(f'{{{{ at|date:"{fmt}" }}}}').render(Context({"at": at}))

    assert long_date(at, weekday=weekday) == expected


@pytest.mark.parametrize("name", ["detail", "answer", "not_installed", "reveal", "close", "note"])
def test_an_incidents_addresses_are_reversed_once_to_the_same(incident, name):
    view = f"incidents:{name}"

    assert incident_url(view, incident.public_id) == reverse(view, args=[incident.public_id])


@pytest.mark.parametrize("device_id", ["00-DB-12-34-56-78-90-A0", "00db1234", "a b/c?d", "é%"])
def test_a_devices_address_is_reversed_as_the_url_tag_does(device_id):
    try:
        expected = reverse("incidents:device", args=[device_id])
    except Exception as exc:  # noqa: BLE001 (the same refusal expected)
        with pytest.raises(type(exc)):
            device_path(device_id)
    else:
        assert device_path(device_id) == expected


def _with_errors(form):
    form.is_valid()
    return form


@pytest.mark.parametrize(
    "forms",
    [
        [],
        [_with_errors(AnswerForm({}))],
        [_with_errors(CloseForm({"outcome": "nonsense"})), _with_errors(NoteForm({"text": ""}))],
    ],
)
def test_the_error_summary_is_drawn_as_its_include_drew_it(forms):
    context = {"forms": forms}

    drawn = Template("{% load plain_forms %}{% error_summary forms %}").render(Context(context))

    included = '{% include "includes/error_summary.html" with forms=forms %}'
    assert drawn == Template(included).render(Context(context))
    assert bool(forms) == ("There is a problem" in drawn)
