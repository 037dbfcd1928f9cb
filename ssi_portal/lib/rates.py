"""Rates written as people write them: ``"60/hour"``, ``"200000/day"``, ``"off"``."""

from dataclasses import dataclass

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @property
    def period(self) -> str:
        return next(name for name, seconds in PERIODS.items() if seconds == self.seconds)

    def __str__(self) -> str:
        return f"{self.limit:,} per {self.period}"


def parse_rate(value: str) -> Rate | None:
    """``"N/period"`` (period: second, minute, hour or day) as a :class:`Rate`; ``"off"`` (or
    empty) as None. Raises ``ValueError`` saying what is wrong."""
    text = (value or "").strip().lower()
    if text in ("", "off"):
        return None
    count, _, period = text.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in PERIODS:
        raise ValueError(
            f"{value!r} is not a rate: write N/period with N a whole number of at least 1 and "
            f"period one of {', '.join(PERIODS)} (e.g. 60/hour), or off."
        )
    return Rate(int(count), PERIODS[period])
