"""What the stack's journeys need in its database, written with the production settings: two
Suppliers, a user each with an authenticator app whose secret the stack knows (production
requires two-factor sign-in), and eligible Devices, set-based (SQL ``generate_series``, as the
benchmarks seed), each on a meter point the registration data gives the gaining Supplier."""

import os
import secrets
import time
from dataclasses import dataclass

from django_otp.oath import totp

DEVICE_BASE = 0x00DB_9900_0000_0000


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    totp_key: bytes
    supplier: str

    def code(self) -> str:
        """What the person's authenticator app shows now."""
        return f"{totp(self.totp_key, step=30, t0=0, digits=6, drift=0):06d}"


@dataclass(frozen=True)
class Seeded:
    raiser: Person
    installer: Person
    journey_device: str
    devices: int  # Devices 1..devices are the bulk file's; devices + 1 the journey's


def device_id(n: int) -> str:
    digits = f"{DEVICE_BASE + n:016X}"
    return "-".join(digits[i : i + 2] for i in range(0, 16, 2))


def _person(supplier, username: str) -> Person:
    from accounts.models import SealedTOTPDevice, User

    password = secrets.token_urlsafe(18)
    user = User.objects.create_user(
        username=username,
        email=f"{username}@stack.example",
        password=password,
        first_name="Stack",
        last_name=username.title(),
        supplier=supplier,
    )
    key = os.urandom(20)
    device = SealedTOTPDevice(user=user, name="Authenticator app", confirmed=True, key=key.hex())
    device.seal_secret()
    device.save()
    return Person(username, password, key, supplier.name)


def seed(devices: int) -> Seeded:
    from django.db import connection, transaction

    from accounts.models import Supplier, SupplierContact
    from inventory.models import Device, Registration

    started = time.perf_counter()
    with transaction.atomic():
        gaining = Supplier.objects.create(
            name="Stack Gaining Energy",
            user_id="90-B3-D5-00-00-00-0A-01",
            mpid="SGAI",
            is_import_supplier=True,
        )
        installing = Supplier.objects.create(
            name="Stack Installing Power",
            user_id="90-B3-D5-00-00-00-0A-02",
            mpid="SINS",
            is_import_supplier=True,
        )
        for supplier, address in ((gaining, "desk@gaining.stack"), (installing, "ops@inst.stack")):
            SupplierContact.objects.create(supplier=supplier, email=address)
        raiser = _person(gaining, "raiser")
        installer = _person(installing, "installer")
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {Device._meta.db_table} (device_id, device_type, smi_status,
                    status_effective_date, manufacturer, model, mpxn, comms_hub_id,
                    installing_supplier_id, updated_at)
                SELECT regexp_replace(upper(lpad(to_hex(%(base)s::bigint + g), 16, '0')),
                                      '(..)(?!$)', '\\1-', 'g'),
                       'ESME', 'InstalledNotCommissioned', DATE '2026-01-05', 'Stack', 'S1',
                       lpad(g::text, 13, '0'), '', %(installing)s, now()
                FROM generate_series(1, %(rows)s) AS g
                """,  # noqa: S608 (the table name is the model's)
                {"base": DEVICE_BASE, "installing": installing.pk, "rows": devices + 1},
            )
            cursor.execute(
                f"""
                INSERT INTO {Registration._meta.db_table} (mpxn, supplier_id, effective_from,
                    updated_at)
                SELECT lpad(g::text, 13, '0'), %(gaining)s, DATE '2025-01-01', now()
                FROM generate_series(1, %(rows)s) AS g
                """,  # noqa: S608 (the table name is the model's)
                {"gaining": gaining.pk, "rows": devices + 1},
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"Seeded 2 Suppliers, 2 users and {devices + 1:,} Devices in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return Seeded(raiser, installer, device_id(devices + 1), devices)


def raise_file(devices: int) -> bytes:
    """A bulk raise file naming Devices 1..devices, each with a reference of its own."""
    lines = ["device_id,reference", *(f"{device_id(n)},STACK-{n}" for n in range(1, devices + 1))]
    return ("\r\n".join(lines) + "\r\n").encode()
