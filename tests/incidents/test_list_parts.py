"""The lists of requests, drawn and read for less: the filter form and the sortable headings
drawn in Python with the markup their templates drew, byte for byte; each page read through
SQL compiled once per shape of its query, the same rows and cursors as the ORM's query."""

import datetime as dt
from pathlib import Path

import pytest
from django.template import Context, Template

from conftest import INSTALL_CODE
from incidents.forms.incidents import IncidentFilterForm
from incidents.models import Incident
from incidents.selectors import incidents as selectors
from incidents.services import (
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_raise,
)
from incidents.views.lists import SortLink
from tests.factories import DeviceFactory

# The filter form and a sortable heading as the list's templates drew them, kept to compare.
MARKUP = Path(__file__).parent / "markup"
TEMPLATE_FILTERS = (MARKUP / "list_filters.html").read_text().removesuffix("\n")
TEMPLATE_HEADING = (MARKUP / "sort_heading.html").read_text()


def status_options(form):
    field = form["status"]
    chosen = set(field.field.widget.format_value(field.value()))
    return [(str(value), str(label), str(value) in chosen) for value, label in field.field.choices]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"status": "open"},
        {"status": "awaiting_installer", "overdue": "on", "due_today": "on"},
        {"status": "nonsense"},
        {"to_reveal": "on", "overdue": "0"},
        {"q": "INC0000001"},
        {"q": "<b>\"Gas\" & 'power'</b>"},
        {"q": INSTALL_CODE},
        {"q": "x" * 65, "status": "closed"},
        {"sort": "due", "cursor": "abc"},
    ],
)
@pytest.mark.parametrize("scope", ["raised", "assigned", "disclaimed"])
@pytest.mark.parametrize("sort", ["", "due", "-status"])
def test_the_filter_form_is_drawn_as_its_template_drew_it(data, scope, sort):
    form = IncidentFilterForm(data)
    form.is_valid()
    context = {"form": form, "scope": scope, "sort": sort, "status_options": status_options(form)}

    drawn = Template("{% load incident_lists %}{% list_filters form scope sort %}")

    assert drawn.render(Context(context)) == Template(TEMPLATE_FILTERS).render(Context(context))


@pytest.mark.parametrize("aria_sort", ["", "ascending", "descending"])
@pytest.mark.parametrize("title", ["Status", "Answer due", '<Raised & "so">'])
def test_a_sortable_heading_is_drawn_as_its_template_drew_it(aria_sort, title):
    link = SortLink("/incidents/raised/?q=a&sort=-due", aria_sort, "sort by answer due, <latest>")
    context = Context({"link": link, "title": title})

    drawn = Template("{% load incident_lists %}{% sort_heading link title %}")

    assert drawn.render(context) == Template(TEMPLATE_HEADING).render(context)


# --- Pages through SQL compiled once per shape --------------------------------------------------

RAISED = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)
NOW = RAISED + dt.timedelta(days=9, hours=3)  # some deadlines passed, one due today


@pytest.fixture
def requests(gaining_user, installing_user, other_supplier_user, installing_supplier):
    """Requests to the installing Supplier in every status over ten days, from the gaining
    Supplier and another (which the gaining Supplier may not see), some at the same instant,
    some to the microsecond; one with the raiser's own reference."""
    made = []
    for n, day in enumerate([0, 2, 2, 4, 1, 3, 1, 5, 5, 6, 9, 9, 7, 8]):
        device = DeviceFactory(installing_supplier=installing_supplier)
        at = RAISED + dt.timedelta(days=day, microseconds=123_457 * (n % 3))
        made.append(incident_raise(actor=gaining_user, device_id=device.device_id, now=at))
    later = RAISED + dt.timedelta(days=9)
    incident_answer(actor=installing_user, incident=made[4], install_code=INSTALL_CODE, now=later)
    incident_answer(actor=installing_user, incident=made[8], install_code=INSTALL_CODE, now=later)
    incident_close(actor=gaining_user, incident=made[5], outcome="no_longer_needed", now=later)
    incident_answer_not_installed(actor=installing_user, incident=made[6], now=later)
    incident_answer_not_installed(actor=installing_user, incident=made[9], now=later)
    Incident.objects.filter(pk=made[3].pk).update(raiser_reference="JOB-77")
    others = [made[n].pk for n in (1, 7, 11, 12)]
    Incident.objects.filter(pk__in=others).update(raising_supplier=other_supplier_user.supplier)
    return made


def filters_for(made) -> list[dict]:
    device_id = made[7].device.device_id
    return [
        {},
        {"status": "open"},
        {"status": "awaiting_installer"},
        {"status": "with_helpdesk"},
        {"status": "nonsense"},
        {"overdue": True},
        {"due_today": True},
        {"overdue": True, "due_today": True, "status": "open"},
        {"to_reveal": True},
        {"search": made[2].reference},
        {"search": made[2].reference, "raiser_references": True},
        {"search": "INC" + "9" * 30, "raiser_references": True},
        {"search": device_id.lower().replace("-", ":")},
        {"search": device_id[:8]},  # part of a Device ID: read through the ORM
        {"search": "JOB-77", "raiser_references": True},
        {"due_before": NOW + dt.timedelta(days=1), "updated_since": RAISED},
    ]


ORDERS = [*selectors.LIST_ORDERS.values(), selectors.CHANGED_ORDER]


@pytest.mark.parametrize(
    ("persona", "side"),
    [
        ("gaining_user", "raised"),
        ("gaining_user", ""),
        ("installing_user", "assigned"),
        ("installing_user", "disclaimed"),
        ("other_supplier_user", ""),
    ],
)
def test_a_compiled_page_is_the_page_the_orms_query_reads(request, requests, persona, side):
    user = request.getfixturevalue(persona)
    for filters in filters_for(requests):
        criteria = selectors.list_criteria(now=NOW, **filters)
        queryset = selectors.list_filtered(selectors.incidents_on_side(user, side), criteria)
        for order in ORDERS:
            cursor, seen = None, []
            for _ in range(4):  # the first pages, then back one
                page = selectors.incident_side_page(
                    user, side, criteria, cursor, size=3, order=order
                )
                expected = selectors.incident_page(queryset, cursor, size=3, order=order)
                assert page == expected, (filters, order.keyset.name, cursor)
                seen.append(page)
                cursor = page.next_cursor or page.previous_cursor
                if not cursor:
                    break
            assert sum(len(p.object_list) for p in seen) or not queryset.exists()


def test_a_page_of_a_shape_read_before_compiles_no_sql(
    installing_user, requests, monkeypatch, django_assert_num_queries
):
    from django.db.models.sql.compiler import SQLCompiler

    criteria = selectors.list_criteria(status="open", overdue=True, now=NOW)
    order = selectors.LIST_ORDERS["due"]
    first = selectors.incident_side_page(
        installing_user, "assigned", criteria, None, size=2, order=order
    )
    selectors.incident_side_page(
        installing_user, "assigned", criteria, first.next_cursor, size=2, order=order
    )
    compiled = []
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda *args, **kwargs: compiled.append(args))

    # The same shape with other values: a second later, the same rows.
    later = selectors.list_criteria(status="open", overdue=True, now=NOW + dt.timedelta(seconds=1))
    with django_assert_num_queries(2):
        again = selectors.incident_side_page(
            installing_user, "assigned", later, None, size=2, order=order
        )
        selectors.incident_side_page(
            installing_user, "assigned", later, again.next_cursor, size=2, order=order
        )

    assert compiled == [] and again.object_list
