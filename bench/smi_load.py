"""Benchmark: the SMI loader on PostgreSQL, with the real ``smi_load_csv``.

Generates a deterministic SMI extract of N Devices (a national mix of Device Types and SMI
statuses, random-looking Device IDs, a few hundred rows to reject and some check-digit
warnings), then times, each as the median of three runs:

1. a full load into an empty table (``copy-initial``);
2. the same file again: every row unchanged, nothing written;
3. a full extract in which 5% of the Devices changed (most of them their SMI status);
4. a delta extract holding only those 5%.

and prints rows/s, the peak RSS of this process, and writes ``bench/results/smi_load.json``.

    .venv/bin/python bench/smi_load.py                  # 2,000,000 Devices, ~3 minutes
    .venv/bin/python bench/smi_load.py --rows 200000
    .venv/bin/python bench/smi_load.py --rows 10000000 --runs 1

A dedicated database ``ssi_bench_smi`` at $BENCH_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432) is created and dropped (``--keep`` keeps it). Each timed
run starts on a table vacuumed as autovacuum keeps it between two files (``--as-left``: as the
last load left it, its rows' hint bits unset) and after a CHECKPOINT, so one run's dirty pages
are not written during the next.
"""

import argparse
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
    backend_cpu_seconds,
    connection_backend_pid,
    drop_database,
    fresh_database,
    peak_rss_mb,
    print_load_scenarios,
    settle,
    timed_runs,
    write_results,
)

# Whether a timed load starts on the table as the last load left it (not vacuumed first).
AS_LEFT = False
DB_NAME = "ssi_bench_smi"
SUPPLIERS = 20
CHANGED_SHARE = 0.05
REJECT_EVERY = 7_001  # about 285 rejects in 2,000,000 rows
WARNING_EVERY = 997

HEADER = (
    "device_id,device_type,smi_status,status_effective_date,manufacturer,model,mpxn,"
    "comms_hub_id,installing_supplier_user_id"
)
# (Device Type, share in %): per home an ESME, a CHF, often a GSME and its GPF, an IHD.
TYPES = [
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
STATUSES = [
    ("Commissioned", 84),
    ("InstalledNotCommissioned", 4),
    ("Pending", 2),
    ("Whitelisted", 2),
    ("Decommissioned", 4),
    ("Withdrawn", 2),
    ("Suspended", 1),
    ("Recovery", 0.5),
    ("Recovered", 0.5),
]
MANUFACTURERS = [
    (0x00DB12, "Landis+Gyr", ["E470", "E470-5394"]),
    (0x0016A2, "Aclara", ["SGM1412-A", "SGM1412-B"]),
    (0x001BC5, "Secure Meters", ["Liberty 100", "Liberty 110"]),
    (0x00124B, "EDMI", ["Atlas ES-10A", "Atlas ES-10B"]),
    (0x70B3D5, "Honeywell Elster", ["AS302P", "BK-G4 ETE"]),
    (0xBC33AC, "Itron", ["ACE4000", "Gallus 2000"]),
    (0x8C3C4A, "Chameleon Technology", ["IHD6", "IHD3"]),
    (0x000D6F, "Toshiba", ["CHF-NORTH", "CHF-SOUTH"]),
]
AWAITING = ("Pending", "Whitelisted", "InstalledNotCommissioned")
MPAN_WEIGHTS = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
BAD_ROWS = [
    lambda r: {**r, "device_id": r["device_id"][:-3]},  # 7 pairs
    lambda r: {**r, "device_type": "TOASTER"},
    lambda r: {**r, "status_effective_date": "31/02/2026"},
    lambda r: {**r, "installing_supplier_user_id": "90-B3-D5-FF-FF-00-00-99"},
    lambda r: {**r, "smi_status": "Installed"},
    lambda r: {**r, "mpxn": "12345"} if r["device_type"] == "ESME" else {**r, "mpxn": "1"},
]


def _weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return values, weights


def _eui64(value: int) -> str:
    digits = f"{value:016X}"
    return "-".join(digits[i : i + 2] for i in range(0, 16, 2))


def _date(rng: random.Random) -> str:
    return f"20{rng.randrange(18, 27)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def _mpan(rng: random.Random, *, bad: bool) -> str:
    body = f"{rng.randrange(10**12):012d}"
    check = sum(int(d) * w for d, w in zip(body, MPAN_WEIGHTS, strict=True)) % 11 % 10
    return body + str((check + 1) % 10 if bad else check)


def _mprn(rng: random.Random, *, bad: bool) -> str:
    body = f"{rng.randrange(10**6, 10**8)}"
    n = len(body)
    check = sum(int(d) * (n - i) for i, d in enumerate(body)) % 11
    return body + f"{(check + 1) % 11 if bad else check:02d}"


def generate(rows: int, folder: Path, supplier_ids: list[str], seed: int = 20260401):
    """Write base.csv, changed.csv (5% of Devices changed), delta.csv (just those rows) and
    delta_back.csv (those rows as in base.csv). Deterministic for a seed."""
    rng = random.Random(seed)
    types, type_weights = _weighted(TYPES)
    statuses, status_weights = _weighted(STATUSES)
    changed_every = round(1 / CHANGED_SHARE)
    names = ("base", "changed", "delta", "delta_back")
    files = {name: open(folder / f"{name}.csv", "w", newline="") for name in names}  # noqa: SIM115
    for out in files.values():
        out.write(HEADER + "\n")
    counts = {"changed": 0, "bad": 0}
    block = 4096
    for start in range(0, rows, block):
        n_block = min(block, rows - start)
        kinds = rng.choices(types, type_weights, k=n_block)
        states = rng.choices(statuses, status_weights, k=n_block)
        for offset in range(n_block):
            i = start + offset
            prefix, maker, models = MANUFACTURERS[i % len(MANUFACTURERS)]
            # A bijection of the serial: random-looking order, no repeats.
            serial = (i * 0x9E3779B97F) & 0xFFFFFFFFFF
            kind = kinds[offset]
            type_2 = kind in ("IHD", "CAD")
            status = "" if type_2 else states[offset]
            warn = i % WARNING_EVERY == 0
            mpxn = ""
            if kind == "ESME":
                mpxn = _mpan(rng, bad=warn)
            elif kind == "GSME":
                mpxn = _mprn(rng, bad=warn)
            row = {
                "device_id": _eui64(prefix << 40 | serial),
                "device_type": kind,
                "smi_status": status,
                "status_effective_date": "" if type_2 else _date(rng),
                "manufacturer": maker,
                "model": models[i & 1],
                "mpxn": mpxn,
                "comms_hub_id": "" if kind == "CHF" else _eui64(0x000D6F << 40 | (i // 5)),
                "installing_supplier_user_id": supplier_ids[i % len(supplier_ids)],
            }
            if i % REJECT_EVERY == REJECT_EVERY - 1:
                row = BAD_ROWS[(i // REJECT_EVERY) % len(BAD_ROWS)](row)
                counts["bad"] += 1
            line = ",".join(row.values())
            files["base"].write(line + "\n")
            if i % changed_every == 3 and i % REJECT_EVERY != REJECT_EVERY - 1:
                if status in AWAITING:
                    new = {
                        **row,
                        "smi_status": "Commissioned",
                        "status_effective_date": "2026-04-10",
                    }
                elif status and i % 3:
                    new = {
                        **row,
                        "smi_status": "Decommissioned",
                        "status_effective_date": "2026-04-10",
                    }
                else:
                    new = {**row, "model": row["model"] + "-R2"}
                changed = ",".join(new.values())
                files["changed"].write(changed + "\n")
                files["delta"].write(changed + "\n")
                files["delta_back"].write(line + "\n")
                counts["changed"] += 1
            else:
                files["changed"].write(line + "\n")
    for out in files.values():
        out.close()
    return counts


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ssi_portal.settings.test"
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_suppliers() -> list[str]:
    from accounts.models import Supplier

    Supplier.objects.bulk_create(
        Supplier(
            name=f"Bench Supplier {n:02d}",
            user_id=_eui64(0x90B3D51F30000000 + n),
            mpid=f"B{n:03d}",
            is_import_supplier=True,
            is_gas_supplier=True,
        )
        for n in range(1, SUPPLIERS + 1)
    )
    return list(Supplier.objects.order_by("pk").values_list("user_id", flat=True))


def truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inventory_device CASCADE")


def timed_load(path: Path) -> dict:
    from inventory.services import smi_load_csv

    settle(["inventory_device"], vacuum_first=not AS_LEFT)
    backend = connection_backend_pid()
    backend_before, cpu_before = backend_cpu_seconds(backend), time.process_time()
    started = time.perf_counter()
    report = smi_load_csv(source=path)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "python_cpu_seconds": round(time.process_time() - cpu_before, 2),
        "backend_cpu_seconds": round(backend_cpu_seconds(backend) - backend_before, 2),
        "load_average": round(os.getloadavg()[0], 2),
        "rows_read": report.rows_read,
        "rows_per_second": round(report.rows_read / seconds),
        "method": report.method,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "warnings": report.warnings,
        "status_changes": report.status_changes,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def full_scenarios(runs_per: int, folder: Path) -> dict:
    """The full extracts: into an empty table, the same file again, 5% changed; the table
    holds base.csv after them."""

    def into_empty(_):
        truncate()
        return timed_load(folder / "base.csv")

    scenarios = {
        "full load, empty table": timed_runs("full load into an empty table", runs_per, into_empty),
        "same file again (all unchanged)": timed_runs(
            "same file again", runs_per, lambda _: timed_load(folder / "base.csv")
        ),
        # Alternate the files: every run changes the same 5% of Devices, back and forth.
        "full extract, 5% changed": timed_runs(
            "full extract, 5% changed",
            runs_per,
            lambda n: timed_load(folder / ("changed.csv" if n % 2 == 0 else "base.csv")),
        ),
    }
    if runs_per % 2:
        timed_load(folder / "base.csv")  # back to base for the delta files
    return scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="Devices in the extract")
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
        help="one full load to fill the table, then time the delta extract alone",
    )
    args = parser.parse_args()
    global AS_LEFT
    AS_LEFT = args.as_left
    if not 1_000 <= args.rows <= 10_000_000:
        parser.error("--rows must be between 1,000 and 10,000,000")

    fresh_database(DB_NAME)
    folder = Path(tempfile.mkdtemp(prefix="smi_bench_"))
    try:
        setup_django()
        supplier_ids = make_suppliers()
        started = time.perf_counter()
        made = generate(args.rows, folder, supplier_ids)
        generated_in = time.perf_counter() - started
        size_mb = (folder / "base.csv").stat().st_size / 2**20
        print(
            f"Generated {args.rows:,} rows ({size_mb:,.0f} MB, {made['bad']} to reject, "
            f"{made['changed']:,} changed) in {generated_in:.1f} s; "
            f"peak RSS so far {peak_rss_mb():.0f} MB"
        )
        scenarios = {}
        if args.delta_only:
            truncate()
            filled = timed_load(folder / "base.csv")
            print(f"  full load into an empty table (untimed here): {filled['seconds']:.1f} s")
        else:
            scenarios |= full_scenarios(args.runs, folder)

        scenarios["delta extract (5% only)"] = timed_runs(
            "delta extract (the 5% only)",
            args.runs,
            lambda n: timed_load(folder / ("delta.csv" if n % 2 == 0 else "delta_back.csv")),
        )

    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(DB_NAME)

    print_load_scenarios(
        scenarios,
        detail=lambda run: (
            f"{run['method']} (created {run['created']:,}, updated {run['updated']:,}, "
            f"unchanged {run['unchanged']:,}, rejected {run['rejected']:,}, status changes "
            f"{run['status_changes']:,})"
        ),
    )
    write_results(
        "smi_load.json",
        {
            "rows": args.rows,
            "runs_per_scenario": args.runs,
            "file_mb": round(size_mb, 1),
            "generated_seconds": round(generated_in, 1),
            "scenarios": scenarios,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "cpu_count": os.cpu_count(),
        },
    )


if __name__ == "__main__":
    main()
