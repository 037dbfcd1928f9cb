"""Compliance figures: how each installing Supplier kept the five-Working-Day clock.

Read from :class:`Assignment` rows (one per run of the clock), set-based: one ``GROUP BY``
query for the rows of a table and one aggregate query for its total, whatever the number of
Suppliers or months. The median answer time is computed by PostgreSQL
(``percentile_cont``); on SQLite, which lacks it (development and the quick test run only),
the few answer times of the period are fetched in one more query and the median is taken in
Python.

Definitions (shown on the pages too):

- an assignment belongs to the period by the day, in UK time, on which the Supplier was
  notified; both dates of the period are included;
- received = on time + late + open + reassigned + withdrawn, every assignment in exactly one
  of these; *breached* (not answered by the deadline) cuts across them: a breached request is
  also answered late, still open, reassigned or withdrawn;
- the median answer time is over answered assignments (the code, or "not installed by us"),
  in Working Days from the day of notification.
"""

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import connections
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet
from django.db.models.functions import TruncMonth

from accounts.models import Supplier
from ssi_portal.lib.working_days import LONDON

from ..models import ANSWERED_OUTCOMES, Assignment, AssignmentOutcome

MAX_PERIOD = relativedelta(years=2)
DEFAULT_FULL_MONTHS = 3
# Dates outside these are typing errors, and would overflow the end-of-period arithmetic.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)
DATE_INVALID = "Enter a real date, for example 2026-04-01."

ANSWERED = Q(outcome__in=ANSWERED_OUTCOMES)


@dataclass(frozen=True)
class Period:
    """London calendar dates, both included."""

    start: dt.date
    end: dt.date

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=LONDON)

    @property
    def ends_before(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)

    def months(self) -> list[dt.date]:
        """The first day of every calendar month the period touches."""
        month = self.start.replace(day=1)
        months = []
        while month <= self.end:
            months.append(month)
            month += relativedelta(months=1)
        return months


def default_period(today: dt.date) -> Period:
    """The last three full calendar months and this month so far."""
    start = today.replace(day=1) - relativedelta(months=DEFAULT_FULL_MONTHS)
    return Period(start, today)


def date_refusal(day: dt.date) -> str | None:
    """Why a date cannot start or end a period (outside the years the pages take), or None."""
    if not EARLIEST <= day <= LATEST:
        return f"Enter a date between {EARLIEST.year} and {LATEST.year}."
    return None


def period_refusal(start: dt.date, end: dt.date) -> tuple[str, str] | None:
    """``(field, message)`` when the dates do not make a period the pages will show."""
    if start > end:
        return "start", "The start date must be on or before the end date."
    if end > start + MAX_PERIOD:
        return "end", "The period can be at most 2 years long: choose a later start date."
    return None


@dataclass(frozen=True)
class Figures:
    """One row of a compliance table."""

    received: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    reassigned: int = 0
    withdrawn: int = 0
    breached: int = 0
    median_working_days: Decimal | None = None

    @property
    def answered(self) -> int:
        return self.on_time + self.late


@dataclass(frozen=True)
class SupplierFigures:
    supplier_id: int
    supplier_name: str
    figures: Figures


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date
    figures: Figures


@dataclass(frozen=True)
class SupplierTable:
    period: Period
    rows: list[SupplierFigures]
    total: Figures


@dataclass(frozen=True)
class SupplierReport:
    supplier: Supplier
    period: Period
    months: list[MonthFigures]
    total: Figures


class Median(Aggregate):
    """The median of a column, interpolated between the middle two (PostgreSQL only)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()
    arity = 1


_COUNTS = {
    "received": Q(),
    "on_time": ANSWERED & Q(answered_late=False),
    "late": ANSWERED & Q(answered_late=True),
    "open": Q(ended_at__isnull=True),
    "reassigned": Q(outcome=AssignmentOutcome.REASSIGNED),
    "withdrawn": Q(outcome=AssignmentOutcome.WITHDRAWN),
    "breached": Q(breached_at__isnull=False),
}
_FIGURE_NAMES = [f.name for f in fields(Figures)]


def _median_in_database(qs: QuerySet) -> bool:
    return connections[qs.db].vendor == "postgresql"


def _aggregates(in_database: bool) -> dict:
    aggregates = {
        name: Count("pk", filter=condition) if condition else Count("pk")
        for name, condition in _COUNTS.items()
    }
    if in_database:
        aggregates["median_working_days"] = Median("answer_working_days", filter=ANSWERED)
    return aggregates


def _one_decimal(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _figures(values: dict, median=None) -> Figures:
    median = values.get("median_working_days", median)
    return Figures(
        **{name: values[name] for name in _FIGURE_NAMES if name != "median_working_days"},
        median_working_days=_one_decimal(median),
    )


def assignments_in_period(period: Period) -> QuerySet[Assignment]:
    # A half-open range on the indexed column: London midnight to the next London midnight.
    return Assignment.objects.filter(
        notified_at__gte=period.starts_at, notified_at__lt=period.ends_before
    )


def medians_in_python(qs: QuerySet, key: str) -> tuple[dict, float | None]:
    """Medians per ``key`` and overall from one fetch of the answer times (SQLite only)."""
    by_key: dict = defaultdict(list)
    for group, days in qs.filter(ANSWERED, answer_working_days__isnull=False).values_list(
        key, "answer_working_days"
    ):
        by_key[group].append(days)
    every = [days for values in by_key.values() for days in values]
    return (
        {group: statistics.median(values) for group, values in by_key.items()},
        statistics.median(every) if every else None,
    )


def _grouped(qs: QuerySet, key: str, *extra: str) -> tuple[list[dict], Figures]:
    """Rows grouped by ``key`` and the total, in two queries (three on SQLite)."""
    in_database = _median_in_database(qs)
    rows = list(qs.values(key, *extra).annotate(**_aggregates(in_database)).order_by(*extra, key))
    total = qs.aggregate(**_aggregates(in_database))
    medians, overall = ({}, None) if in_database else medians_in_python(qs, key)
    for row in rows:
        row["figures"] = _figures(row, medians.get(row[key]))
    return rows, _figures(total, overall)


def compliance_by_supplier(period: Period) -> SupplierTable:
    """Every Supplier notified of at least one request in the period, sorted by name."""
    rows, total = _grouped(assignments_in_period(period), "supplier_id", "supplier__name")
    return SupplierTable(
        period=period,
        rows=[
            SupplierFigures(row["supplier_id"], row["supplier__name"], row["figures"])
            for row in rows
        ],
        total=total,
    )


def compliance_for_supplier(supplier: Supplier, period: Period) -> SupplierReport:
    """One Supplier's figures by calendar month (UK time), every month of the period listed."""
    qs = (
        assignments_in_period(period)
        .filter(supplier=supplier)
        .annotate(month=TruncMonth("notified_at", tzinfo=LONDON))
    )
    rows, total = _grouped(qs, "month")
    found = {row["month"].astimezone(LONDON).date(): row["figures"] for row in rows}
    return SupplierReport(
        supplier=supplier,
        period=period,
        months=[MonthFigures(month, found.get(month, Figures())) for month in period.months()],
        total=total,
    )
