"""What the benchmark scripts share: where PostgreSQL and Redis are, their throwaway
databases, and how figures are taken (peak memory, the median run)."""

import os
import resource
import statistics

PG = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def fresh_database(name: str) -> None:
    """Drop the benchmark's database if it is there, and create it empty."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def purge_broker() -> None:
    """Empty the benchmarks' own Redis database of the tasks a run published."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def median_run(runs: list[dict]) -> dict:
    """The run with the median time (the lower of the two middle ones), with every time."""
    middle = statistics.median_low(run["seconds"] for run in runs)
    chosen = next(run for run in runs if run["seconds"] == middle)
    return {**chosen, "runs_seconds": [run["seconds"] for run in runs]}
