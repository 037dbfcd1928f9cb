"""A production-like stack on this machine, checked end to end, then taken down.

PgBouncer in transaction mode (deploy/pgbouncer/pgbouncer.ini), two gunicorn processes, two
Celery workers and one beat, all with ``ssi_portal.settings.production`` and the environment it
requires, on a database of the run's own (created, then dropped) reached through PgBouncer, a
Redis database of its own as broker and a local SMTP server taking the emails. Then: the health
probes, the smoke journey, a bulk file with a worker process killed half-way, and the figures.
Every process started is stopped and the database dropped, also when a check fails or the run
is interrupted. Exit status 0 only if every check passed.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import urlparse

from .processes import (
    ROOT,
    VENV_BIN,
    StackError,
    Supervisor,
    free_port,
    pgbouncer_binary,
    pgbouncer_config,
    wait_for,
)

POSTGRES = os.environ.get("SSI_STACK_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("SSI_STACK_REDIS_URL", "redis://127.0.0.1:6379/12")


STARTED = time.perf_counter()
# The checks that passed, each named; one that fails raises StackError instead.
PASSED: list[str] = []


def say(message: str, *, check: str = "") -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", flush=True)
    if check:
        PASSED.append(check)


def production_env(*, database_url: str, var_dir: Path, smtp_port: int) -> dict[str, str]:
    import secrets

    from ssi_portal.lib.crypto import generate_key

    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "SSI_", "DATABASE_"))
        },
        "DJANGO_SETTINGS_MODULE": "ssi_portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "INSTALL_CODE_KEYS": generate_key(),
        "SSI_METRICS_TOKEN": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_BASE_URL": "https://127.0.0.1",
        "DATABASE_URL": database_url,
        "SSI_DB_PGBOUNCER": "true",
        "CELERY_BROKER_URL": REDIS,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "SSI_VAR_DIR": str(var_dir),
        # Beat's deadline sweep every 10 s instead of 5 min, so that the run sees it work.
        "SSI_ESCALATION_EVERY_SECONDS": "10",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }


def admin(sql: str, params: list | None = None) -> list[tuple]:
    """A statement on the server's ``postgres`` database, directly (not through PgBouncer)."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        client.flushdb()
    finally:
        client.close()


def start_services(supervisor: Supervisor, env: dict[str, str], work: Path) -> tuple[int, int]:
    ports = (free_port(), free_port())
    for n, port in enumerate(ports, 1):
        gunicorn = [str(VENV_BIN / "gunicorn"), "ssi_portal.wsgi", f"--bind=127.0.0.1:{port}"]
        # Each its own control socket: by default both would take ~/.gunicorn/gunicorn.ctl.
        gunicorn += ["--workers=2", f"--control-socket={work / f'gunicorn-{n}.ctl'}"]
        supervisor.start(f"gunicorn-{n}", gunicorn, env)
    celery = [str(VENV_BIN / "celery"), "-A", "ssi_portal"]
    for n in (1, 2):
        supervisor.start(
            f"worker-{n}",
            [*celery, "worker", "--loglevel=INFO", "--concurrency=2", f"--hostname=stack-{n}@%h"],
            env,
        )
    beat = [*celery, "beat", "--loglevel=INFO", f"--schedule={work / 'celerybeat-schedule'}"]
    supervisor.start("beat", beat, env)
    by_name = {s.name: s for s in supervisor.started}
    for n, port in enumerate(ports, 1):
        supervisor.listening(by_name[f"gunicorn-{n}"], port)
    for n in (1, 2):
        supervisor.logged(by_name[f"worker-{n}"], " ready.", timeout=90)
    supervisor.logged(by_name["beat"], "beat: Starting", timeout=60)
    return ports


def run(rows: int, work: Path, supervisor: Supervisor, database: str) -> dict:
    from tests.support.mail import LocalSMTPServer

    smtp = LocalSMTPServer()
    smtp.start()
    try:
        return _run(rows, work, supervisor, database, smtp)
    finally:
        smtp.stop()


def _run(rows: int, work: Path, supervisor: Supervisor, database: str, smtp) -> dict:
    upstream = urlparse(POSTGRES)
    user = upstream.username or "postgres"
    port = free_port()
    config = pgbouncer_config(
        work / "pgbouncer", port=port, user=user, upstream=(upstream.hostname, upstream.port)
    )
    pgbouncer = supervisor.start("pgbouncer", [pgbouncer_binary(), str(config)], dict(os.environ))
    supervisor.listening(pgbouncer, port)
    say(f"PgBouncer (transaction mode) on 127.0.0.1:{port}", check="PgBouncer")

    env = production_env(
        database_url=f"postgres://{user}@127.0.0.1:{port}/{database}",
        var_dir=work / "var",
        smtp_port=smtp.port,
    )
    os.environ.clear()
    os.environ.update({**env, "LOG_LEVEL": "WARNING"})
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    say("Migrated through PgBouncer; static files collected", check="migrate")
    from .seed import seed

    seeded = seed(rows)
    ports = start_services(supervisor, env, work)
    say(f"gunicorn on {ports[0]} and {ports[1]}, two Celery workers and beat: all up", check="up")

    from .journey import journey, probes

    for p in ports:
        probes(p)
    say("/healthz and /readyz answer on both", check="probes")
    trip = journey(ports, seeded.raiser, seeded.installer, seeded.journey_device)
    say(f"Journey (sign in, raise, answer, reveal, close): {trip.seconds:.2f} s", check="journey")

    from .bulk import bulk_with_kill

    say(f"Bulk raise of {rows:,} rows; a worker process will be killed half-way")
    bulk = bulk_with_kill(trip.raiser, rows, kill_after=rows // 4, timeout=240)
    say(f"Bulk job done in {bulk.seconds:.1f} s, in {bulk.runs} runs", check="bulk job")
    mail = emails_delivered(smtp)
    say(f"Every email of the outbox delivered ({mail})", check="emails")
    sweeps = sweeps_run(supervisor)
    say(f"Beat's deadline sweep run by the workers ({sweeps} times)", check="beat")
    return {"journey": trip, "bulk": bulk, "emails": mail, "sweeps": sweeps}


def emails_delivered(smtp) -> int:
    from notifications.models import Notification

    outbox = Notification.objects.all()

    def delivered():
        if outbox.filter(status=Notification.Status.FAILED).exists():
            raise StackError("an email failed")
        sent = outbox.filter(status=Notification.Status.SENT).count()
        return sent == outbox.count() > 0 and len(smtp.messages) >= sent and sent

    return wait_for(delivered, timeout=60, what="every email in the outbox delivered")


def sweeps_run(supervisor: Supervisor) -> int:
    """Runs of beat's deadline sweep that a worker finished (every 10 s here)."""

    def count() -> int:
        return sum(
            1
            for s in supervisor.started
            if s.name.startswith("worker-")
            for line in s.log.read_text(errors="replace").splitlines()
            if "escalate_overdue_incidents[" in line and "] succeeded in " in line
        )

    return wait_for(count, timeout=30, what="beat's deadline sweep run by a worker")


def report(figures: dict, seconds: float) -> list[str]:
    bulk = figures["bulk"]
    lines = [
        ("Journey time (sign in to closed)", f"{figures['journey'].seconds:.2f} s"),
        ("Bulk rows", f"{bulk.rows:,}"),
        ("Killed", f"pool process {bulk.killed_pid} of {bulk.killed_on} at {bulk.killed_at_row:,}"),
        ("Bulk job, upload to done", f"{bulk.seconds:.1f} s in {bulk.runs} runs"),
        ("Jobs completed after the kill", str(bulk.jobs_completed_after_kill)),
        ("Rows lost", str(bulk.rows_lost)),
        ("Rows doubled", str(bulk.rows_doubled)),
        ("Requests doubled", str(bulk.requests_doubled)),
        ("Events doubled", str(bulk.events_doubled)),
        ("Emails delivered", str(figures["emails"])),
        ("Deadline sweeps beat queued, run", str(figures["sweeps"])),
        ("Run time", f"{seconds:.0f} s"),
    ]
    width = max(len(name) for name, _ in lines)
    print("\n".join(f"  {name:<{width}}  {value}" for name, value in lines))
    failed = []
    if bulk.jobs_completed_after_kill != 1:
        failed.append("the bulk job did not complete after the kill")
    else:
        PASSED.append("completed after the kill")
    for name in ("rows_lost", "rows_doubled", "requests_doubled", "events_doubled"):
        if getattr(bulk, name):
            failed.append(f"{name.replace('_', ' ')}: {getattr(bulk, name)}")
        else:
            PASSED.append(name)
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the bulk file")
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder")
    args = parser.parse_args()
    if pgbouncer_binary() is None:
        print("scripts/stack needs PgBouncer: apt-get install pgbouncer", file=sys.stderr)
        return 2
    # A SIGTERM or SIGHUP ends the run as an error does: through the clean-up below.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    work = Path(tempfile.mkdtemp(prefix="ssi-stack-"))
    database = f"ssi_portal_stack_{os.getpid()}"
    supervisor = Supervisor(work)
    failed: list[str] = []
    say(f"Logs in {work}; database {database}; broker {REDIS}")
    try:
        admin(f'CREATE DATABASE "{database}"')
        flush_redis()
        figures = run(args.rows, work, supervisor, database)
        failed += report(figures, time.perf_counter() - STARTED)
    except (StackError, AssertionError) as exc:
        failed.append(str(exc))
    except KeyboardInterrupt:
        failed.append("interrupted")
    except Exception as exc:  # noqa: BLE001 (any failure is reported after the clean-up)
        traceback.print_exc()
        failed.append(f"{type(exc).__name__}: {exc}")
    finally:
        failed += tear_down(supervisor, database)
    if failed or args.keep:
        print(f"Logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    for failure in failed:
        print(f"FAILED: {failure}", file=sys.stderr)
    say("Stack passed" if not failed else "Stack FAILED")
    # The closing line, as a test runner's.
    print(f"stack: {len(PASSED)} passed, {len(failed)} failed")
    return 1 if failed else 0


def tear_down(supervisor: Supervisor, database: str) -> list[str]:
    """Stop everything, drop the database, empty the broker's; what was left behind."""
    failed = []
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    forced = supervisor.stop_all()
    if forced:
        print(f"  needed SIGKILL to stop: {', '.join(forced)}")
    left = [s.name for s in supervisor.started if s.process.poll() is None]
    if left:
        failed.append(f"still running: {', '.join(left)}")
    try:
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if admin("SELECT 1 FROM pg_database WHERE datname = %s", [database]):
            failed.append(f"database {database} left behind")
        flush_redis()
    except Exception as exc:  # noqa: BLE001 (reported, and the run fails)
        failed.append(f"clean-up: {exc}")
    if not failed:
        PASSED.append("nothing left behind")
    return failed
