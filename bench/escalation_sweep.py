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
    ensure_database,
    purge_broker,
)

DB_NAME = "ssi_bench_escalation"


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ssi_portal.settings.test"
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
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
        print(f"Reusing {incidents:,} incidents already in {DB_NAME}")
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE incidents_incident SET breached_at = NULL;"
                "UPDATE incidents_assignment SET breached_at = NULL;"
                "DELETE FROM notifications_notification;"
                "DELETE FROM incidents_incidentevent WHERE kind = 'breached';"
            )
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
        cur.execute("ANALYZE")
    print(f"Generated {incidents:,} incidents in {time.perf_counter() - started:.1f} s")


def sweep():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services import incident_escalate_overdue

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        escalated = incident_escalate_overdue()
        elapsed = time.perf_counter() - started
    return escalated, elapsed, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=500_000)
    parser.add_argument("--overdue", type=float, default=0.05)
    parser.add_argument("--recreate", action="store_true", help="drop and rebuild the database")
    args = parser.parse_args()

    ensure_database(DB_NAME, recreate=args.recreate)
    setup_django()
    generate(args.incidents, args.overdue)
    purge_broker()
    try:
        first = sweep()
        second = sweep()
    finally:
        purge_broker()
    from notifications.models import Notification

    rows = [
        ("open incidents", f"{args.incidents:,}"),
        ("overdue (escalated by sweep 1)", f"{first[0]:,}"),
        ("sweep 1: seconds", f"{first[1]:.2f}"),
        ("sweep 1: SQL queries", f"{first[2]:,}"),
        ("sweep 1: incidents escalated per second", f"{first[0] / first[1]:,.0f}"),
        ("sweep 1: notification rows written", f"{Notification.objects.count():,}"),
        ("sweep 2 (nothing left): seconds", f"{second[1]:.3f}"),
        ("sweep 2: SQL queries", f"{second[2]:,}"),
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
                "escalated": first[0],
                "sweep_seconds": round(first[1], 3),
                "sweep_queries": first[2],
                "second_sweep_seconds": round(second[1], 4),
                "second_sweep_queries": second[2],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
