"""Both loaders judge an MPAN's and an MPRN's check digits by the one rule of
``inventory.identifiers``: the SMI loader on either of its paths (a row in canonical form, or one
that needs the full check) and the registration loader warn about exactly the same meter
points, and load them all."""

import io
import random

import pytest

from inventory.identifiers import is_valid_mpan, is_valid_mprn, mpan_check_digit, mprn_check_digits
from inventory.services import registrations_load_csv, smi_load_csv
from tests.factories import SupplierFactory
from tests.inventory.test_smi_load import HEADER, row

pytestmark = pytest.mark.django_db


def meter_points(count: int) -> list[tuple[str, str]]:
    """(Device Type, MPxN) pairs: random digits, every third meter point given its right
    check digits (random digits are wrong nine times in ten)."""
    rng = random.Random(11)  # noqa: S311 (test data, seeded on purpose)
    points = []
    for n in range(count):
        if n % 2:
            body = "".join(rng.choices("0123456789", k=12))
            last = str(mpan_check_digit(body)) if n % 3 == 0 else rng.choice("0123456789")
            points.append(("ESME", body + last))
        else:
            body = "".join(rng.choices("0123456789", k=rng.randint(4, 8)))
            last = mprn_check_digits(body) if n % 3 == 0 else f"{rng.randrange(100):02d}"
            points.append(("GSME", body + last))
    return points


def test_the_loaders_warn_about_the_same_meter_points_the_identifier_rule_refuses():
    supplier = SupplierFactory(mpid="AURA", gas_short_code="AUR")
    points = meter_points(120)
    smi_rows = []
    for n, (device_type, mpxn) in enumerate(points):
        device_id = f"00-DB-12-34-56-78-{n // 256:02X}-{n % 256:02X}"
        # Every other row in a pasted spelling (lower case, no hyphens): the full check's path.
        spelled = device_id if n % 4 < 2 else device_id.replace("-", "").lower()
        smi_rows.append(row(device_id=spelled, device_type=device_type, mpxn=mpxn))
    smi = smi_load_csv(source=io.StringIO("\n".join([HEADER, *smi_rows, ""])))
    registrations = registrations_load_csv(
        source=io.StringIO(
            "mpxn,supplier,effective_from,effective_to\n"
            + "".join(
                f"{mpxn},{supplier.mpid if kind == 'ESME' else supplier.gas_short_code},"
                "2026-01-05,\n"
                for kind, mpxn in points
            )
        )
    )

    refused = {
        mpxn
        for kind, mpxn in points
        if not (is_valid_mpan(mpxn) if kind == "ESME" else is_valid_mprn(mpxn))
    }
    assert 30 < len(refused) < 90
    assert (smi.created, smi.rejected) == (len(points), 0)
    assert (registrations.created, registrations.rejected) == (len(points), 0)
    assert {n.reason.split()[2] for n in smi.warning_notes} == refused
    assert {n.mpxn for n in registrations.warning_notes} == refused
