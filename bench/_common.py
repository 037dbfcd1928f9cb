"""What the benchmark scripts share: where PostgreSQL and Redis are, their throwaway
databases, and how figures are taken (peak memory, the median run)."""

import json
import os
import resource
import statistics
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

PG = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def fresh_database(name: str) -> None:
    """Drop the benchmark's database if it is there, and create it empty."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_database(name: str, *, recreate: bool) -> None:
    """Create the benchmark's database if it is missing; with ``recreate``, drop it first."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def purge_broker() -> None:
    """Empty the benchmarks' own Redis database of the tasks a run published."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def vacuum(tables) -> None:
    """Clear the dead rows the last run left, and set the hint bits of the rows it wrote, as
    autovacuum would between them: without it (this machine's PostgreSQL may run with
    autovacuum off), rewritten rows pile up (300,000 in one ``http_load`` run when each
    request rewrote its session), each run is slower than the one before, and the first
    statement to read a table just loaded pays for writing back every page it reads."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")


def settle(tables, *, vacuum_first: bool) -> None:
    """Before a timed load: ``tables`` vacuumed (:func:`vacuum`), the state autovacuum keeps
    them in between two files, unless ``vacuum_first`` is False (as the last load left them);
    then a CHECKPOINT, so that one run's dirty pages are not written during the next."""
    if vacuum_first:
        vacuum(tables)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")


def autovacuum_is_on() -> bool:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW autovacuum")
        return cur.fetchone()[0] == "on"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def backend_cpu_seconds(pid: int | None) -> float:
    """User and system CPU seconds used so far by the PostgreSQL backend ``pid`` on this
    machine (``/proc``); 0 where it cannot be read."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connection_backend_pid() -> int:
    """The pid of the PostgreSQL backend serving Django's default connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def median_run(runs: list[dict]) -> dict:
    """The run with the median time (the lower of the two middle ones), with every time."""
    middle = statistics.median_low(run["seconds"] for run in runs)
    chosen = next(run for run in runs if run["seconds"] == middle)
    return {**chosen, "runs_seconds": [run["seconds"] for run in runs]}


def load_figures(run: dict) -> str:
    """One loader run in a line: its seconds and rows/s, the CPU of this process and of its
    PostgreSQL backend, the load average."""
    return (
        f"{run['seconds']:.2f} s ({run['rows_per_second']:,} rows/s), CPU "
        f"{run['python_cpu_seconds']} s Python + {run['backend_cpu_seconds']} s PostgreSQL, "
        f"load {run['load_average']}"
    )


def timed_runs(label: str, count: int, load) -> dict:
    """``count`` runs of ``load(n)`` (n from 0), each printed as ``label`` when it ends; the
    median run (:func:`median_run`)."""
    runs = []
    for n in range(count):
        runs.append(load(n))
        print(f"  {label}: {load_figures(runs[-1])}")
    return median_run(runs)


def print_load_scenarios(scenarios: dict[str, dict], *, detail) -> None:
    """The loader benchmarks' table: rows, seconds and rows/s of each scenario's median run,
    then ``detail(run)``, and the peak memory of this process."""
    print()
    width = max(map(len, scenarios))
    print(f"{'scenario':<{width}}  {'rows':>10}  {'seconds':>8}  {'rows/s':>9}")
    for name, run in scenarios.items():
        print(
            f"{name:<{width}}  {run['rows_read']:>10,}  {run['seconds']:>8.2f}  "
            f"{run['rows_per_second']:>9,}  {detail(run)}"
        )
    print(f"\npeak RSS of this process: {peak_rss_mb():.0f} MB (cpu count {os.cpu_count()})")


def write_results(filename: str, data: dict) -> None:
    """``bench/results/<filename>``, which ``bench/run`` summarises."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / filename).write_text(json.dumps(data, indent=2) + "\n")
