"""Compliance pages and their CSV downloads: a Supplier's own figures with a chart, and the
all-Supplier table for the DCC helpdesk. The figures come from
:mod:`incidents.selectors.compliance`."""

import math
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from ssi_portal.lib.csv_export import csv_response
from ssi_portal.lib.working_days import LONDON

from ..exports import export_recorded
from ..permissions import Refusal, helpdesk_required, supplier_user_required
from ..selectors import compliance
from ..selectors.compliance import Figures, Period

DATE_INVALID = compliance.DATE_INVALID


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": DATE_INVALID},
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
    )


# Kept beside its only views rather than in ``forms/``: it is read from the query string only.
class PeriodForm(forms.Form):
    start = _date_field("From")
    end = _date_field("To")

    def __init__(self, *args, default: Period, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default
        self.period: Period | None = None

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            day = data.get(name)
            refusal = compliance.date_refusal(day) if day is not None else None
            if refusal:
                self.add_error(name, refusal)
        if self.errors:
            return data
        start = data.get("start") or self.default.start
        end = data.get("end") or self.default.end
        refusal = compliance.period_refusal(start, end)
        if refusal:
            self.add_error(*refusal)
        else:
            self.period = Period(start, end)
        return data

    def full_clean(self):
        super().full_clean()
        # Mark refused fields for assistive technology and link them to their message.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].id_for_label}-error"


def _period_form(request) -> PeriodForm:
    """The period asked for in the query string (``period`` is None when it is refused);
    without one, the default period."""
    default = compliance.default_period(timezone.localdate(timezone=LONDON))
    form = PeriodForm(request.GET or None, default=default)
    if form.is_bound and not form.is_valid():
        return form
    period = form.period or default
    # Show the dates in use, including a default that filled a blank field.
    shown = PeriodForm(initial={"start": period.start, "end": period.end}, default=default)
    shown.period = period
    return shown


def _query(period: Period) -> str:
    return urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})


def _csv_name(who: str, period: Period) -> str:
    return f"compliance-{who}-{period.start.isoformat()}-{period.end.isoformat()}.csv"


def _figure_cells(figures: Figures) -> list:
    median = figures.median_working_days
    return [
        figures.received,
        figures.on_time,
        figures.late,
        figures.open,
        figures.reassigned,
        figures.withdrawn,
        figures.breached,
        "" if median is None else median,
    ]


FIGURE_HEADER = [
    "Received",
    "Answered on time",
    "Answered late",
    "Open",
    "Reassigned",
    "Withdrawn",
    "Breached",
    "Median answer time (Working Days)",
]


def _bad_period(request, template: str, form: PeriodForm, **context):
    return render(request, template, {"form": form, "error_forms": [form], **context}, status=400)


# --- A Supplier's own figures -------------------------------------------------------------------


own_figures_only = supplier_user_required(Refusal.NOT_SUPPLIER_COMPLIANCE)


@login_required
def supplier_compliance(request):
    if request.user.is_helpdesk:
        # The helpdesk has no figures of its own: its view is the all-Supplier table.
        target = reverse("incidents:compliance_all")
        query = request.GET.urlencode()
        return HttpResponseRedirect(f"{target}?{query}" if query else target)
    return _supplier_compliance_page(request)


@own_figures_only
def _supplier_compliance_page(request):
    supplier = request.user.supplier
    form = _period_form(request)
    template = "incidents/compliance/supplier.html"
    if form.period is None:
        return _bad_period(request, template, form, supplier=supplier)
    report = compliance.compliance_for_supplier(supplier, form.period)
    return render(
        request,
        template,
        {
            "form": form,
            "supplier": supplier,
            "report": report,
            "chart": month_chart(report.months),
            "csv_url": f"{reverse('incidents:compliance_csv')}?{_query(form.period)}",
        },
    )


@own_figures_only
def supplier_compliance_csv(request):
    supplier = request.user.supplier
    form = _period_form(request)
    if form.period is None:
        return _bad_period(request, "incidents/compliance/supplier.html", form, supplier=supplier)
    report = compliance.compliance_for_supplier(supplier, form.period)
    return csv_response(
        export_recorded(
            request, _csv_name(slugify(supplier.name) or f"supplier-{supplier.pk}", form.period)
        ),
        ["Month", *FIGURE_HEADER],
        ([f"{row.month:%Y-%m}", *_figure_cells(row.figures)] for row in report.months),
    )


# --- Every Supplier, for the helpdesk -----------------------------------------------------------


helpdesk_only = helpdesk_required(Refusal.NOT_HELPDESK_COMPLIANCE)


@helpdesk_only
def all_compliance(request):
    form = _period_form(request)
    template = "incidents/compliance/all.html"
    if form.period is None:
        return _bad_period(request, template, form)
    return render(
        request,
        template,
        {
            "form": form,
            "table": compliance.compliance_by_supplier(form.period),
            "csv_url": f"{reverse('incidents:compliance_all_csv')}?{_query(form.period)}",
        },
    )


@helpdesk_only
def all_compliance_csv(request):
    form = _period_form(request)
    if form.period is None:
        return _bad_period(request, "incidents/compliance/all.html", form)
    table = compliance.compliance_by_supplier(form.period)
    return csv_response(
        export_recorded(request, _csv_name("all", form.period)),
        ["Supplier", *FIGURE_HEADER],
        ([row.supplier_name, *_figure_cells(row.figures)] for row in table.rows),
    )


# --- The chart ----------------------------------------------------------------------------------

CHART_SERIES = (
    ("received", "Received"),
    ("on_time", "Answered on time"),
    ("late", "Answered late"),
    ("breached", "Breached"),
)
CHART_WIDTH, CHART_HEIGHT = 760, 340
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 56, 744, 56, 290
BAR_GAP = 2
MAX_MONTH_LABELS = 12
# Numbers above the bars only where they fit; the table after the chart always has them.
MIN_PITCH_FOR_VALUES = 22


def _axis(maximum: int) -> tuple[int, list[int]]:
    """A round top for the y axis and its ticks (at most five steps)."""
    maximum = max(maximum, 1)
    step = 10 ** max(0, math.floor(math.log10(maximum / 5))) if maximum > 5 else 1
    for multiple in (1, 2, 5, 10):
        if maximum <= step * multiple * 5:
            step *= multiple
            break
    top = math.ceil(maximum / step) * step
    return top, list(range(0, top + 1, step))


def month_chart(months: list[compliance.MonthFigures]) -> dict:
    """Coordinates for a grouped bar chart (one group a month), drawn by the template as SVG."""
    count = len(months)
    top, ticks = _axis(max((row.figures.received for row in months), default=0))
    plot_height = PLOT_BOTTOM - PLOT_TOP
    group = (PLOT_RIGHT - PLOT_LEFT) / count
    bar = min(28.0, group * 0.8 / len(CHART_SERIES) - BAR_GAP)
    span = len(CHART_SERIES) * (bar + BAR_GAP) - BAR_GAP
    show_values = bar + BAR_GAP >= MIN_PITCH_FOR_VALUES
    label_every = math.ceil(count / MAX_MONTH_LABELS)

    def y(value: int) -> float:
        return round(PLOT_BOTTOM - value / top * plot_height, 1)

    groups = []
    for index, row in enumerate(months):
        left = PLOT_LEFT + index * group + (group - span) / 2
        bars = []
        for number, (name, label) in enumerate(CHART_SERIES):
            value = getattr(row.figures, name)
            x = left + number * (bar + BAR_GAP)
            bars.append(
                {
                    "series": name.replace("_", "-"),
                    "label": label,
                    "value": value,
                    "x": round(x, 1),
                    "y": y(value),
                    "width": round(bar, 1),
                    "height": round(PLOT_BOTTOM - y(value), 1),
                    "text_x": round(x + bar / 2, 1),
                    "text_y": round(y(value) - 4, 1),
                }
            )
        labelled = index % label_every == 0
        groups.append(
            {
                "month": row.month,
                "bars": bars,
                "label_x": round(PLOT_LEFT + (index + 0.5) * group, 1),
                "label": labelled,
                "show_year": labelled and (index < label_every or row.month.month <= label_every),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": PLOT_LEFT,
        "right": PLOT_RIGHT,
        "bottom": PLOT_BOTTOM,
        "ticks": [{"value": tick, "y": y(tick)} for tick in ticks],
        "groups": groups,
        "show_values": show_values,
        "legend": [
            {"series": name.replace("_", "-"), "label": label, "x": PLOT_LEFT + n * 172}
            for n, (name, label) in enumerate(CHART_SERIES)
        ],
        "month_label_y": PLOT_BOTTOM + 20,
        "year_label_y": PLOT_BOTTOM + 38,
    }
