"""Counts in words: "1 row", "2 rows", "1,000 rows"."""


def count_of(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` with the noun that agrees with it, thousands separated."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
