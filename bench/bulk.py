"""Benchmark: bulk raise and bulk answer of a 100,000-row CSV file, end to end (PostgreSQL).

Each run uploads the file through the upload service (checks, sealing, queueing) in this
process, then runs the processing task in a subprocess of its own, as a worker would, which
reports its time and its peak memory (``ru_maxrss``). "End to end" is upload to results ready:
the upload's time plus the task's. The raise file names 100,000 eligible Devices, 1% of them
with a code lodged in advance (answered at once); the answer file then answers the requests
(half named by reference, half by Device ID; 5% NOT_INSTALLED). Digest emails are queued to
a throwaway Redis database, purged afterwards; nothing is sent.

    .venv/bin/python bench/bulk.py                  # 100,000 rows, median of 3 runs
    .venv/bin/python bench/bulk.py --rows 20000 --runs 1

Loopback only: PostgreSQL at $BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432),
Redis at $BENCH_REDIS_URL (default redis://127.0.0.1:6379/14).
"""

import argparse
import io
import json
import os
import statistics
import subprocess
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

DB_NAME = "ssi_bench_bulk"
LODGED_SHARE = 100  # one Device in this many has a lodged code
NOT_INSTALLED_SHARE = 20  # one answer in this many is NOT_INSTALLED
TARGET_SECONDS = 20
TARGET_MB = 300


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ssi_portal.settings.test"
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("SSI_BULK_TASK_SECONDS", "3600")
    import django

    django.setup()
    from django.conf import settings

    from ssi_portal.celery import app

    # Limits as production has them (the test settings switch them off): a run of 100,000
    # rows fits in the default per-Supplier limit.
    settings.SSI_RAISE_LIMIT_PER_USER = "60/hour"
    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "200000/day"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = REDIS


def generate(rows: int) -> None:
    """Two Suppliers and their users, ``rows`` eligible Devices pre-notified by the installing
    one, set-based. Kept between runs; everything a run writes is emptied before the next."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Supplier
    from inventory.models import Device
    from tests.factories import SupplierFactory, UserFactory

    call_command("migrate", verbosity=0)
    from inventory.models import Registration

    if (
        Device.objects.count() == rows
        and Supplier.objects.filter(name="Bench Gaining").exists()
        and Registration.objects.exists()
    ):
        print(f"Reusing {rows:,} Devices already in {DB_NAME}")
        return
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    gaining = SupplierFactory(name="Bench Gaining", mpid="BGAI")
    installing = SupplierFactory(name="Bench Installing", mpid="BINS")
    UserFactory(username="bench-gaining", supplier=gaining)
    UserFactory(username="bench-installing", supplier=installing)
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO inventory_device (device_id, device_type, smi_status, status_effective_date,
                manufacturer, model, mpxn, comms_hub_id, installing_supplier_id, updated_at)
            SELECT regexp_replace(upper(lpad(to_hex(g), 16, '0')), '(..)(?!$)', '\\1-', 'g'),
                   'ESME', 'InstalledNotCommissioned', DATE '2026-01-05', 'Bench', 'B1',
                   lpad(g::text, 13, '0'), '', %(installing)s, now()
            FROM generate_series(1, %(rows)s) AS g
            """,
            {"installing": installing.pk, "rows": rows},
        )
        # The gaining Supplier is registered for every meter point (the registration check).
        cur.execute(
            """
            INSERT INTO inventory_registration (mpxn, supplier_id, effective_from, updated_at)
            SELECT lpad(g::text, 13, '0'), %(gaining)s, DATE '2025-01-01', now()
            FROM generate_series(1, %(rows)s) AS g
            """,
            {"gaining": gaining.pk, "rows": rows},
        )
        cur.execute("ANALYZE")
    print(f"Generated {rows:,} Devices in {time.perf_counter() - started:.1f} s")


def reset() -> None:
    """Empty what a run writes, and lodge the codes again (set-based, sealed in Python)."""
    from django.db import connection

    from accounts.models import User
    from incidents.models import LodgedCode
    from inventory.models import Device
    from ssi_portal.lib.crypto import key_ring

    with connection.cursor() as cur:
        cur.execute(
            # The raise tally too: each run raises 100,000 requests, and the runs of one day
            # would otherwise add up past the per-Supplier daily limit by the third run.
            "TRUNCATE incidents_bulkrow, incidents_bulkupload, incidents_incidentevent, "
            "incidents_assignment, incidents_incident, incidents_lodgedcode, "
            "incidents_raisetally, notifications_notification"
        )
    lodger = User.objects.get(username="bench-installing")
    ring = key_ring()
    devices = Device.objects.order_by("pk").values_list("pk", "device_id")[::LODGED_SHARE]
    LodgedCode.objects.bulk_create(
        LodgedCode(
            device_id=pk,
            supplier_id=lodger.supplier_id,
            code_sealed=ring.seal(os.urandom(16), aad=LodgedCode.seal_context_for(device_id)),
            lodged_by=lodger,
            lodged_at=lodger.date_joined,
        )
        for pk, device_id in devices
    )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def raise_file() -> bytes:
    from inventory.models import Device

    ids = Device.objects.order_by("pk").values_list("device_id", flat=True)
    lines = ["device_id,reference", *(f"{d},JOB-{n}" for n, d in enumerate(ids.iterator(10000)))]
    return ("\r\n".join(lines) + "\r\n").encode()


def answer_file() -> bytes:
    from incidents.models import Incident, reference_for
    from inventory.identifiers import crc_suffix

    rows = Incident.objects.order_by("pk").values_list("pk", "device__device_id")
    lines = ["device_id_or_reference,install_code"]
    for n, (pk, device_id) in enumerate(rows.iterator(10000)):
        first = reference_for(pk) if n % 2 else device_id
        if n % NOT_INSTALLED_SHARE == 0:
            lines.append(f"{first},NOT_INSTALLED")
        else:
            code = os.urandom(16)
            lines.append(f"{first},{(code + crc_suffix(code)).hex().upper()}")
    return ("\r\n".join(lines) + "\r\n").encode()


def upload(username: str, kind: str, data: bytes) -> tuple[int, float]:
    from accounts.models import User
    from incidents.services.bulk.jobs import bulk_upload_create

    actor = User.objects.select_related("supplier").get(username=username)
    started = time.perf_counter()
    made = bulk_upload_create(actor=actor, kind=kind, file=io.BytesIO(data), filename="f.csv")
    elapsed = time.perf_counter() - started
    assert made.status == "queued", made.error
    return made.pk, elapsed


def run_worker(upload_id: int) -> dict:
    """The task in a process of its own, as a worker runs it: its seconds and peak memory."""
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(upload_id)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker_main(upload_id: int) -> None:
    import resource

    setup_django()
    from incidents.services.bulk.jobs import bulk_upload_process

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    outcome = bulk_upload_process(upload_id=upload_id)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak_mb = after.ru_maxrss / 1024
    print(json.dumps({"outcome": outcome, "seconds": elapsed, "cpu": cpu, "peak_mb": peak_mb}))


def one_run(rows: int) -> dict:
    from incidents.models import BulkUpload

    reset()
    data = raise_file()
    raise_id, raise_upload_s = upload("bench-gaining", "raise", data)
    raised = run_worker(raise_id)
    done = BulkUpload.objects.get(pk=raise_id)
    assert raised["outcome"] == "done" and done.processed_rows == rows, (raised, done)
    # Every row raised: the benchmark measures raises, not refusals.
    assert done.accepted_rows == rows, f"only {done.accepted_rows:,} of {rows:,} rows raised"
    data = answer_file()
    answer_id, answer_upload_s = upload("bench-installing", "answer", data)
    answered = run_worker(answer_id)
    finished = BulkUpload.objects.get(pk=answer_id)
    assert answered["outcome"] == "done" and finished.processed_rows == rows, answered
    return {
        "raise_upload_seconds": raise_upload_s,
        "raise_task_seconds": raised["seconds"],
        "raise_seconds": raise_upload_s + raised["seconds"],
        "raise_peak_mb": raised["peak_mb"],
        "raise_task_cpu_seconds": raised["cpu"],
        "raise_accepted": done.accepted_rows,
        "answer_upload_seconds": answer_upload_s,
        "answer_task_seconds": answered["seconds"],
        "answer_seconds": answer_upload_s + answered["seconds"],
        "answer_peak_mb": answered["peak_mb"],
        "answer_task_cpu_seconds": answered["cpu"],
        "load_average": os.getloadavg()[0],
        "answer_accepted": finished.accepted_rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--recreate", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return

    ensure_database(DB_NAME, recreate=args.recreate)
    setup_django()
    generate(args.rows)
    purge_broker()
    runs = []
    try:
        for n in range(args.runs):
            runs.append(one_run(args.rows))
            print(
                f"run {n + 1}: raise {runs[-1]['raise_seconds']:.2f} s, "
                f"answer {runs[-1]['answer_seconds']:.2f} s "
                f"(load average {runs[-1]['load_average']:.1f})"
            )
    finally:
        purge_broker()
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    lines = [
        ("rows per file", f"{args.rows:,}"),
        ("runs (median shown)", f"{len(runs)}"),
        ("bulk raise: upload service, s", f"{median['raise_upload_seconds']:.2f}"),
        ("bulk raise: task, s", f"{median['raise_task_seconds']:.2f}"),
        ("bulk raise: task, worker CPU s", f"{median['raise_task_cpu_seconds']:.2f}"),
        (
            f"bulk raise: end to end, s (target <= {TARGET_SECONDS})",
            f"{median['raise_seconds']:.2f}",
        ),
        ("bulk raise: rows per second", f"{args.rows / median['raise_seconds']:,.0f}"),
        (f"bulk raise: worker peak MB (target <= {TARGET_MB})", f"{median['raise_peak_mb']:.0f}"),
        ("bulk raise: rows accepted", f"{median['raise_accepted']:,.0f}"),
        ("bulk answer: upload service, s", f"{median['answer_upload_seconds']:.2f}"),
        ("bulk answer: task, s", f"{median['answer_task_seconds']:.2f}"),
        ("bulk answer: task, worker CPU s", f"{median['answer_task_cpu_seconds']:.2f}"),
        (
            f"bulk answer: end to end, s (target <= {TARGET_SECONDS})",
            f"{median['answer_seconds']:.2f}",
        ),
        ("bulk answer: rows per second", f"{args.rows / median['answer_seconds']:,.0f}"),
        ("bulk answer: worker peak MB", f"{median['answer_peak_mb']:.0f}"),
        ("bulk answer: rows accepted", f"{median['answer_accepted']:,.0f}"),
        ("machine load average (2 cores) at the end of a run", f"{median['load_average']:.1f}"),
    ]
    width = max(len(label) for label, _ in lines)
    print()
    for label, value in lines:
        print(f"{label:<{width}}  {value:>10}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "bulk.json").write_text(
        json.dumps(
            {
                "rows": args.rows,
                "runs": runs,
                "median": {k: round(v, 3) for k, v in median.items()},
                "targets": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_MB},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
