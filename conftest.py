"""Shared test set-up: which tests may run here, and the personas every test speaks of.

Tests marked ``postgres``, ``redis``, ``browser``, ``vnu`` or ``pgbouncer`` need that part for
real. Where it is missing they skip with the reason; in CI (``CI=true``) a missing Redis,
Chromium, Java (for the Nu Html Checker) or PgBouncer fails the run instead, and the PostgreSQL
pass of CI refuses to run on anything but PostgreSQL.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("SSI_CHROMIUM", "/usr/bin/chromium")
REDIS_URL = os.environ.get("SSI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _missing_parts(config) -> dict[str, str]:
    from django.db import connection

    missing = {}
    if connection.vendor != "postgresql":
        missing["postgres"] = "needs PostgreSQL; this run uses SQLite"
    if not _reachable(REDIS_URL):
        missing["redis"] = f"needs a Redis broker at {REDIS_URL}, which is not reachable"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing["browser"] = f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    from tests.support.nu_checker import java_missing

    if why := java_missing():
        missing["vnu"] = why
    from tests.support.pgbouncer import pgbouncer_binary

    if pgbouncer_binary() is None:
        missing["pgbouncer"] = "needs PgBouncer, which is not installed (apt-get install pgbouncer)"
    return missing


def pytest_collection_modifyitems(config, items):
    missing = _missing_parts(config)
    for part, reason in missing.items():
        if IN_CI and part in ("redis", "browser", "vnu", "pgbouncer"):
            needed = [i for i in items if part in i.keywords]
            if needed:
                raise pytest.UsageError(f"CI must not skip {len(needed)} tests: {reason}.")
        for item in items:
            if part in item.keywords:
                # A test may say what it needs the part for: @pytest.mark.postgres("row locks").
                own = item.get_closest_marker(part)
                why = f"{reason} (needed for: {own.args[0]})" if own and own.args else reason
                item.add_marker(pytest.mark.skip(reason=why))


# --- Personas -----------------------------------------------------------------------------------


@pytest.fixture
def gaining_supplier(db):
    """The Supplier the registration data names for the factory's meter point: it gained the
    consumer, and may ask for the install codes of the Devices there."""
    from tests.factories import RegistrationFactory, SupplierFactory

    supplier = SupplierFactory(
        name="Gaining Energy", mpid="GAIN", contacts=["desk@gaining.example"]
    )
    RegistrationFactory(supplier=supplier)
    return supplier


@pytest.fixture
def installing_supplier(db):
    from tests.factories import SupplierFactory

    return SupplierFactory(
        name="Installing Power",
        mpid="INST",
        contacts=["installs@installing.example", "ops@installing.example"],
    )


@pytest.fixture
def other_supplier(db):
    from tests.factories import SupplierFactory

    return SupplierFactory(name="Third Party Gas", mpid="THRD", contacts=["team@third.example"])


@pytest.fixture
def gaining_user(gaining_supplier):
    from tests.factories import UserFactory

    return UserFactory(
        username="gaining", email="raiser@gaining.example", supplier=gaining_supplier
    )


@pytest.fixture
def gaining_colleague(gaining_supplier):
    from tests.factories import UserFactory

    return UserFactory(
        username="gaining2", email="colleague@gaining.example", supplier=gaining_supplier
    )


@pytest.fixture
def installing_user(installing_supplier):
    from tests.factories import UserFactory

    return UserFactory(
        username="installing", email="answerer@installing.example", supplier=installing_supplier
    )


@pytest.fixture
def other_supplier_user(other_supplier):
    from tests.factories import UserFactory

    return UserFactory(username="other", email="someone@third.example", supplier=other_supplier)


@pytest.fixture
def helpdesk_user(db):
    from tests.factories import HelpdeskUserFactory

    return HelpdeskUserFactory(username="helpdesk")


@pytest.fixture
def anonymous(client):
    return client


@pytest.fixture
def device(installing_supplier):
    """An ESME pre-notified by the installing Supplier and awaiting commissioning."""
    from tests.factories import DeviceFactory

    return DeviceFactory(
        device_id="00-DB-12-34-56-78-90-A0", installing_supplier=installing_supplier
    )


@pytest.fixture
def incident(gaining_user, device):
    """A request raised by the gaining Supplier, assigned to the installing Supplier."""
    from incidents.services import incident_raise

    return incident_raise(actor=gaining_user, device_id=device.device_id)


# A public example code from DOMAIN.md, with its CRC-16/X-25 appended low byte first.
INSTALL_CODE = "83FED3407A939723A5C639B26916D505"
INSTALL_CODE_WITH_CRC = "83FED3407A939723A5C639B26916D505C3B5"


@pytest.fixture
def answered_incident(incident, installing_user):
    from incidents.services import incident_answer

    return incident_answer(
        actor=installing_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC
    )
