"""Reads about Suppliers that other apps' searches need."""

import re

from ..models import Supplier

_SEPARATORS = re.compile(r"[\s:\-]+")
_HEX_DIGITS = re.compile(r"[0-9A-Fa-f]+")
_DECIMAL_DIGIT = re.compile(r"[0-9]")


def supplier_ids_named(text: str) -> list[int]:
    """The Suppliers whose name contains ``text`` (any case).

    The helpdesk's searches by Supplier name read this small table first, then filter the big
    ones (tens of millions of Devices, hundreds of thousands of incidents) on the indexed
    Supplier column with the ids found: never a text match joined across the big table.

    Text that can only be the digits of an identifier (hex digits, at least one of them a
    decimal digit: a Device ID's first digits, an MPxN) names no Supplier and costs no query.
    """
    text = text.strip()
    compact = _SEPARATORS.sub("", text)
    if not compact or (_HEX_DIGITS.fullmatch(compact) and _DECIMAL_DIGIT.search(compact)):
        return []
    return list(Supplier.objects.filter(name__icontains=text).values_list("pk", flat=True))
