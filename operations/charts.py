"""Coordinates of the operations page's bar charts, drawn by the template as SVG (no script)."""

import math

from .selectors.activity import Hour

WIDTH, HEIGHT = 760, 300
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 56, 744, 48, 250
BAR_GAP = 1
LABEL_EVERY = 3  # hours between the labels of the x axis

EMAIL_SERIES = (("emails_sent", "Emails sent"), ("emails_failed", "Emails failed"))
REQUEST_SERIES = (
    ("requests_raised", "Requests raised"),
    ("requests_answered", "Requests answered"),
)


def axis(maximum: int) -> tuple[int, list[int]]:
    """A round top for the y axis and its ticks (at most five steps)."""
    maximum = max(maximum, 1)
    step = 10 ** max(0, math.floor(math.log10(maximum / 5))) if maximum > 5 else 1
    for multiple in (1, 2, 5, 10):
        if maximum <= step * multiple * 5:
            step *= multiple
            break
    top = math.ceil(maximum / step) * step
    return top, list(range(0, top + 1, step))


def hourly_chart(hours: list[Hour], series: tuple[tuple[str, str], ...]) -> dict:
    """A grouped bar chart, one group an hour and one bar a series in it."""
    top, ticks = axis(max((getattr(hour, name) for hour in hours for name, _ in series), default=0))
    plot_height = PLOT_BOTTOM - PLOT_TOP
    group = (PLOT_RIGHT - PLOT_LEFT) / len(hours)
    bar = group * 0.8 / len(series) - BAR_GAP
    span = len(series) * (bar + BAR_GAP) - BAR_GAP

    def y(value: int) -> float:
        return round(PLOT_BOTTOM - value / top * plot_height, 1)

    groups = []
    for index, hour in enumerate(hours):
        left = PLOT_LEFT + index * group + (group - span) / 2
        bars = []
        for number, (name, label) in enumerate(series):
            value = getattr(hour, name)
            bars.append(
                {
                    "series": name.replace("_", "-"),
                    "label": label,
                    "value": value,
                    "x": round(left + number * (bar + BAR_GAP), 1),
                    "y": y(value),
                    "width": round(bar, 1),
                    "height": round(PLOT_BOTTOM - y(value), 1),
                }
            )
        groups.append(
            {
                "hour": hour,
                "bars": bars,
                "label": index % LABEL_EVERY == 0,
                "label_x": round(PLOT_LEFT + (index + 0.5) * group, 1),
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": PLOT_LEFT,
        "right": PLOT_RIGHT,
        "bottom": PLOT_BOTTOM,
        "ticks": [{"value": tick, "y": y(tick)} for tick in ticks],
        "groups": groups,
        "legend": [
            {"series": name.replace("_", "-"), "label": label, "x": PLOT_LEFT + n * 190}
            for n, (name, label) in enumerate(series)
        ],
        "totals": [
            {"label": label, "value": sum(getattr(hour, name) for hour in hours)}
            for name, label in series
        ],
        "hour_label_y": PLOT_BOTTOM + 20,
    }
