"""Benchmark: the registration loader on PostgreSQL, with the real ``registrations_load_csv``.

Generates a deterministic registration extract of N meter points (about 57% MPANs, 43% MPRNs,
20 Suppliers, a few hundred rows to reject, some check-digit warnings), then times, each as
the median of the runs:

1. a full load into an empty table;
2. the same file again: every row unchanged, nothing written;
3. a change-of-Supplier extract: the full file plus a new registration for 5% of the meter
   points (history kept: those rows are inserted);
4. a delta extract holding only those new registrations;

then the sweep that cancels the open requests whose raiser the new registrations no longer
name, over ``--incidents`` open requests of which 5% are on moved meter points. Prints rows/s,
the sweep's figures and the peak RSS of this process, and writes
``bench/results/registration_load.json``.

    .venv/bin/python bench/registration_load.py                  # 2,000,000 meter points
    .venv/bin/python bench/registration_load.py --rows 100000 --runs 1

A dedicated database ``ssi_bench_registration`` at $BENCH_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432) is created and dropped (``--keep`` keeps it). Each timed
run starts on a table vacuumed as autovacuum keeps it between two files (``--as-left``: as the
last load left it) and after a CHECKPOINT. The sweep's
emails are published to the Redis at $BENCH_REDIS_URL (default redis://127.0.0.1:6379/14),
whose queue is emptied afterwards.
"""

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402 (bench/ is on the path when a script runs)
    PG,
    REDIS,
    backend_cpu_seconds,
    connection_backend_pid,
    drop_database,
    fresh_database,
    peak_rss_mb,
    print_load_scenarios,
    purge_broker,
    settle,
    timed_runs,
    write_results,
)

# Whether a timed load starts on the table as the last load left it (not vacuumed first).
AS_LEFT = False
DB_NAME = "ssi_bench_registration"
SUPPLIERS = 20
MOVED_SHARE = 0.05
REJECT_EVERY = 7_001
WARNING_EVERY = 997
HEADER = "mpxn,supplier,effective_from,effective_to"
MPAN_WEIGHTS = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)


def _mpan(n: int, *, bad: bool) -> str:
    body = f"{10**11 + n:012d}"
    check = sum(int(d) * w for d, w in zip(body, MPAN_WEIGHTS, strict=True)) % 11 % 10
    return body + str((check + 1) % 10 if bad else check)


def _mprn(n: int, *, bad: bool) -> str:
    body = f"{10**7 + n:08d}"
    check = sum(int(d) * (8 - i) for i, d in enumerate(body)) % 11
    return body + f"{(check + 1) % 11 if bad else check:02d}"


def meter_point(i: int) -> tuple[str, bool]:
    """The i-th meter point and whether it is an MPAN; distinct for every i."""
    warn = i % WARNING_EVERY == 0
    if i % 7 < 4:
        return _mpan(i, bad=warn), True
    return _mprn(i, bad=warn), False


def generate(rows: int, folder: Path, seed: int = 20261129) -> dict:
    """Write base.csv, moved.csv (base + a new registration for 5% of the meter points) and
    delta.csv (just those new registrations)."""
    rng = random.Random(seed)  # noqa: S311 (benchmark data)
    moved_every = round(1 / MOVED_SHARE)
    files = {name: open(folder / f"{name}.csv", "w") for name in ("base", "moved", "delta")}  # noqa: SIM115
    for out in files.values():
        out.write(HEADER + "\n")
    counts = {"bad": 0, "moved": 0}
    for i in range(rows):
        mpxn, electricity = meter_point(i)
        supplier = rng.randrange(1, SUPPLIERS + 1)
        code = f"B{supplier:03d}" if electricity else f"G{supplier:02d}"
        start = f"20{rng.randrange(18, 26)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        line = f"{mpxn},{code},{start},"
        if i % REJECT_EVERY == REJECT_EVERY - 1:
            line = f"{mpxn},ZZZZ,{start}," if i % 2 else f"{mpxn[:5]},{code},{start},"
            counts["bad"] += 1
        files["base"].write(line + "\n")
        files["moved"].write(line + "\n")
        if i % moved_every == 3 and i % REJECT_EVERY != REJECT_EVERY - 1:
            other = supplier % SUPPLIERS + 1
            new_code = f"B{other:03d}" if electricity else f"G{other:02d}"
            moved = f"{mpxn},{new_code},2026-06-01,"
            files["moved"].write(moved + "\n")
            files["delta"].write(moved + "\n")
            counts["moved"] += 1
    for out in files.values():
        out.close()
    return counts


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ssi_portal.settings.test"
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from ssi_portal.celery import app

    # The sweep's emails are published to a real broker, as in production, not sent inline.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = REDIS

    call_command("migrate", verbosity=0)


def make_suppliers() -> None:
    from accounts.models import Supplier

    Supplier.objects.bulk_create(
        Supplier(
            name=f"Bench Supplier {n:02d}",
            user_id=f"90-B3-D5-1F-30-00-00-{n:02X}",
            mpid=f"B{n:03d}",
            gas_short_code=f"G{n:02d}",
            is_import_supplier=True,
            is_gas_supplier=True,
        )
        for n in range(1, SUPPLIERS + 1)
    )


def _sql(statement: str, params=None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def timed_load(path: Path) -> dict:
    from inventory.services import registrations_load_csv

    settle(["inventory_registration"], vacuum_first=not AS_LEFT)
    backend = connection_backend_pid()
    backend_before, cpu_before = backend_cpu_seconds(backend), time.process_time()
    started = time.perf_counter()
    report = registrations_load_csv(source=path)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "python_cpu_seconds": round(time.process_time() - cpu_before, 2),
        "backend_cpu_seconds": round(backend_cpu_seconds(backend) - backend_before, 2),
        "load_average": round(os.getloadavg()[0], 2),
        "rows_read": report.rows_read,
        "rows_per_second": round(report.rows_read / seconds),
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "warnings": report.warnings,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def make_open_requests(rows: int, incidents: int) -> int:
    """``incidents`` open requests, each on its own meter point and raised by the Supplier
    registered there in base.csv; every 20th meter point is one that moved.csv moves.
    Written with set-based SQL (a Device per request, one raiser per Supplier). Returns how
    many sit on moved meter points."""
    from django.db import connection

    from accounts.models import Supplier, User
    from inventory.models import Registration

    for supplier in Supplier.objects.all():
        User.objects.create(username=f"raiser{supplier.pk}", supplier=supplier)
    step = max(1, rows // incidents)
    moved_every = round(1 / MOVED_SHARE)
    picks = []
    for k in range(incidents):
        i = k * step
        if k % moved_every == 0:  # one in twenty on a meter point that moves
            i = i - i % moved_every + 3
        picks.append(min(i, rows - 1))
    wanted = [meter_point(i)[0] for i in picks]
    by_mpxn = dict(
        Registration.objects.filter(mpxn__in=wanted)
        .order_by("mpxn", "effective_from")
        .values_list("mpxn", "supplier_id")
    )
    on_moved = 0
    installer = Supplier.objects.order_by("pk").first().pk
    with connection.cursor() as cursor:
        values = []
        for n, (i, mpxn) in enumerate(zip(picks, wanted, strict=True)):
            if mpxn not in by_mpxn:
                continue
            on_moved += i % moved_every == 3 and i % REJECT_EVERY != REJECT_EVERY - 1
            values.append((f"{0xAB << 56 | n:016X}", mpxn, by_mpxn[mpxn]))
        cursor.execute(
            """
            CREATE TEMP TABLE bench_pick (device_id text, mpxn text, supplier_id bigint)
            """
        )
        with cursor.copy("COPY bench_pick FROM STDIN") as copy:
            for device_hex, mpxn, supplier_id in values:
                device_id = "-".join(device_hex[k : k + 2] for k in range(0, 16, 2))
                copy.write_row((device_id, mpxn, supplier_id))
        cursor.execute(
            """
            INSERT INTO inventory_device (device_id, device_type, smi_status, manufacturer,
                model, mpxn, comms_hub_id, installing_supplier_id, updated_at)
            SELECT device_id, 'ESME', 'InstalledNotCommissioned', 'Bench', 'B1', mpxn, '',
                   %s, now() FROM bench_pick
            """,
            [installer],
        )
        cursor.execute(
            """
            INSERT INTO incidents_incident (public_id, device_id, raised_by_id,
                raising_supplier_id, status, channel, registration_mpxn, close_outcome,
                created_at, updated_at)
            SELECT gen_random_uuid(), d.id, u.id, p.supplier_id, 'with_helpdesk', 'bulk',
                   p.mpxn, '', now(), now()
            FROM bench_pick p JOIN inventory_device d ON d.device_id = p.device_id
            JOIN inventory_user u ON u.supplier_id = p.supplier_id
            """
        )
        cursor.execute("DROP TABLE bench_pick")
        cursor.execute("ANALYZE incidents_incident")
    return on_moved


def timed_sweep() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services import incidents_cancel_registration_moved

    now = dt.datetime(2026, 6, 2, 12, 0, tzinfo=dt.UTC)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        cancelled = incidents_cancel_registration_moved(now=now)
        seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = incidents_cancel_registration_moved(now=now)
    second = time.perf_counter() - started
    return {
        "cancelled": cancelled,
        "seconds": round(seconds, 3),
        "queries": len(queries),
        "second_sweep_cancelled": again,
        "second_sweep_seconds": round(second, 3),
    }


def _delete_moved() -> None:
    _sql("DELETE FROM inventory_registration WHERE effective_from = '2026-06-01'")


def _after(prepare, path: Path):
    """A run that prepares the table, then loads ``path``."""

    def run(_):
        prepare()
        return timed_load(path)

    return run


def full_scenarios(runs_per: int, folder: Path) -> dict:
    """The full extracts: into an empty table, the same file again, 5% new registrations."""
    base = folder / "base.csv"
    return {
        "full load, empty table": timed_runs(
            "full load into an empty table",
            runs_per,
            _after(lambda: _sql("TRUNCATE inventory_registration"), base),
        ),
        "same file again (all unchanged)": timed_runs(
            "same file again", runs_per, lambda _: timed_load(base)
        ),
        "full extract, 5% moved": timed_runs(
            "full extract with 5% new registrations",
            runs_per,
            _after(_delete_moved, folder / "moved.csv"),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="meter points")
    parser.add_argument("--incidents", type=int, default=100_000, help="open requests")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--as-left",
        action="store_true",
        help="time each load on the table as the last one left it, not vacuumed first",
    )
    parser.add_argument(
        "--delta-only",
        action="store_true",
        help="one full load to fill the table, then time the delta extract alone (no sweep)",
    )
    args = parser.parse_args()
    global AS_LEFT
    AS_LEFT = args.as_left
    if not 1_000 <= args.rows <= 10_000_000:
        parser.error("--rows must be between 1,000 and 10,000,000")
    if not 0 <= args.incidents <= args.rows // 2:
        parser.error("--incidents must be between 0 and half of --rows")

    fresh_database(DB_NAME)
    folder = Path(tempfile.mkdtemp(prefix="registration_bench_"))
    try:
        setup_django()
        make_suppliers()
        started = time.perf_counter()
        made = generate(args.rows, folder)
        size_mb = (folder / "base.csv").stat().st_size / 2**20
        print(
            f"Generated {args.rows:,} rows ({size_mb:,.0f} MB, {made['bad']} to reject, "
            f"{made['moved']:,} moved) in {time.perf_counter() - started:.1f} s"
        )
        scenarios = {}
        if args.delta_only:
            _sql("TRUNCATE inventory_registration")
            filled = timed_load(folder / "base.csv")
            print(f"  full load into an empty table (untimed here): {filled['seconds']:.1f} s")
        else:
            scenarios |= full_scenarios(args.runs, folder)

        scenarios["delta extract (5% only)"] = timed_runs(
            "delta extract (the 5% only)", args.runs, _after(_delete_moved, folder / "delta.csv")
        )

        sweep = None
        if args.incidents and not args.delta_only:
            _delete_moved()
            on_moved = make_open_requests(args.rows, args.incidents)
            timed_load(folder / "delta.csv")
            sweep = {"open_requests": args.incidents, "on_moved_meter_points": on_moved}
            sweep |= timed_sweep()
            print(
                f"  cancellation sweep: {sweep['cancelled']:,} of {args.incidents:,} open "
                f"requests in {sweep['seconds']:.2f} s, {sweep['queries']} queries; again: "
                f"{sweep['second_sweep_seconds']:.3f} s"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        purge_broker()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(DB_NAME)

    print_load_scenarios(
        scenarios,
        detail=lambda run: (
            f"(created {run['created']:,}, updated {run['updated']:,}, unchanged "
            f"{run['unchanged']:,}, rejected {run['rejected']:,})"
        ),
    )
    write_results(
        "registration_load.json",
        {
            "rows": args.rows,
            "runs_per_scenario": args.runs,
            "file_mb": round(size_mb, 1),
            "scenarios": scenarios,
            "sweep": sweep,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "cpu_count": os.cpu_count(),
        },
    )


if __name__ == "__main__":
    main()
