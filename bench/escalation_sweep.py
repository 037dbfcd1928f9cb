"""Benchmark: one escalation sweep over a national-scale table of open incidents (PostgreSQL).

Builds (or reuses) a dedicated database with N open incidents, of which a share is past its
deadline, runs ``incident_escalate_overdue`` once and then again, and prints how long each
sweep took and how many SQL queries it issued. Delivery tasks go to the real Redis broker
(a throwaway database number, purged afterwards); no email is sent.

    .venv/bin/python bench/escalation_sweep.py                      # 500,000 incidents, 5% overdue
    .venv/bin/python bench/escalation_sweep.py --incidents 50000 --overdue 0.05

Loopback only: PostgreSQL at $BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432),
Redis at $BENCH_REDIS_URL (default redis://127.0.0.1:6379/14).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402 (bench/ is on the path when a script runs)
    PG,
    REDIS,
    backend_cpu_seconds,
    ensure_database,
    purge_broker,
)

DB_NAME = "ssi_bench_escalation"


def setup_django(database: str = DB_NAME) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ssi_portal.settings.test"
    os.environ["DATABASE_URL"] = f"{PG}/{database}"
    import django

    django.setup()
    from django.conf import settings

    from ssi_portal.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = REDIS


def generate(incidents: int, overdue: float, suppliers: int = 20) -> None:
    """Suppliers, users, Devices, incidents and their running assignments, set-based."""
    from django.core.management import call_command
    from django.db import connection

    from tests.factories import SupplierFactory, UserFactory

    call_command("migrate", verbosity=0)
    from incidents.models import Incident

    if Incident.objects.count() == incidents:
        print(f"Reusing {incidents:,} incidents already in {connection.settings_dict['NAME']}")
        # Only the rows the last run changed, then VACUUM: each run starts from the table a
        # freshly built one is (autovacuum may be off here; resetting all 500,000 rows left
        # that many dead versions in the table and its 27 indexes, and each run was slower).
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE incidents_incident SET breached_at = NULL WHERE breached_at IS NOT NULL;"
                "UPDATE incidents_assignment SET breached_at = NULL WHERE breached_at IS NOT NULL;"
                "DELETE FROM notifications_notification;"
                "DELETE FROM incidents_incidentevent WHERE kind = 'breached';"
            )
            cur.execute(
                "VACUUM (ANALYZE) incidents_incident, incidents_assignment, "
                "incidents_incidentevent, notifications_notification"
            )
            cur.execute("CHECKPOINT")  # see below
        return
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    made = [SupplierFactory(name=f"Bench Supplier {n:02d}") for n in range(suppliers)]
    users = [UserFactory(supplier=s) for s in made]
    supplier_ids = [s.pk for s in made]
    user_ids = [u.pk for u in users]
    overdue_every = max(1, round(1 / overdue)) if overdue else 0
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO inventory_device (device_id, device_type, smi_status, status_effective_date,
                manufacturer, model, mpxn, comms_hub_id, installing_supplier_id, updated_at)
            SELECT regexp_replace(upper(lpad(to_hex(g), 16, '0')), '(..)(?!$)', '\\1-', 'g'),
                   'ESME', 'InstalledNotCommissioned', DATE '2026-01-05', 'Bench', 'B1', '',
                   '', (%(suppliers)s::bigint[])[1 + g %% %(n)s], now()
            FROM generate_series(1, %(incidents)s) AS g
            """,
            {"suppliers": supplier_ids, "n": suppliers, "incidents": incidents},
        )
        cur.execute(
            """
            INSERT INTO incidents_incident (public_id, device_id, raised_by_id, raising_supplier_id,
                assigned_supplier_id, status, due_at, notified_at, close_outcome, created_at,
                updated_at)
            SELECT gen_random_uuid(), d.id,
                   (%(users)s::bigint[])[1 + (d.id + 1) %% %(n)s],
                   (%(suppliers)s::bigint[])[1 + (d.id + 1) %% %(n)s],
                   d.installing_supplier_id, 'awaiting_installer',
                   CASE WHEN %(every)s > 0 AND d.id %% %(every)s = 0
                        THEN now() - interval '2 days' ELSE now() + interval '3 days' END,
                   now() - interval '5 days', '', now() - interval '5 days', now()
            FROM inventory_device d
            """,
            {"users": user_ids, "suppliers": supplier_ids, "n": suppliers, "every": overdue_every},
        )
        cur.execute(
            """
            INSERT INTO incidents_assignment (incident_id, supplier_id, notified_at, due_at,
                outcome)
            SELECT id, assigned_supplier_id, notified_at, due_at, '' FROM incidents_incident
            """
        )
        cur.execute("VACUUM (ANALYZE)")
        # Every sweep then starts just after a checkpoint, as one every 5 minutes in production
        # mostly does: each page it is first to change is written whole to the WAL. Without it
        # the figure depends on when the server's own last checkpoint happened to fall.
        cur.execute("CHECKPOINT")
    print(f"Generated {incidents:,} incidents in {time.perf_counter() - started:.1f} s")


def sweep(batch_size: int | None = None):
    """(escalated, seconds, queries, CPU seconds of this process, of its PostgreSQL backend).

    The CPU seconds change much less than the wall clock when other work shares the cores."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services import incident_escalate_overdue

    size = {"batch_size": batch_size} if batch_size else {}
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        (backend,) = cur.fetchone()
    backend_before, process_before = backend_cpu_seconds(backend), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        escalated = incident_escalate_overdue(**size)
        elapsed = time.perf_counter() - started
    process_cpu = time.process_time() - process_before
    backend_cpu = backend_cpu_seconds(backend) - backend_before
    return escalated, elapsed, len(queries), process_cpu, backend_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=500_000)
    parser.add_argument("--overdue", type=float, default=0.05)
    parser.add_argument("--recreate", action="store_true", help="drop and rebuild the database")
    parser.add_argument(
        "--database",
        default=DB_NAME,
        help=f"the database to build or reuse (default {DB_NAME}; another name keeps two "
        "checkouts measured on one machine apart)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="the sweep's batch (default: the service's)"
    )
    args = parser.parse_args()

    ensure_database(args.database, recreate=args.recreate)
    setup_django(args.database)
    generate(args.incidents, args.overdue)
    purge_broker()
    load_before = os.getloadavg()[0]
    try:
        first = sweep(args.batch_size)
        second = sweep(args.batch_size)
    finally:
        purge_broker()
    load_after = os.getloadavg()[0]
    from notifications.models import Notification

    rows = [
        ("open incidents", f"{args.incidents:,}"),
        ("overdue (escalated by sweep 1)", f"{first[0]:,}"),
        ("sweep 1: seconds", f"{first[1]:.2f}"),
        ("sweep 1: SQL queries", f"{first[2]:,}"),
        ("sweep 1: incidents escalated per second", f"{first[0] / first[1]:,.0f}"),
        ("sweep 1: CPU seconds, portal process", f"{first[3]:.2f}"),
        ("sweep 1: CPU seconds, PostgreSQL backend", f"{first[4]:.2f}"),
        ("sweep 1: notification rows written", f"{Notification.objects.count():,}"),
        ("sweep 2 (nothing left): seconds", f"{second[1]:.3f}"),
        ("sweep 2: SQL queries", f"{second[2]:,}"),
        ("load average (1 min) before, after", f"{load_before:.2f}, {load_after:.2f}"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value:>12}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "escalation_sweep.json").write_text(
        json.dumps(
            {
                "incidents": args.incidents,
                "overdue_share": args.overdue,
                "batch_size": args.batch_size,
                "escalated": first[0],
                "sweep_seconds": round(first[1], 3),
                "sweep_queries": first[2],
                "sweep_cpu_seconds_process": round(first[3], 3),
                "sweep_cpu_seconds_postgres": round(first[4], 3),
                "second_sweep_seconds": round(second[1], 4),
                "second_sweep_queries": second[2],
                "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
                "cpu_count": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
