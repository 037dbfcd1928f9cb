"""The CHECK constraints on the Device ID and a registration's MPxN are said without a regular
expression (a cost on every row a load writes); they accept exactly the values the regular
expressions they replaced accept, on PostgreSQL compared with the regular expression itself."""

import datetime as dt
import random
import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.sql import Query

from inventory.models import Device, Registration
from tests.factories import DeviceFactory

# The constraints' former regular expressions, as PostgreSQL reads them (``^…$``: the whole
# value; a newline is a character like any other).
DEVICE_ID_PATTERN = r"^([0-9A-F]{2}-){7}[0-9A-F]{2}$"
MPXN_PATTERN = r"^([0-9]{13}|[0-9]{6,10})$"

# Put in place of each character of a valid value, and beside it: every ASCII character, a
# sample of the rest up to U+3000, and the look-alikes of digits, letters and hyphens.
ODD_CHARACTERS = [
    *map(chr, range(1, 0x80)),
    *map(chr, range(0x80, 0x3000, 37)),
    *"０９ＡＦａｆ٠٩۰۹०९²³¹½Ⅰⅰﬀßİıſ",
    *"\u00a0\u200b\u2010\u2011\u2013\u2212\ufeff\u0301\U0001f600",
]


def _variants(valid: str) -> list[str]:
    """``valid`` with each character replaced by each odd one, removed, or with an odd one
    inserted before it or at the end; and whole-value spellings of it."""
    values = [valid, valid.lower(), valid.replace("-", ""), valid.replace("-", " ")]
    values += [f"{valid}\n", f"\n{valid}", f" {valid}", f"{valid} ", valid * 2, valid[:-1]]
    for at in range(len(valid) + 1):
        values.append(valid[:at] + valid[at + 1 :])
        for odd in ODD_CHARACTERS:
            values.append(valid[:at] + odd + valid[at + 1 :])
            values.append(valid[:at] + odd + valid[at:])
    return list(dict.fromkeys(values))


def _verdicts(model, name: str, values: list[str], old_pattern: str) -> dict[str, tuple]:
    """Each value → (the constraint's verdict, the old regular expression's on PostgreSQL or
    None), both evaluated by the database on the value stored under the constrained column."""
    constraint = next(c for c in model._meta.constraints if c.name == name)
    query = Query(model=model, alias_cols=False)
    where = query.build_where(constraint.condition)
    check, params = where.as_sql(query.get_compiler(connection=connection), connection)
    field = {"device_id_canonical": "device_id", "registration_mpxn_digits": "mpxn"}[name]
    old = f"{field} ~ %s" if connection.vendor == "postgresql" else "NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE check_values ({field} varchar(200))")
        cursor.executemany("INSERT INTO check_values VALUES (%s)", [(v,) for v in values])
        cursor.execute(
            f"SELECT {field}, CASE WHEN {check} THEN 1 ELSE 0 END, "  # noqa: S608 (the model's SQL)
            f"CASE WHEN {old} THEN 1 ELSE 0 END FROM check_values",
            [*params, *([old_pattern] if connection.vendor == "postgresql" else [])],
        )
        rows = cursor.fetchall()
        cursor.execute("DROP TABLE check_values")
    postgresql = connection.vendor == "postgresql"
    return {value: (bool(new), bool(was) if postgresql else None) for value, new, was in rows}


def _check_against_the_regular_expression(verdicts: dict[str, tuple], pattern: str) -> None:
    reference = re.compile(pattern.removeprefix("^").removesuffix("$"))
    differ = {
        value: verdict
        for value, verdict in verdicts.items()
        if verdict[0] != bool(reference.fullmatch(value))
        or (verdict[1] is not None and verdict[1] != verdict[0])
    }
    assert differ == {}


def _device_ids() -> list[str]:
    rng = random.Random(20261203)
    ids = ["00-DB-12-34-56-78-90-A0", "FF-FF-FF-FF-FF-FF-FF-FE", "0A-1B-2C-3D-4E-5F-60-79"]
    ids += ["-".join(f"{rng.randrange(256):02X}" for _ in range(8)) for _ in range(20)]
    return ids


def test_the_device_id_constraint_accepts_exactly_what_the_regular_expression_did(db):
    values = _variants(_device_ids()[0]) + _device_ids()
    verdicts = _verdicts(Device, "device_id_canonical", values, DEVICE_ID_PATTERN)

    _check_against_the_regular_expression(verdicts, DEVICE_ID_PATTERN)
    assert all(verdicts[valid][0] for valid in _device_ids())
    assert sum(not new for new, _ in verdicts.values()) > 10_000


def test_the_mpxn_constraint_accepts_exactly_what_the_regular_expression_did(db):
    valid = ["1200023305967", "1234567890123", "123456", "1234567", "12345678", "1234567890"]
    values = [v for mpxn in valid for v in _variants(mpxn)]
    values += ["", "12345", "12345678901", "123456789012", "12345678901234", "0" * 13]
    verdicts = _verdicts(Registration, "registration_mpxn_digits", values, MPXN_PATTERN)

    _check_against_the_regular_expression(verdicts, MPXN_PATTERN)
    assert all(verdicts[mpxn][0] for mpxn in valid)
    assert not verdicts[""][0]


def test_the_database_refuses_a_device_id_out_of_canonical_form(db):
    DeviceFactory(device_id="00-DB-12-34-56-78-90-A0")
    for bad in ("00-db-12-34-56-78-90-a0", "00DB1234567890A0-------", "0-DB-12-34-56-78-90-A00"):
        with pytest.raises(IntegrityError, match="device_id_canonical"), transaction.atomic():
            DeviceFactory(device_id=bad)


def test_the_database_refuses_a_meter_point_that_is_not_digits(gaining_supplier):
    for bad in ("12345", "1234567890ab1", "12345678901"):
        with pytest.raises(IntegrityError, match="registration_mpxn_digits"), transaction.atomic():
            Registration.objects.create(
                mpxn=bad, supplier=gaining_supplier, effective_from=dt.date(2026, 1, 1)
            )
