"""Benchmark: the portal over HTTP under gunicorn, with a floor to compare every page against.

Builds (or reuses) a dedicated PostgreSQL database with N Devices (a national mix of Device
Types and SMI statuses), 20 Suppliers with one user each (and a helpdesk user), and M incidents
in realistic statuses (70% closed, 20% awaiting the installer of which an eighth overdue, 8%
answered, 2% with the helpdesk), set-based. Starts gunicorn on 127.0.0.1 with the production
settings, signs the users in (sessions made by the real ``login()`` and verified by a second
factor, as after the portal's code step), warms up, and then drives each scenario with ``wrk``
(closed loop: C connections for D seconds), each figure the median of R runs:

- ``bare``: ``/bench/bare/?id=...``, the same lookup served by the same gunicorn workers
  through a Django handler with no middleware (``bench/http_wsgi.py``): no session, no user, no
  second factor; what Django itself costs for a request here;
- ``floor``: ``/bench/floor/?id=...``, the same stack (middleware, session, user, second
  factor) doing one indexed lookup of a Device; routed only by this benchmark's own settings
  (``bench/http_settings.py``: production's, with the URL conf ``bench/http_urls.py``);
- ``worklist``, ``worklist-deep``, ``worklist-overdue``, ``worklist-search``: the assigned
  list, first page, a page 10,000 rows down (a cursor), the overdue filter and a full Device
  ID search; each user its own worklist, the users taking turns;
- ``worklist-due``, ``worklist-status-deep``: the assigned list sorted by deadline (first
  page), and by status 10,000 rows down (a cursor in the middle of the closed ones);
- ``raised``: the "raised by us" list, open requests;
- ``home``: the home page and its figures;
- ``incident``: one incident's page with its timeline, each user incidents of its own (raised
  by its Supplier or assigned to it), a different one each request;
- ``raise``: ``POST /incidents/new/`` with a CSRF token, a distinct eligible Device each time;
- ``admin``: the helpdesk's incident change list, unfiltered;
- ``api-list``: ``GET /api/v1/requests/?side=assigned``, each Supplier's API client reading
  the first page of what is assigned to it (a bearer token, no session);
- ``api-raise``: ``POST /api/v1/requests/`` with a JSON body and an Idempotency-Key of its
  own, a distinct eligible Device each time, by the client of the Supplier registered for it.

Prints p50, p95 and requests/s with each figure's ratios to the bare view and to the floor,
the machine's load average at each run and the CPU others took meanwhile; checks the issue's
targets, and writes ``bench/results/http.json``. What the raise scenario created is deleted
afterwards. (Not ``http.py``: a file of that name in bench/ would hide the standard library's
``http`` package from every script run from bench/.)

    .venv/bin/python bench/http_load.py                     # 2,000,000 Devices, 500,000 incidents
    .venv/bin/python bench/http_load.py --devices 10000000  # rebuilds the data set
    .venv/bin/python bench/http_load.py --quick             # 100,000 Devices, 3 s runs

Needs ``wrk`` (Debian: ``apt-get install -y wrk``). Loopback only: PostgreSQL at
$BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432; database ``ssi_bench_http``,
``ssi_bench_http_quick`` for --quick), Redis at $BENCH_REDIS_URL (default
redis://127.0.0.1:6379/14, purged afterwards; no Celery worker runs, no email is sent),
gunicorn on 127.0.0.1.
"""

import argparse
import base64
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402 (bench/ is on the path when a script runs)
    PG,
    REDIS,
    autovacuum_is_on,
    ensure_database,
    purge_broker,
    vacuum,
)

DB_NAME = "ssi_bench_http"
VAR_DIR = Path(tempfile.gettempdir()) / "ssi_bench_http"
SUPPLIERS = 20
DEEP_ROWS = 10_000  # how far down the worklist the deep page starts
TARGET_P95_MS = 100
TARGET_RATIO = 3
TARGET_INCIDENT_RATIO = 2  # an incident's page: p95 <= 2x the floor's
# The throughput targets, as shares of the bare view's requests/s.
TARGET_FLOOR_SHARE = 0.5
TARGET_PAGE_SHARE = 0.25
SCENARIOS = (
    "bare",
    "floor",
    "worklist",
    "worklist-deep",
    "worklist-overdue",
    "worklist-search",
    "worklist-due",
    "worklist-status-deep",
    "raised",
    "home",
    "incident",
    "raise",
    "admin",
    "api-list",
    "api-raise",
)

# (share in %, ...) of the Devices that no incident names: a national SMI mix.
DEVICE_TYPES = [
    ("ESME", 34),
    ("GSME", 24),
    ("CHF", 16),
    ("GPF", 9),
    ("IHD", 10),
    ("PPMID", 3),
    ("CAD", 2),
    ("HCALCS", 1),
    ("SAPC", 1),
]
SMI_STATUSES = [
    ("Commissioned", 84),
    ("InstalledNotCommissioned", 4),
    ("Pending", 2),
    ("Whitelisted", 2),
    ("Decommissioned", 4),
    ("Withdrawn", 2),
    ("Suspended", 1),
    ("Recovery", 1),
]
OUIS = ["00DB12", "0016A2", "001BC5", "00124B", "70B3D5", "BC33AC", "8C3C4A", "000D6F"]


# --- Environment and database ------------------------------------------------------------------


def server_env(port: int) -> dict[str, str]:
    """The environment of gunicorn and of this process: production settings on loopback, with
    the floor and the bare view routed (``bench.http_settings``)."""
    from ssi_portal.lib.crypto import generate_key

    VAR_DIR.mkdir(exist_ok=True)
    key_file = VAR_DIR / "bench-keys.json"
    if not key_file.exists():
        key_file.write_text(
            json.dumps({"secret": secrets.token_urlsafe(50), "install": generate_key()})
        )
    keys = json.loads(key_file.read_text())
    if "metrics" not in keys:  # a key file from before /metrics needed a token
        keys["metrics"] = secrets.token_urlsafe(32)
        key_file.write_text(json.dumps(keys))
    return {
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",
        "DJANGO_SECRET_KEY": keys["secret"],
        "INSTALL_CODE_KEYS": keys["install"],
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "CELERY_BROKER_URL": REDIS,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SSI_METRICS_TOKEN": keys["metrics"],
        "SECURE_SSL_REDIRECT": "False",
        "SSI_VAR_DIR": str(VAR_DIR),
        "LOG_LEVEL": "WARNING",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        # The rate limits are checked on every raise, as in production, but set out of reach:
        # the raise scenario sends hundreds a second from a few users.
        "SSI_RAISE_LIMIT_PER_USER": "100000000/hour",
        "SSI_RAISE_LIMIT_PER_SUPPLIER": "100000000/day",
        # The API's clients likewise (their rate is per client), with tokens that outlast a run.
        "SSI_API_RATE": "100000000/minute",
        "SSI_API_TOKEN_SECONDS": "7200",
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    manifest = VAR_DIR / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def _buckets(pairs, expression: str) -> str:
    """A CASE that picks a value by ``expression`` (0..99) with the given shares in %."""
    parts, upper = [], 0
    for value, share in pairs:
        upper += share
        parts.append(f"WHEN {expression} < {upper} THEN '{value}'")
    return "CASE " + " ".join(parts) + f" ELSE '{pairs[-1][0]}' END"


def generate(devices: int, incidents: int) -> None:
    """Suppliers, users, Devices and incidents, set-based; reused when the sizes match."""
    from django.db import connection

    from accounts.models import Supplier
    from incidents.models import Incident, IncidentEvent
    from inventory.models import Device

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (devices bigint, incidents bigint, "
            "max_incident_id bigint)"
        )
        cur.execute("SELECT devices, incidents, max_incident_id FROM bench_meta")
        meta = cur.fetchone()
    from inventory.models import Registration

    if meta and meta[:2] == (devices, incidents) and Registration.objects.exists():
        print(f"Reusing {devices:,} Devices and {incidents:,} incidents in {DB_NAME}")
        if not IncidentEvent.objects.filter(incident_id__lte=meta[2]).exists():
            _make_timelines()  # a data set from before the incidents had their timelines
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE incidents_incidentevent")
        return
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE bench_meta, notifications_notification, incidents_incidentevent, "
            "incidents_assignment, incidents_incident, inventory_registration, inventory_device, "
            "inventory_suppliercontact, accounts_session, inventory_user, inventory_supplier "
            "RESTART IDENTITY CASCADE"
        )
    _make_organisations()
    supplier_ids = list(Supplier.objects.order_by("pk").values_list("pk", flat=True))
    user_ids = [
        user_id
        for _, user_id in sorted(
            Supplier.objects.filter(users__username__startswith="bench-").values_list(
                "pk", "users__pk"
            )
        )
    ]
    # SQL with parameters: a literal % is written %%.
    oui = "(ARRAY[" + ",".join(f"'{o}'" for o in OUIS) + "])[1 + g %% 8]"
    # A bijection of g onto 40 bits: random-looking serials, never a repeat.
    device_id = (
        f"regexp_replace({oui} || lpad(upper(to_hex((g::bigint * 679891637631) "
        "& 1099511627775)), 10, '0'), '(..)(?!$)', '\\1-', 'g')"
    )
    mix = "((g::bigint * 7919) %% 100)"
    with connection.cursor() as cur:
        # Devices 1..M carry the incidents (meters: awaiting commissioning while the request is
        # open, commissioned once closed); the rest are the SMI at large. The f-string pastes
        # constant SQL of this file only.
        cur.execute(
            f"""
            INSERT INTO inventory_device (device_id, device_type, smi_status,
                status_effective_date, manufacturer, model, mpxn, comms_hub_id,
                installing_supplier_id, updated_at)
            SELECT {device_id}, kind,
                   CASE WHEN g <= %(incidents)s AND (g * 37) %% 100 < 70 THEN 'Commissioned'
                        WHEN g <= %(incidents)s THEN 'InstalledNotCommissioned'
                        WHEN kind IN ('IHD', 'CAD') THEN NULL
                        ELSE {_buckets(SMI_STATUSES, mix)} END,
                   DATE '2025-06-01' + (g %% 300), 'Bench', 'B' || (g %% 4),
                   lpad(g::text, 13, '0'), '',
                   (%(suppliers)s::bigint[])[1 + g %% %(n)s], now()
            FROM (SELECT g, CASE WHEN g <= %(incidents)s
                                 THEN (ARRAY['ESME', 'GSME'])[1 + g %% 2]
                                 ELSE {_buckets(DEVICE_TYPES, "(g %% 100)")} END AS kind
                  FROM generate_series(1, %(devices)s) AS g) AS s
            ORDER BY g
            """,  # noqa: S608
            {"incidents": incidents, "suppliers": supplier_ids, "n": SUPPLIERS, "devices": devices},
        )
        # Incidents in time order (ids grow with created_at, as in life): 70% closed, 20%
        # awaiting the installer (raised in the last 8 days, deadline 7 days on, so an eighth
        # are overdue and escalated), 8% answered, 2% with the helpdesk.
        cur.execute(
            """
            WITH made AS (
                SELECT g, b,
                       CASE WHEN b < 70 THEN 'closed' WHEN b < 90 THEN 'awaiting_installer'
                            WHEN b < 98 THEN 'code_provided' ELSE 'with_helpdesk' END AS status,
                       now() - make_interval(secs => CASE
                            WHEN b < 70 THEN 864000 + (g::bigint * 48271) %% 62208000
                            WHEN b < 90 THEN (g::bigint * 48271) %% 691200
                            ELSE (g::bigint * 48271) %% 2592000 END) AS created,
                       1 + g %% %(n)s AS installer,
                       1 + (g + 1 + (g / %(n)s) %% (%(n)s - 1)) %% %(n)s AS raiser
                FROM (SELECT g, (g * 37) %% 100 AS b
                      FROM generate_series(1, %(incidents)s) AS g) AS s
            )
            INSERT INTO incidents_incident (public_id, device_id, raised_by_id,
                raising_supplier_id, assigned_supplier_id, status, due_at, notified_at,
                install_code_sealed, code_provided_by_id, code_provided_at, close_outcome,
                created_at, updated_at, closed_at, breached_at)
            SELECT gen_random_uuid(), g, (%(users)s::bigint[])[raiser],
                   (%(suppliers)s::bigint[])[raiser],
                   CASE WHEN status <> 'with_helpdesk'
                        THEN (%(suppliers)s::bigint[])[installer] END,
                   status,
                   CASE WHEN status = 'awaiting_installer' THEN created + interval '7 days' END,
                   created,
                   CASE WHEN status = 'code_provided' THEN '\\x00'::bytea END,
                   CASE WHEN status IN ('code_provided', 'closed')
                        THEN (%(suppliers)s::bigint[])[installer] END,
                   CASE WHEN status IN ('code_provided', 'closed')
                        THEN least(now(), created + interval '2 days') END,
                   CASE WHEN status = 'closed' THEN 'code_worked' ELSE '' END,
                   created, created,
                   CASE WHEN status = 'closed' THEN created + interval '3 days' END,
                   CASE WHEN status = 'awaiting_installer' AND created < now() - interval '7 days'
                        THEN created + interval '7 days 5 minutes' END
            FROM made ORDER BY created
            """,
            {
                "n": SUPPLIERS,
                "incidents": incidents,
                "users": user_ids,
                "suppliers": supplier_ids,
            },
        )
        # Each Device's meter point is registered to the Supplier after its installer (the
        # consumer switched): that Supplier's user raises it in the raise scenario.
        cur.execute(
            """
            INSERT INTO inventory_registration (mpxn, supplier_id, effective_from, updated_at)
            SELECT d.mpxn, (%(suppliers)s::bigint[])[1 + (d.id + 1) %% %(n)s],
                   DATE '2025-01-01', now()
            FROM inventory_device d ORDER BY d.mpxn
            """,
            {"suppliers": supplier_ids, "n": SUPPLIERS},
        )
        cur.execute("SELECT max(id) FROM incidents_incident")
        max_id = cur.fetchone()[0]
        cur.execute("INSERT INTO bench_meta VALUES (%s, %s, %s)", [devices, incidents, max_id])
    _make_timelines()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    assert Device.objects.count() == devices and Incident.objects.count() == incidents
    print(
        f"Generated {devices:,} Devices and {incidents:,} incidents in "
        f"{time.perf_counter() - started:.0f} s"
    )


def _make_timelines() -> None:
    """Each incident's timeline as the portal would have written it, set-based: raised (and
    assigned, its clock started), escalated when its deadline was breached, answered with the
    code by the installing Supplier's user, revealed and closed by the raiser's. One to four
    events an incident, as an incident's page shows them."""
    from django.db import connection

    # The bench users (bench-01..), one a Supplier: not the API's administrators (bench-admin-).
    bench_user = (
        "SELECT id FROM inventory_user WHERE supplier_id = %s AND username ~ '^bench-[0-9]+$'"
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO incidents_incidentevent (incident_id, kind, actor_id, actor_supplier_id,
                from_status, to_status, message, created_at)
            SELECT i.id, e.kind, e.actor_id, e.actor_supplier_id, e.from_status, e.to_status,
                   e.message, e.created_at
            FROM incidents_incident i
            LEFT JOIN inventory_supplier a ON a.id = i.assigned_supplier_id
            CROSS JOIN LATERAL (VALUES
                ('raised', i.raised_by_id, i.raising_supplier_id, '',
                 CASE WHEN i.assigned_supplier_id IS NULL THEN 'with_helpdesk'
                      ELSE 'awaiting_installer' END,
                 CASE WHEN i.assigned_supplier_id IS NULL
                      THEN 'The SMI names no installing Supplier: sent to the DCC helpdesk to '
                           'assign.'
                      ELSE 'Assigned to the installing Supplier, ' || a.name || '. The '
                           'five-Working-Day clock starts: answer due by the end of '
                           || to_char(i.created_at + interval '7 days', 'FMDay FMDD FMMonth')
                           || ', UK time.' END,
                 i.created_at),
                ('breached', NULL, NULL, '', '',
                 'The deadline passed without an answer: escalated to the DCC helpdesk.',
                 i.breached_at),
                ('code_provided', ({bench_user % "i.code_provided_by_id"}),
                 i.code_provided_by_id, 'awaiting_installer', 'code_provided',
                 'Install code provided.', i.code_provided_at),
                ('code_revealed', i.raised_by_id, i.raising_supplier_id, '', '',
                 'Install code revealed.',
                 CASE WHEN i.status = 'closed' THEN i.code_provided_at + interval '1 hour' END),
                ('closed', i.raised_by_id, i.raising_supplier_id, 'code_provided', 'closed',
                 'Closed: the code worked.', i.closed_at)
            ) AS e(kind, actor_id, actor_supplier_id, from_status, to_status, message, created_at)
            WHERE e.created_at IS NOT NULL
            ORDER BY i.id, e.created_at
            """  # noqa: S608 (constant SQL of this file only)
        )


def _make_organisations() -> None:
    from accounts.models import Supplier, SupplierContact, User

    suppliers = Supplier.objects.bulk_create(
        Supplier(
            name=f"Bench Supplier {n:02d}",
            user_id="90-B3-D5-1F-30-00-00-" + f"{n:02X}",
            mpid=f"B{n:03d}",
            is_import_supplier=True,
            is_gas_supplier=True,
        )
        for n in range(1, SUPPLIERS + 1)
    )
    SupplierContact.objects.bulk_create(
        SupplierContact(supplier=s, email=f"desk{n}@bench.invalid")
        for n, s in enumerate(suppliers, 1)
    )
    password = secrets.token_urlsafe(16)
    for n, supplier in enumerate(suppliers, 1):
        user = User(username=f"bench-{n:02d}", email=f"u{n}@bench.invalid", supplier=supplier)
        user.set_password(password)
        user.save()
    helpdesk = User(
        username="bench-helpdesk", email="helpdesk@bench.invalid", is_helpdesk=True, is_staff=True
    )
    helpdesk.set_password(password)
    helpdesk.save()
    from django.contrib.auth.models import Permission

    helpdesk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )


def clean_up_raises() -> None:
    """Delete what the raise scenarios created (also what an interrupted run left behind)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT max_incident_id FROM bench_meta")
        row = cur.fetchone()
        if row is None:
            return
        # One statement a call: parameters are bound on the server, which takes one at a time.
        cur.execute("DELETE FROM notifications_notification")
        cur.execute("DELETE FROM api_idempotencykey")
        for table, column in (
            ("incidents_incidentevent", "incident_id"),
            ("incidents_assignment", "incident_id"),
            ("incidents_incident", "id"),
        ):
            cur.execute(f"DELETE FROM {table} WHERE {column} > %s", [row[0]])  # noqa: S608


# What the load rewrites: the sessions (each at most once a minute), the incident tables on
# every raise.
CHURNED_TABLES = (
    "accounts_session",
    "incidents_incident",
    "incidents_assignment",
    "incidents_incidentevent",
    "notifications_notification",
)


# --- Server and sessions -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], port: int, workers: int, threads: int):
    """gunicorn on 127.0.0.1: ``workers`` processes of ``threads`` threads each (gthread, which
    keeps the load's connections alive as a proxy in front of it would), or sync workers
    (one request at a time, a connection each) with ``threads`` 0."""
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        # The portal's application, and beside it the bare view's handler without middleware.
        "bench.http_wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        *(
            ["--worker-class=gthread", f"--threads={threads}", "--keep-alive=30"]
            if threads
            else ["--worker-class=sync"]
        ),
        "--log-level=warning",
    ]
    with open(VAR_DIR / "gunicorn.log", "w") as log:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {VAR_DIR / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(server) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def mint_sessions(
    per_user: int, *, clear: bool = True, usernames: list[str] | None = None
) -> dict[str, list[str]]:
    """Session cookies for each bench user: the real ``login()``, then the session marked
    verified by the user's authenticator device, as django-otp marks it after the portal's
    code step (``django_otp.login``).

    No password round trip (its hashing would cost more than the pages measured) and no code
    typed. Several sessions a user, so that concurrent requests do not queue on one session row
    when it is saved (at most once a minute: ``accounts.middleware.SessionMiddleware``). Each
    cookie line holds the CSRF cookie too, as a signed-in browser's does from its first page
    on (without it, every page that draws a form would make and set a new CSRF secret).
    ``clear``: delete every session first; ``usernames``: those users only (every bench user
    otherwise).
    """
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.test import Client
    from django.utils.crypto import get_random_string
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Session, User

    if clear:
        Session.objects.all().delete()
    sessions: dict[str, list[str]] = {}
    users = User.objects.filter(username__startswith="bench-")
    if usernames is not None:
        users = users.filter(username__in=usernames)
    for user in users.order_by("username"):
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
        sessions[user.username] = []
        for _ in range(per_user):
            client = Client()
            client.force_login(user, backend="accounts.backends.ModelBackend")
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
            csrf = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
            sessions[user.username].append(f"sessionid={session.session_key}; csrftoken={csrf}")
    return sessions


def mint_api_tokens(http: "Http") -> dict[int, str]:
    """A bearer token for an API client of each bench Supplier, from the real token endpoint
    (client credentials); the client is made once and its secret rotated on each run."""
    from accounts.models import Supplier, User
    from api.models import ApiClient
    from api.services import api_client_create, api_client_rotate

    tokens: dict[int, str] = {}
    for supplier in Supplier.objects.filter(name__startswith="Bench Supplier"):
        admin, _ = User.objects.get_or_create(
            username=f"bench-admin-{supplier.pk}",
            defaults={
                "email": f"admin{supplier.pk}@bench.invalid",
                "supplier": supplier,
                "is_supplier_admin": True,
            },
        )
        client = ApiClient.objects.filter(supplier=supplier, name="bench", revoked_at=None).first()
        if client is None:
            client, secret = api_client_create(
                actor=admin, name="bench", scopes=["read", "raise", "answer", "reveal"]
            )
        else:
            client, secret = api_client_rotate(actor=admin, client_id=client.pk)
        status, body = http.token(client.client_id, secret)
        if status != 200:
            raise SystemExit(f"the token endpoint answered {status}: {body[:300]}")
        tokens[supplier.pk] = json.loads(body)["access_token"]
    return tokens


def api_headers(token: str, **extra: str) -> str:
    return "|".join(f"{k}: {v}" for k, v in {"Authorization": f"Bearer {token}", **extra}.items())


class Http:
    """Single requests to the server (checks and set-up; the load is wrk's)."""

    def __init__(self, base: str):
        self.base = base

    def get(self, path: str, cookie: str) -> tuple[int, str, dict]:
        request = urllib.request.Request(self.base + path, headers={"Cookie": cookie})  # noqa: S310
        return self._send(request)

    def post(self, path: str, cookie: str, body: str) -> tuple[int, str, dict]:
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base + path,
            data=body.encode(),
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        return self._send(request)

    def token(self, client_id: str, secret: str) -> tuple[int, str]:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base + "/api/v1/oauth/token/",
            data=b"grant_type=client_credentials",
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        status, body, _ = self._send(request)
        return status, body

    def get_api(self, path: str, headers: str) -> tuple[int, str, dict]:
        fields = dict(field.split(": ", 1) for field in headers.split("|"))
        return self._send(urllib.request.Request(self.base + path, headers=fields))  # noqa: S310

    @staticmethod
    def _send(request) -> tuple[int, str, dict]:
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_pair(http: Http, cookie: str) -> tuple[str, str]:
    """The CSRF cookie and the raise form's masked token, as a browser would hold them."""
    status, html, headers = http.get("/incidents/new/", cookie)
    if status != 200:
        raise SystemExit(f"GET /incidents/new/ answered {status}")
    # The cookie the page set, else the one the browser sent (and the page's token is of it).
    jar = SimpleCookie(cookie)
    jar.load(headers.get("Set-Cookie", ""))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if "csrftoken" not in jar or not token:
        raise SystemExit("no CSRF token on the raise form")
    return jar["csrftoken"].value, token.group(1)


# --- Scenarios ---------------------------------------------------------------------------------


def cursor_for(supplier_id: int, rows_down: int) -> str:
    """The worklist cursor of the page that starts ``rows_down`` rows below the top, written
    as the app writes it (following 400 "Next page" links would take longer than the run)."""
    from incidents.models import Incident
    from ssi_portal.lib.keyset import encode_cursor

    row = (
        Incident.objects.filter(assigned_supplier_id=supplier_id)
        .order_by("-created_at", "-id")
        .values_list("created_at", "pk")[rows_down - 1 : rows_down]
        .first()
    )
    if row is None:
        raise SystemExit(f"the worklist of Supplier {supplier_id} is not {rows_down} rows deep")
    return encode_cursor(row, page=rows_down // 25 + 1)


def status_cursor_for(supplier_id: int, rows_down: int) -> str:
    """The cursor of the page ``rows_down`` rows below the top of the worklist sorted by
    status, written as the app writes it."""
    from incidents.models import Incident
    from incidents.selectors.incidents import LIST_ORDERS
    from ssi_portal.lib.keyset import encode_cursor

    order = LIST_ORDERS["status"].keyset
    statuses = [segment.where.children[0][1] for segment in order.segments]
    passed = 0
    for index, status in enumerate(statuses):
        rows = Incident.objects.filter(assigned_supplier_id=supplier_id, status=status)
        count = rows.count()
        if passed + count >= rows_down:
            row = rows.order_by("-created_at", "-id").values_list("created_at", "pk")[
                rows_down - passed - 1
            ]
            return encode_cursor(row, page=rows_down // 25 + 1, order=order, segment=index)
        passed += count
    raise SystemExit(f"the worklist of Supplier {supplier_id} is not {rows_down} rows deep")


def build_requests(sessions: dict[str, list[str]], deep: int) -> dict[str, list[tuple]]:
    """Per page scenario, the (method, path, cookie) lines the load cycles through: each user
    its own pages, the users taking turns."""
    from accounts.models import User
    from bench.http_urls import BARE_PATH
    from incidents.models import Incident, IncidentStatus
    from inventory.models import Device

    users = list(User.objects.filter(supplier__isnull=False, username__in=sessions))
    # The raises' lines are made per run (each Device raised once), the API's once tokens exist.
    lines: dict[str, list[tuple]] = {
        name: [] for name in SCENARIOS if name not in ("raise", "api-raise", "api-list")
    }
    devices = Device.objects.order_by("?").values_list("device_id", flat=True)[:20_000]
    for n, device_id in enumerate(devices):
        cookie = _cookie(sessions, users[n % len(users)], n)
        lines["floor"].append(("GET", f"/bench/floor/?id={device_id}", cookie))
        lines["bare"].append(("GET", f"{BARE_PATH}?id={device_id}", ""))
    for round_ in range(50):
        for user in users:
            cookie = _cookie(sessions, user, round_)
            lines["worklist"].append(("GET", "/incidents/assigned/", cookie))
            lines["raised"].append(("GET", "/incidents/raised/?status=open", cookie))
            lines["home"].append(("GET", "/", cookie))
            lines["worklist-overdue"].append(("GET", "/incidents/assigned/?overdue=on", cookie))
            lines["worklist-due"].append(("GET", "/incidents/assigned/?sort=due", cookie))
    for user in users:
        for n, public_id in enumerate(own_incidents(user)):
            lines["incident"].append(
                ("GET", f"/incidents/{public_id}/", _cookie(sessions, user, n))
            )
    random.Random(len(lines["incident"])).shuffle(lines["incident"])  # the users take turns
    for user in users:
        deep_url = f"/incidents/assigned/?cursor={cursor_for(user.supplier_id, deep)}"
        status_deep = "/incidents/assigned/?sort=status&cursor=" + status_cursor_for(
            user.supplier_id, deep
        )
        searched = (
            Incident.objects.filter(
                assigned_supplier_id=user.supplier_id, status=IncidentStatus.AWAITING_INSTALLER
            )
            .order_by("?")
            .values_list("device__device_id", flat=True)[:50]
        )
        for n, device_id in enumerate(searched):
            cookie = _cookie(sessions, user, n)
            lines["worklist-deep"].append(("GET", deep_url, cookie))
            lines["worklist-status-deep"].append(("GET", status_deep, cookie))
            lines["worklist-search"].append(("GET", f"/incidents/assigned/?q={device_id}", cookie))
    for lines_of in (
        lines["worklist-deep"],
        lines["worklist-search"],
        lines["worklist-status-deep"],
    ):
        random.Random(len(lines_of)).shuffle(lines_of)  # the users take turns
    helpdesk = sessions["bench-helpdesk"]
    lines["admin"] = [("GET", "/admin/incidents/incident/", cookie) for cookie in helpdesk]
    return lines


def own_incidents(user, count: int = 50) -> list[uuid.UUID]:
    """The public ids of ``count`` incidents the user's Supplier raised or is assigned, chosen
    at random: every status in the data set's mix, each with its timeline."""
    from django.db.models import Q

    from incidents.models import Incident

    mine = Q(raising_supplier_id=user.supplier_id) | Q(assigned_supplier_id=user.supplier_id)
    return list(
        Incident.objects.filter(mine).order_by("?").values_list("public_id", flat=True)[:count]
    )


def _cookie(sessions: dict[str, list[str]], user, n: int) -> str:
    mine = sessions[user.username]
    return mine[n % len(mine)]


def raise_pool(size: int) -> list[tuple[str, int]]:
    """(Device ID, registered Supplier) of eligible Devices no request names, shuffled."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT d.device_id, r.supplier_id FROM inventory_device d
            JOIN inventory_registration r ON r.mpxn = d.mpxn
            WHERE d.device_type IN ('ESME', 'GSME', 'PPMID', 'HCALCS', 'SAPC')
              AND d.smi_status IN ('Pending', 'Whitelisted', 'InstalledNotCommissioned')
              AND NOT EXISTS (SELECT 1 FROM incidents_incident i WHERE i.device_id = d.id)
            ORDER BY md5(d.device_id) LIMIT %s
            """,
            [size],
        )
        return cur.fetchall()


def raise_lines(pool, sessions, csrf: tuple[str, str]) -> list[tuple]:
    """One POST per Device, each by a user of the Supplier registered for its meter point."""
    from accounts.models import User

    by_supplier = {
        user.supplier_id: user
        for user in User.objects.filter(supplier__isnull=False, username__in=sessions)
    }
    lines = []
    for n, (device_id, registered) in enumerate(pool):
        user = by_supplier[registered]
        session = _cookie(sessions, user, n).partition("; csrftoken=")[0]
        cookie = f"{session}; csrftoken={csrf[0]}"
        body = f"csrfmiddlewaretoken={csrf[1]}&device_id={device_id}"
        lines.append(("POST", "/incidents/new/", cookie, body))
    return lines


def api_raise_lines(pool, tokens: dict[int, str]) -> list[tuple]:
    """One POST per Device by the API client of the Supplier registered for its meter point,
    each with an Idempotency-Key of its own, as an integration sends them."""
    return [
        (
            "POST",
            "/api/v1/requests/",
            api_headers(tokens[registered], **{"Idempotency-Key": str(uuid.uuid4())}),
            json.dumps({"device_id": device_id}),
        )
        for device_id, registered in pool
    ]


def api_list_lines(tokens: dict[int, str]) -> list[tuple]:
    """Each Supplier's client reading the first page of what is assigned to it, as its
    worklist."""
    return [
        ("GET", "/api/v1/requests/?side=assigned", api_headers(token))
        for _ in range(50)
        for token in tokens.values()
    ]


# wrk drives the load (closed loop: each connection sends its next request when the last one
# is answered). Each thread walks its share of the request lines, cycling through them, or
# once only ("once", for the raises: a Device is raised for once); the summary comes back as
# one JSON line. Latencies are wrk's own histogram.
WRK_SCRIPT = r"""
local lines, position, once, step = {}, 0, false, 1
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  once = args[2] == "once"
  step = tonumber(args[3])
  for line in io.lines(args[1]) do
    local method, path, sent, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    -- The third field: a cookie, the API's headers ("Name: value|Name: value"), or nothing.
    local headers = {}
    if sent:find(": ", 1, true) then
      for field in sent:gmatch("[^|]+") do
        local name, value = field:match("^([^:]+): (.*)$")
        headers[name] = value
      end
      if method == "POST" then headers["Content-Type"] = "application/json" end
    elseif sent ~= "" then
      headers["Cookie"] = sent
    end
    if method == "POST" and not headers["Content-Type"] then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    lines[#lines + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
  end
  position = id
end
function request()
  if position >= #lines then
    if once then wrk.thread:stop() end
    position = position % #lines
  end
  local r = lines[position + 1]
  position = position + step
  return r
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %.4f, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": %d, "bad_status": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def cpu_ticks() -> tuple[float, int, dict[str, int]]:
    """When, the CPU time the whole machine has spent busy, and that of each of this
    benchmark's processes (itself and its children: gunicorn, wrk; and PostgreSQL's backends
    serving its database), with their reaped children, in clock ticks. Everything else, other
    people's processes seen or not (other containers, their PostgreSQL backends), shows only in
    the machine's total: the difference is their share (:func:`others_share`)."""
    with open("/proc/stat") as stat:
        user, nice, system, idle, iowait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    parents, ticks = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                command = cmdline.read(200)
        except OSError:  # gone meanwhile
            continue
        parents[entry.name] = fields[1]
        if command.startswith(b"postgres: ") and f" {DB_NAME} ".encode() in command:
            parents[entry.name] = str(os.getpid())  # a backend of this benchmark's database
        ticks[entry.name] = sum(int(value) for value in fields[11:15])  # utime..cstime
    ours = {str(os.getpid())}
    while grown := {pid for pid, parent in parents.items() if parent in ours} - ours:
        ours |= grown
    busy = user + nice + system + irq + softirq + steal
    return time.monotonic(), busy, {pid: ticks[pid] for pid in ours if pid in ticks}


def others_share(start, end) -> float:
    """The share of the machine's CPU (0..1 of all cores) that others used between two
    :func:`cpu_ticks` samples: other people's work on the same cores."""
    (started, busy_before, before), (ended, busy_after, after) = start, end
    ours = sum(used - before.get(pid, 0) for pid, used in after.items())
    capacity = (ended - started) * os.sysconf("SC_CLK_TCK") * os.cpu_count()
    return max(0.0, min(1.0, (busy_after - busy_before - ours) / capacity)) if capacity else 0.0


def run_wrk(base: str, lines, *, once: bool, connections: int, seconds: float) -> dict:
    threads = min(2, connections)
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", dir=VAR_DIR, delete=False) as out:
        for line in lines:
            out.write("\t".join(line) + "\n")
    load_before, cpu_before = os.getloadavg()[0], cpu_ticks()
    script = VAR_DIR / "load.lua"
    script.write_text(WRK_SCRIPT)
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds:g}s",
        "--timeout=10s",
        f"--script={script}",
        base,
        "--",
        out.name,
        "once" if once else "cycle",
        str(threads),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(out.name)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    summary = next(
        json.loads(line[4:]) for line in done.stdout.splitlines() if line.startswith("WRK ")
    )
    cpu_after = cpu_ticks()
    good = summary["requests"] - summary["bad_status"]
    return {
        # The machine's 1-minute load average as the run began and ended: it counts this
        # benchmark's own processes too (gunicorn, PostgreSQL, wrk) as well as anyone else's.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        # What others took of the cores meanwhile (0.25: half a core of the two).
        "others_cpu_share": round(others_share(cpu_before, cpu_after), 3),
        "requests": summary["requests"],
        "bad_status": summary["bad_status"],
        "socket_errors": summary["errors"],
        "rps": round(good / summary["seconds"], 1),
        "p50_ms": round(summary["p50_us"] / 1000, 2),
        "p95_ms": round(summary["p95_us"] / 1000, 2),
        "p99_ms": round(summary["p99_us"] / 1000, 2),
        "max_ms": round(summary["max_us"] / 1000, 2),
    }


def check_pages(http: Http, lines: dict[str, list[tuple]]) -> None:
    """Each page scenario's first request answers 200 before any load (a redirect to the
    login or the second factor would measure the wrong page), the bare view without a header
    of the portal's middleware and the floor with them."""
    for name, scenario in lines.items():
        _, path, cookie = scenario[0]
        status, body, headers = http.get(path, cookie)
        if status != 200:
            where = headers.get("Location", "")
            raise SystemExit(f"{name}: GET {path} answered {status} {where}: {body[:300]}")
        if name in ("bare", "floor") and (
            ("Content-Security-Policy" in headers) != (name == "floor")
        ):
            raise SystemExit(f"{name}: GET {path} did not go through the stack it should")


def wait_for_quiet(max_others: float, *, patience: float = 30) -> None:
    """Wait (``patience`` seconds at most) until others take at most ``max_others`` of the CPU
    over two seconds: a run then starts on cores as quiet as they get."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        start = cpu_ticks()
        time.sleep(2)
        if others_share(start, cpu_ticks()) <= max_others:
            return


def quiet_run(name: str, measure, args) -> dict:
    """``measure()`` once the cores are quiet, again (``--retries`` times at most) while others
    took more than ``--max-others`` of the CPU during it; the last try if none was quiet."""
    for attempt in range(args.retries + 1):
        wait_for_quiet(args.max_others)
        run = measure(attempt)
        if run["others_cpu_share"] <= args.max_others:
            break
        if attempt < args.retries:
            print(f"  {name}: others took {run['others_cpu_share']:.0%} of the CPU: again")
    run["tries"] = attempt + 1
    return _print_run(name, run)


def measure_raises(base: str, pool, make_lines, args, results: dict, name="raise") -> None:
    """A raise scenario: each run (each try of it) raises fresh Devices, its own share of the
    pool; every accepted POST must have made one incident. ``make_lines``: the POSTs of a
    share."""
    from incidents.models import Incident

    tries = args.runs * (args.retries + 1)
    share = len(pool) // tries
    shares = iter(range(tries))

    def measure(attempt: int) -> dict:
        n = next(shares)
        vacuum(CHURNED_TABLES)
        before = Incident.objects.count()
        run = run_wrk(
            base,
            make_lines(pool[n * share : (n + 1) * share]),
            once=True,
            connections=args.connections,
            seconds=args.seconds,
        )
        run["incidents_created"] = Incident.objects.count() - before
        answered = run["requests"] - run["bad_status"]
        # Requests still in flight when wrk stops are served, but not counted by wrk.
        if run["incidents_created"] < answered:
            raise SystemExit(
                f"{name}: {run['incidents_created']} incidents for {run['requests']} requests "
                f"({run['bad_status']} refused)"
            )
        if run["requests"] >= share:
            raise SystemExit(f"{name}: the pool of Devices ran out; shorten --seconds")
        return run

    runs = [quiet_run(name, measure, args) for _ in range(args.runs)]
    results[name] = {"runs": runs, **_median(runs)}
    vacuum(CHURNED_TABLES)


def _print_run(name: str, run: dict) -> dict:
    refused = f", {run['bad_status']} not 2xx/3xx" if run["bad_status"] else ""
    before, after = run["load_average"]
    print(
        f"  {name}: p50 {run['p50_ms']:.1f} ms, p95 {run['p95_ms']:.1f} ms, "
        f"{run['rps']:,.0f} req/s{refused} (load average {before:.2f} -> {after:.2f}, "
        f"others {run['others_cpu_share']:.0%} of the CPU)"
    )
    if run["bad_status"] or run["socket_errors"]:
        raise SystemExit(f"{name}: {run['bad_status']} bad answers, {run['socket_errors']} errors")
    return run


def _median(runs: list[dict]) -> dict:
    figures = {
        key: statistics.median(run[key] for run in runs)
        for key in ("p50_ms", "p95_ms", "p99_ms", "rps")
    }
    # The lowest load average any of the runs began with, the highest any ended with.
    figures["load_average"] = [
        min(run["load_average"][0] for run in runs),
        max(run["load_average"][1] for run in runs),
    ]
    figures["others_cpu_share"] = max(run["others_cpu_share"] for run in runs)
    figures["tries"] = sum(run.get("tries", 1) for run in runs)
    return figures


def main() -> None:
    global DB_NAME, VAR_DIR
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2_000_000)
    parser.add_argument("--incidents", type=int, default=500_000)
    parser.add_argument(
        "--quick", action="store_true", help="100,000 Devices, 25,000 incidents, 3 s runs"
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs per scenario")
    parser.add_argument("--seconds", type=float, default=10, help="length of each run")
    parser.add_argument("--connections", type=int, default=8)
    # On cores shared with others: a run waits for them to quieten, and one they disturbed is
    # run again, so that the figures (and the ratios between scenarios) are of quiet cores.
    parser.add_argument(
        "--max-others",
        type=float,
        default=0.1,
        help="share of the CPU others may take during a run (0..1; 1: any)",
    )
    parser.add_argument("--retries", type=int, default=2, help="times a disturbed run is run again")
    # 4 x 2 rather than 2 x 4 on 2 cores: each worker holds the keep-alive connections it
    # accepted, and with 2 workers one of them often held 6 of the 8, leaving a core idle
    # (runs of one page came out at 185 or at 105 requests/s).
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=2, help="threads per gthread worker; 0: sync workers"
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument(
        "--database",
        default=DB_NAME,
        help="the PostgreSQL database to build or reuse (a copy of another's data set: "
        "createdb -T ssi_bench_http NAME)",
    )
    parser.add_argument("--recreate", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--prepare-only", action="store_true", help="build the data and stop")
    args = parser.parse_args()
    DB_NAME = args.database
    if args.quick:
        args.devices, args.incidents, args.seconds = 100_000, 25_000, 3
        DB_NAME += "_quick"  # keeps the full-size data set for the next full run
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", DB_NAME):
        parser.error("--database: lower-case letters, digits and _ only")
    if DB_NAME != "ssi_bench_http":
        # Its own keys, static files, server log and request files: two benchmarks on one
        # machine, each with its database, do not share them.
        VAR_DIR = VAR_DIR.with_name(DB_NAME)
    if not 10_000 <= args.devices <= 10_000_000:
        parser.error("--devices must be between 10,000 and 10,000,000")
    if not 1_000 <= args.incidents <= min(args.devices // 2, 1_000_000):
        parser.error("--incidents must be between 1,000 and min(devices / 2, 1,000,000)")
    if not (1 <= args.runs <= 9 and 1 <= args.seconds <= 60 and 1 <= args.connections <= 64):
        parser.error("--runs 1..9, --seconds 1..60 and --connections 1..64 keep a run bounded")
    if not (0 <= args.max_others <= 1 and 0 <= args.retries <= 5):
        parser.error("--max-others 0..1 and --retries 0..5")
    scenarios = [s for s in args.scenarios.split(",") if s]
    if unknown := set(scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    for url in (PG, REDIS):
        if urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error(f"{url}: this benchmark runs on loopback only")
    if not args.prepare_only and not shutil.which("wrk"):
        raise SystemExit("This benchmark needs wrk: apt-get install -y wrk (Debian package).")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(port)
    ensure_database(DB_NAME, recreate=args.recreate)
    setup_django(env)
    generate(args.devices, args.incidents)
    clean_up_raises()
    vacuum(CHURNED_TABLES)
    if args.prepare_only:
        return
    if not autovacuum_is_on():
        print("PostgreSQL runs with autovacuum off: this benchmark vacuums between runs.")
    purge_broker()
    load_before = os.getloadavg()[0]
    if load_before > 1.5:
        print(
            f"Warning: load average {load_before:.1f} before the run: other work on this machine "
            "will slow every figure down (the ratios to the floor suffer less)."
        )
    sessions = mint_sessions(per_user=4)
    deep = min(DEEP_ROWS, args.incidents // SUPPLIERS // 2)
    lines = build_requests(sessions, deep)
    raisers = [name for name in ("raise", "api-raise") if name in scenarios]
    everything = raise_pool((80_000 if not args.quick else 10_000) * len(raisers))
    pools = {name: everything[n :: len(raisers)] for n, name in enumerate(raisers)}
    results: dict[str, dict] = {}
    server = start_server(env, port, args.workers, args.threads)
    try:
        http = Http(base)
        if {"api-list", "api-raise"} & set(scenarios):
            tokens = mint_api_tokens(http)
            lines["api-list"] = api_list_lines(tokens)
            status, body, _ = http.get_api(*lines["api-list"][0][1:3])
            if status != 200:
                raise SystemExit(f"api-list: GET answered {status}: {body[:300]}")
        check_pages(
            http, {n: lines[n] for n in scenarios if n in lines and not n.startswith("api-")}
        )
        csrf = csrf_pair(http, sessions["bench-01"][0])
        makers = {
            "raise": lambda share: raise_lines(share, sessions, csrf),
            "api-raise": lambda share: api_raise_lines(share, tokens),
        }
        print(f"Warming up {_server_shape(args)}")
        for name in scenarios:
            if name in lines:
                run_wrk(base, lines[name], once=False, connections=args.connections, seconds=2)
        for name in raisers:
            run_wrk(base, makers[name](pools[name][-200:]), once=True, connections=2, seconds=2)
            pools[name] = pools[name][:-200]
        for name in scenarios:
            if name in raisers:
                measure_raises(base, pools[name], makers[name], args, results, name=name)
                continue

            def measure(attempt: int, name=name) -> dict:
                vacuum(("accounts_session",))
                return run_wrk(
                    base,
                    lines[name],
                    once=False,
                    connections=args.connections,
                    seconds=args.seconds,
                )

            runs = [quiet_run(name, measure, args) for _ in range(args.runs)]
            results[name] = {"runs": runs, **_median(runs)}
    finally:
        stop_server(server)
        clean_up_raises()
        purge_broker()
    report(args, results, deep, load=(load_before, os.getloadavg()[0]))


RESULTS_SO_FAR: dict[str, dict] = {}


def report(args, results: dict[str, dict], deep: int, load: tuple[float, float]) -> None:
    """The table: each scenario's median figures, their ratios to the bare view and to the
    floor, the load average during its runs, and the target it has."""
    floor, bare = results.get("floor"), results.get("bare")
    RESULTS_SO_FAR.update(results)
    for name, figures in results.items():
        if floor and name not in ("floor", "bare"):
            # Kept as before: latency multiples, and how many floor requests in one of these.
            figures["p50_ratio"] = round(figures["p50_ms"] / floor["p50_ms"], 2)
            figures["p95_ratio"] = round(figures["p95_ms"] / floor["p95_ms"], 2)
            figures["rps_ratio"] = round(floor["rps"] / figures["rps"], 2)
            figures["rps_share_of_floor"] = round(figures["rps"] / floor["rps"], 3)
        if bare and name != "bare":
            figures["p50_bare"] = round(figures["p50_ms"] / bare["p50_ms"], 2)
            figures["p95_bare"] = round(figures["p95_ms"] / bare["p95_ms"], 2)
            figures["rps_share_of_bare"] = round(figures["rps"] / bare["rps"], 3)
        figures["target"] = _target(name, figures)
    print()
    header = (
        f"{'scenario':<20} {'load avg':>11} {'others':>6} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>7} "
        f"{'p50/bare':>8} {'p95/bare':>8} {'rps/bare':>8} "
        f"{'p50/floor':>9} {'p95/floor':>9} {'rps/floor':>9}  target"
    )
    print(header)
    print("-" * len(header))
    for name, figures in results.items():
        low, high = figures["load_average"]
        print(
            f"{name:<20} {f'{low:.2f}-{high:.2f}':>11} {figures['others_cpu_share']:>6.0%} "
            f"{figures['p50_ms']:>7.1f} "
            f"{figures['p95_ms']:>7.1f} {figures['rps']:>7,.0f} "
            f"{_ratio(figures.get('p50_bare')):>8} {_ratio(figures.get('p95_bare')):>8} "
            f"{_ratio(figures.get('rps_share_of_bare')):>8} "
            f"{_ratio(figures.get('p50_ratio')):>9} {_ratio(figures.get('p95_ratio')):>9} "
            f"{_ratio(figures.get('rps_share_of_floor')):>9}  {figures['target'] or ''}"
        )
    print(
        "\nrps/bare, rps/floor: this scenario's requests/s as a share of the bare view's, the "
        "floor's;\np50/p95 over bare or floor: its latency as a multiple of theirs. Load "
        "average: 1-minute, lowest at the start\nof a run to highest at the end of one (this "
        "benchmark's own processes count in it); others: the most of the CPU that other work\n"
        "(other people's processes, PostgreSQL serving other databases) took during a run."
    )
    print(
        f"\n{args.connections} connections, {args.seconds:g} s a run, median of {args.runs} runs; "
        f"gunicorn {_server_shape(args)}; "
        f"{args.devices:,} Devices, {args.incidents:,} incidents, deep page {deep:,} rows down; "
        f"cpu count {os.cpu_count()}; load average {load[0]:.2f} before, {load[1]:.2f} after; "
        f"a run during which others took more than {args.max_others:.0%} of the CPU was run "
        f"again (up to {args.retries} times): "
        + ", ".join(f"{name} {figures['tries']} tries" for name, figures in results.items())
    )
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "http.json").write_text(
        json.dumps(
            {
                "devices": args.devices,
                "incidents": args.incidents,
                "suppliers": SUPPLIERS,
                "deep_page_rows_down": deep,
                "connections": args.connections,
                "seconds_per_run": args.seconds,
                "runs": args.runs,
                "max_others_cpu_share": args.max_others,
                "retries": args.retries,
                "gunicorn": _server_shape(args),
                "cpu_count": os.cpu_count(),
                "load_average_before_after": [round(value, 2) for value in load],
                "targets": {
                    "worklist_p95_ms": TARGET_P95_MS,
                    "ratio_to_floor": TARGET_RATIO,
                    "incident_ratio_to_floor": TARGET_INCIDENT_RATIO,
                    "floor_share_of_bare_rps": TARGET_FLOOR_SHARE,
                    "page_share_of_bare_rps": TARGET_PAGE_SHARE,
                },
                "scenarios": results,
            },
            indent=2,
        )
        + "\n"
    )


def _server_shape(args) -> str:
    if args.threads:
        return f"{args.workers} workers x {args.threads} threads (gthread)"
    return f"{args.workers} sync workers"


def _ratio(value) -> str:
    return "" if value is None else f"{value:.2f}x"


def _target(name: str, figures: dict) -> str | None:
    """The issue's targets: the floor >= 0.5x the bare view's requests/s; worklist p95 <=
    100 ms and <= 3x the floor's; a raise and the admin's change list p95 <= 3x; the
    worklist's first page and a raise also >= 0.25x the bare view's requests/s; an incident's
    page p95 <= 2x the floor's."""
    share = figures.get("rps_share_of_bare")
    if name == "floor":
        if share is None:
            return None
        met = share >= TARGET_FLOOR_SHARE
        return "met" if met else f"MISSED (>= {TARGET_FLOOR_SHARE}x bare rps)"
    ratio = figures.get("p95_ratio")
    if ratio is None:
        return None
    if name in ("worklist", "raise") and share is not None and share < TARGET_PAGE_SHARE:
        return f"MISSED (>= {TARGET_PAGE_SHARE}x bare rps, p95 <= {TARGET_RATIO}x floor)"
    if name.startswith("worklist"):
        met = figures["p95_ms"] <= TARGET_P95_MS and ratio <= TARGET_RATIO
        return "met" if met else f"MISSED (p95 <= {TARGET_P95_MS} ms and <= {TARGET_RATIO}x floor)"
    if name in ("raise", "admin"):
        return "met" if ratio <= TARGET_RATIO else f"MISSED (p95 <= {TARGET_RATIO}x floor)"
    if name == "incident":
        met = ratio <= TARGET_INCIDENT_RATIO
        return "met" if met else f"MISSED (p95 <= {TARGET_INCIDENT_RATIO}x floor)"
    if name == "api-list":
        return "met" if ratio <= TARGET_RATIO else f"MISSED (p95 <= {TARGET_RATIO}x floor)"
    if name == "api-raise":
        form = RESULTS_SO_FAR.get("raise")
        if form is None:
            return None
        met = figures["p95_ms"] <= form["p95_ms"]
        return "met" if met else f"MISSED (p95 <= the form raise's, {form['p95_ms']:.1f} ms)"
    return None


if __name__ == "__main__":
    main()
