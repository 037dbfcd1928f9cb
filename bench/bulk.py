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
    .venv/bin/python bench/bulk.py --sqlite --rows 10000   # the embedded default: a SQLite file
    .venv/bin/python bench/bulk.py --profile bench/results  # cProfile of each task, to read

``--sqlite`` runs the same services on a SQLite file database (``$BENCH_SQLITE_PATH``, default
``bench/results/bulk.sqlite3``, kept between runs) instead of PostgreSQL, and prints its
rows per second. ``--profile DIR`` writes the worker's cProfile of each task to
``DIR/bulk-raise.prof`` and ``DIR/bulk-answer.prof`` (``python -m pstats`` reads them); the
profiler slows the task, so its times are not the benchmark's.

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
    backend_cpu_seconds,
    ensure_database,
    purge_broker,
)

DB_NAME = os.environ.get("BENCH_BULK_DATABASE", "ssi_bench_bulk")
SQLITE_PATH = os.environ.get("BENCH_SQLITE_PATH", str(ROOT / "bench" / "results" / "bulk.sqlite3"))
# Set by --sqlite, and so inherited by the worker's process.
DATABASE_ENV = "BENCH_BULK_DATABASE_URL"
LODGED_SHARE = 100  # one Device in this many has a lodged code
NOT_INSTALLED_SHARE = 20  # one answer in this many is NOT_INSTALLED
TARGET_SECONDS = 10
TARGET_MB = 300
TARGET_SQLITE_ROWS_PER_SECOND = 2000


def _use_database(name: str) -> None:
    global DB_NAME
    DB_NAME = name


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ssi_portal.settings.test"
    os.environ["DATABASE_URL"] = os.environ.get(DATABASE_ENV) or f"{PG}/{DB_NAME}"
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
        if connection.vendor == "postgresql":
            _generate_postgres(cur, rows, gaining=gaining.pk, installing=installing.pk)
        else:
            _generate_sqlite(cur, rows, gaining=gaining.pk, installing=installing.pk)
    print(f"Generated {rows:,} Devices in {time.perf_counter() - started:.1f} s")


def _generate_postgres(cur, rows: int, *, gaining: int, installing: int) -> None:
    cur.execute(
        """
        INSERT INTO inventory_device (device_id, device_type, smi_status, status_effective_date,
            manufacturer, model, mpxn, comms_hub_id, installing_supplier_id, updated_at)
        SELECT regexp_replace(upper(lpad(to_hex(g), 16, '0')), '(..)(?!$)', '\\1-', 'g'),
               'ESME', 'InstalledNotCommissioned', DATE '2026-01-05', 'Bench', 'B1',
               lpad(g::text, 13, '0'), '', %(installing)s, now()
        FROM generate_series(1, %(rows)s) AS g
        """,
        {"installing": installing, "rows": rows},
    )
    # The gaining Supplier is registered for every meter point (the registration check).
    cur.execute(
        """
        INSERT INTO inventory_registration (mpxn, supplier_id, effective_from, updated_at)
        SELECT lpad(g::text, 13, '0'), %(gaining)s, DATE '2025-01-01', now()
        FROM generate_series(1, %(rows)s) AS g
        """,
        {"gaining": gaining, "rows": rows},
    )
    cur.execute("ANALYZE")


def _generate_sqlite(cur, rows: int, *, gaining: int, installing: int) -> None:
    """The same Devices and registrations as on PostgreSQL, with a recursive CTE."""
    pairs = " || '-' || ".join(f"substr(h, {n}, 2)" for n in range(1, 17, 2))
    series = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s)"
    cur.execute(
        f"""
        INSERT INTO inventory_device (device_id, device_type, smi_status, status_effective_date,
            manufacturer, model, mpxn, comms_hub_id, installing_supplier_id, updated_at)
        {series}
        SELECT {pairs}, 'ESME', 'InstalledNotCommissioned', '2026-01-05', 'Bench', 'B1',
               printf('%%013d', n), '', %s, datetime('now')
        FROM (SELECT n, printf('%%016X', n) AS h FROM g)
        """,  # noqa: S608 (no input is formatted in)
        [rows, installing],
    )
    cur.execute(
        f"""
        INSERT INTO inventory_registration (mpxn, supplier_id, effective_from, updated_at)
        {series}
        SELECT printf('%%013d', n), %s, '2025-01-01', datetime('now') FROM g
        """,  # noqa: S608 (no input is formatted in)
        [rows, gaining],
    )
    cur.execute("ANALYZE")


def reset() -> None:
    """Empty what a run writes, and lodge the codes again (set-based, sealed in Python)."""
    from django.db import connection

    from accounts.models import User
    from incidents.models import LodgedCode
    from inventory.models import Device
    from ssi_portal.lib.crypto import key_ring

    # The raise tally too: each run raises 100,000 requests, and the runs of one day would
    # otherwise add up past the per-Supplier daily limit by the third run.
    tables = [
        "incidents_bulkrow",
        "incidents_bulkupload",
        "incidents_incidentevent",
        "incidents_assignment",
        "incidents_incident",
        "incidents_lodgedcode",
        "incidents_raisetally",
        "notifications_notification",
    ]
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        if postgres:
            cur.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 (the names above)
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
        cur.execute("VACUUM ANALYZE" if postgres else "ANALYZE")


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


def run_worker(upload_id: int, *, profile: str = "") -> dict:
    """The task in a process of its own, as a worker runs it: its seconds and peak memory."""
    command = [sys.executable, __file__, "--worker", str(upload_id)]
    if profile:
        command += ["--profile", profile]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _count_other_backends() -> list[float]:
    """From now on, add up the CPU seconds of the server processes serving the connections
    the task opens (the chunk writer's thread has its own), each read as it closes."""
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.signals import connection_created

    used = [0.0]
    opened: dict[int, tuple[int, float]] = {}

    def created(sender, connection, **kwargs):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        opened[id(connection)] = (pid, backend_cpu_seconds(pid))

    real_close = BaseDatabaseWrapper.close

    def close(self):
        pid, at_open = opened.pop(id(self), (None, 0.0))
        if pid is not None:
            used[0] += backend_cpu_seconds(pid) - at_open
        real_close(self)

    connection_created.connect(created, weak=False)
    BaseDatabaseWrapper.close = close
    return used


def worker_main(upload_id: int, profile: str = "") -> None:
    import resource

    setup_django()
    from django.db import connection, connections

    from incidents.models import BulkUpload
    from incidents.services.bulk.jobs import bulk_upload_process
    from ssi_portal.settings.database import workers_prepare_nothing

    workers_prepare_nothing(connections)  # as a Celery worker's start does (celeryd_init)

    kind = BulkUpload.objects.values_list("kind", flat=True).get(pk=upload_id)
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    other_backends = _count_other_backends() if backend else [0.0]
    db_before = backend_cpu_seconds(backend)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    own_before = time.thread_time()
    if profiler:
        profiler.enable()
    outcome = bulk_upload_process(upload_id=upload_id)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    own_cpu = time.thread_time() - own_before
    after = resource.getrusage(resource.RUSAGE_SELF)
    db_cpu = backend_cpu_seconds(backend) - db_before + other_backends[0]
    if profiler:
        profiler.dump_stats(str(Path(profile) / f"bulk-{kind}.prof"))
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak_mb = after.ru_maxrss / 1024
    print(
        json.dumps(
            {
                "outcome": outcome,
                "seconds": elapsed,
                "cpu": cpu,
                # The run's own thread (it parses); the rest is the chunk writer's thread.
                "main_thread_cpu": own_cpu,
                "db_cpu": db_cpu,
                "peak_mb": peak_mb,
            }
        )
    )


def one_run(rows: int, *, profile: str = "") -> dict:
    from incidents.models import BulkUpload

    reset()
    data = raise_file()
    raise_id, raise_upload_s = upload("bench-gaining", "raise", data)
    raised = run_worker(raise_id, profile=profile)
    done = BulkUpload.objects.get(pk=raise_id)
    assert raised["outcome"] == "done" and done.processed_rows == rows, (raised, done)
    # Every row raised: the benchmark measures raises, not refusals.
    assert done.accepted_rows == rows, f"only {done.accepted_rows:,} of {rows:,} rows raised"
    data = answer_file()
    answer_id, answer_upload_s = upload("bench-installing", "answer", data)
    answered = run_worker(answer_id, profile=profile)
    finished = BulkUpload.objects.get(pk=answer_id)
    assert answered["outcome"] == "done" and finished.processed_rows == rows, answered
    return {
        "raise_upload_seconds": raise_upload_s,
        "raise_task_seconds": raised["seconds"],
        "raise_seconds": raise_upload_s + raised["seconds"],
        "raise_peak_mb": raised["peak_mb"],
        "raise_task_cpu_seconds": raised["cpu"],
        "raise_task_db_cpu_seconds": raised["db_cpu"],
        "raise_task_writer_cpu_seconds": raised["cpu"] - raised["main_thread_cpu"],
        "raise_accepted": done.accepted_rows,
        "answer_upload_seconds": answer_upload_s,
        "answer_task_seconds": answered["seconds"],
        "answer_seconds": answer_upload_s + answered["seconds"],
        "answer_peak_mb": answered["peak_mb"],
        "answer_task_cpu_seconds": answered["cpu"],
        "answer_task_db_cpu_seconds": answered["db_cpu"],
        "answer_task_writer_cpu_seconds": answered["cpu"] - answered["main_thread_cpu"],
        "load_average": os.getloadavg()[0],
        "answer_accepted": finished.accepted_rows,
    }


def _per_cpu(rows: int, median: dict, kind: str) -> str:
    """Rows per CPU second of the task (the worker's and the database server's): what a busy
    machine changes least, where the seconds on the clock include the others' work."""
    cpu = median[f"{kind}_task_cpu_seconds"] + median[f"{kind}_task_db_cpu_seconds"]
    return f"{rows / cpu:,.0f}" if cpu else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--recreate", action="store_true", help="drop and rebuild the database")
    parser.add_argument(
        "--sqlite", action="store_true", help=f"a SQLite file database ({SQLITE_PATH})"
    )
    parser.add_argument("--profile", default="", help="write the tasks' cProfile to this folder")
    parser.add_argument("--database", default=DB_NAME, help="the PostgreSQL database's name")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.profile)
        return

    if args.database != DB_NAME:
        # Inherited by the worker's process, as DATABASE_ENV is.
        os.environ["BENCH_BULK_DATABASE"] = args.database
        _use_database(args.database)
    if args.sqlite:
        if args.recreate and os.path.exists(SQLITE_PATH):
            os.remove(SQLITE_PATH)
        Path(SQLITE_PATH).parent.mkdir(parents=True, exist_ok=True)
        os.environ[DATABASE_ENV] = f"sqlite:///{SQLITE_PATH}"
    else:
        ensure_database(DB_NAME, recreate=args.recreate)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        args.profile = str(Path(args.profile).resolve())
    setup_django()
    generate(args.rows)
    purge_broker()
    runs = []
    try:
        for n in range(args.runs):
            runs.append(one_run(args.rows, profile=args.profile))
            print(
                f"run {n + 1}: raise {runs[-1]['raise_seconds']:.2f} s, "
                f"answer {runs[-1]['answer_seconds']:.2f} s "
                f"(load average {runs[-1]['load_average']:.1f})"
            )
    finally:
        purge_broker()
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    lines = [
        ("database", "SQLite file" if args.sqlite else "PostgreSQL"),
        ("rows per file", f"{args.rows:,}"),
        ("runs (median shown)", f"{len(runs)}"),
        ("bulk raise: upload service, s", f"{median['raise_upload_seconds']:.2f}"),
        ("bulk raise: task, s", f"{median['raise_task_seconds']:.2f}"),
        ("bulk raise: task, worker CPU s", f"{median['raise_task_cpu_seconds']:.2f}"),
        (
            "bulk raise: task, of it the chunk writer thread's CPU s",
            f"{median['raise_task_writer_cpu_seconds']:.2f}",
        ),
        ("bulk raise: task, database server CPU s", f"{median['raise_task_db_cpu_seconds']:.2f}"),
        (
            f"bulk raise: end to end, s (target <= {TARGET_SECONDS})",
            f"{median['raise_seconds']:.2f}",
        ),
        (
            "bulk raise: rows per second"
            + (f" (target >= {TARGET_SQLITE_ROWS_PER_SECOND:,})" if args.sqlite else ""),
            f"{args.rows / median['raise_seconds']:,.0f}",
        ),
        (
            "bulk raise: rows per CPU second (worker and server)",
            _per_cpu(args.rows, median, "raise"),
        ),
        (f"bulk raise: worker peak MB (target <= {TARGET_MB})", f"{median['raise_peak_mb']:.0f}"),
        ("bulk raise: rows accepted", f"{median['raise_accepted']:,.0f}"),
        ("bulk answer: upload service, s", f"{median['answer_upload_seconds']:.2f}"),
        ("bulk answer: task, s", f"{median['answer_task_seconds']:.2f}"),
        ("bulk answer: task, worker CPU s", f"{median['answer_task_cpu_seconds']:.2f}"),
        (
            "bulk answer: task, of it the chunk writer thread's CPU s",
            f"{median['answer_task_writer_cpu_seconds']:.2f}",
        ),
        (
            "bulk answer: task, database server CPU s",
            f"{median['answer_task_db_cpu_seconds']:.2f}",
        ),
        (
            f"bulk answer: end to end, s (target <= {TARGET_SECONDS})",
            f"{median['answer_seconds']:.2f}",
        ),
        ("bulk answer: rows per second", f"{args.rows / median['answer_seconds']:,.0f}"),
        (
            "bulk answer: rows per CPU second (worker and server)",
            _per_cpu(args.rows, median, "answer"),
        ),
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
    (results / ("bulk-sqlite.json" if args.sqlite else "bulk.json")).write_text(
        json.dumps(
            {
                "database": "sqlite" if args.sqlite else "postgresql",
                "rows": args.rows,
                "runs": runs,
                "median": {k: round(v, 3) for k, v in median.items()},
                "targets": {
                    "seconds": TARGET_SECONDS,
                    "peak_mb": TARGET_MB,
                    "sqlite_rows_per_second": TARGET_SQLITE_ROWS_PER_SECOND,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
