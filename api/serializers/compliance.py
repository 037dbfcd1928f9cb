"""A Supplier's own compliance figures for a period, as its compliance page shows them."""

from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from incidents.selectors import compliance


def _date(label: str) -> serializers.DateField:
    return serializers.DateField(
        required=False,
        input_formats=["iso-8601"],
        error_messages={"invalid": compliance.DATE_INVALID},
        help_text=f"{label}, a London calendar date (YYYY-MM-DD), included.",
    )


class PeriodQuerySerializer(serializers.Serializer):
    """The period asked for; a date left out is the default period's (the last three full
    months and this month so far). Refused in the page's words, naming the field."""

    start = _date("The first day")
    end = _date("The last day")

    def __init__(self, *args, default: compliance.Period | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def validate(self, data):
        for name in ("start", "end"):
            refusal = compliance.date_refusal(data[name]) if name in data else None
            if refusal:
                raise serializers.ValidationError({name: refusal})
        period = compliance.Period(
            data.get("start") or self.default.start, data.get("end") or self.default.end
        )
        refusal = compliance.period_refusal(period.start, period.end)
        if refusal:
            field, message = refusal
            raise serializers.ValidationError({field: message})
        return period


class FiguresSerializer(serializers.Serializer):
    received = serializers.IntegerField(
        help_text="on_time + late + open + reassigned + withdrawn: each request in one of these."
    )
    on_time = serializers.IntegerField(help_text="Answered within five Working Days.")
    late = serializers.IntegerField(help_text="Answered after the deadline.")
    open = serializers.IntegerField(help_text="Not answered yet.")
    reassigned = serializers.IntegerField(help_text="Moved by the helpdesk before an answer.")
    withdrawn = serializers.IntegerField(help_text="Closed by the raiser before an answer.")
    breached = serializers.IntegerField(help_text="Not answered by the deadline (any column).")
    median_working_days = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        coerce_to_string=False,
        allow_null=True,
        help_text="Median answer time in Working Days, of answered requests; null if none.",
    )


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "examples": ["2026-01"]})
class MonthField(serializers.Field):
    """A calendar month, ``YYYY-MM``."""

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class MonthSerializer(serializers.Serializer):
    month = MonthField(read_only=True, help_text="The calendar month (UK time).")
    figures = FiguresSerializer()


class ComplianceSerializer(serializers.Serializer):
    supplier = serializers.CharField(source="supplier.name")
    period = PeriodSerializer()
    months = MonthSerializer(many=True, help_text="Every month the period touches, in order.")
    total = FiguresSerializer()


_FIGURES = {
    "received": 12,
    "on_time": 9,
    "late": 1,
    "open": 1,
    "reassigned": 1,
    "withdrawn": 0,
    "breached": 2,
    "median_working_days": 2.5,
}
COMPLIANCE_EXAMPLES = [
    OpenApiExample(
        "A quarter",
        value={
            "supplier": "Installing Power",
            "period": {"start": "2026-01-01", "end": "2026-01-31"},
            "months": [{"month": "2026-01", "figures": _FIGURES}],
            "total": _FIGURES,
        },
        response_only=True,
    )
]
