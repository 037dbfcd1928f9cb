"""Profile: one raise through the form, in-process, with the production settings.

No server and no load: the request goes through the portal's own WSGI handler (every
middleware, the session and the second factor, CSRF) in this process, so that its queries, its
CPU time and where that time goes can be read one raise at a time:

- the queries of one raise, listed (``--list``);
- CPU time and wall time per raise, median of ``--raises`` raises, each a distinct eligible
  Device, each by a user of the Supplier registered for it (as ``http_load``'s ``raise``);
- the floor (``/bench/floor/``, as ``http_load`` serves it) the same way, and a raise's CPU as
  a multiple of the floor's: a busy machine moves that ratio much less than either figure;
- with ``--profile``, cProfile over those raises (the top functions by own and cumulative
  time), of this process's CPU time (``--wall``: of the wall clock); ``--dump`` keeps it.

Uses a database of its own (``--database``, default ``ssi_bench_raise``), built by
``http_load``'s generator at ``--devices``/``--incidents`` (kept between runs; what the raises
made is deleted at the end), and publishes the tasks to Redis at $BENCH_REDIS_URL (flushed at
the end, as ``http_load`` flushes it: never run the two at once; no worker runs).

    .venv/bin/python bench/raise_profile.py --raises 300 --list --profile
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import PG, REDIS, ensure_database  # noqa: E402


def environment(database: str) -> dict[str, str]:
    from ssi_portal.lib.crypto import generate_key

    var = Path(tempfile.gettempdir()) / database
    var.mkdir(exist_ok=True)
    key = var / "install.key"
    if not key.exists():
        key.write_text(generate_key())
    return {
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",
        "DJANGO_SECRET_KEY": "profile-only-" + "x" * 40,
        "INSTALL_CODE_KEYS": key.read_text(),
        "DATABASE_URL": f"{PG}/{database}",
        "CELERY_BROKER_URL": REDIS,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "SSI_VAR_DIR": str(var),
        "LOG_LEVEL": "WARNING",
        "PORTAL_BASE_URL": "http://127.0.0.1:8000",
        "SSI_METRICS_TOKEN": "m" * 40,
        "SSI_RAISE_LIMIT_PER_USER": "100000000/hour",
        "SSI_RAISE_LIMIT_PER_SUPPLIER": "100000000/day",
    }


def wsgi_call(
    app, method: str, path: str, cookie: str, body: str = "", query: str = ""
) -> tuple[str, dict]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body.encode()),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    for _ in app(environ, start_response):
        pass
    return answer["status"], answer["headers"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="ssi_bench_raise")
    parser.add_argument("--devices", type=int, default=300_000)
    parser.add_argument("--incidents", type=int, default=75_000)
    parser.add_argument("--raises", type=int, default=300)
    parser.add_argument("--list", action="store_true", help="list the queries of one raise")
    parser.add_argument("--profile", action="store_true", help="cProfile the raises")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", help="write the profile's statistics to this file")
    parser.add_argument(
        "--wall", action="store_true", help="profile wall time (default: this process's CPU time)"
    )
    args = parser.parse_args()

    ensure_database(args.database, recreate=False)
    os.environ.update(environment(args.database))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)

    import http_load

    http_load.DB_NAME = args.database  # what it prints, and whose backends it counts
    http_load.generate(args.devices, args.incidents)
    http_load.clean_up_raises()
    http_load.vacuum(http_load.CHURNED_TABLES)

    from django.core.wsgi import get_wsgi_application
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    sessions = http_load.mint_sessions(2)
    pool = http_load.raise_pool(args.raises + 20)
    app = get_wsgi_application()

    # The form's CSRF cookie and token, as http_load reads them from a GET.
    from django.test import Client

    first = next(iter(sessions.values()))[0]
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    client.cookies.load(first)
    page = client.get("/incidents/new/")
    csrf_cookie = page.cookies["csrftoken"].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    lines = http_load.raise_lines(pool, sessions, (csrf_cookie, token))

    def one(line) -> None:
        _, path, cookie, body = line
        status, headers = wsgi_call(app, "POST", path, cookie, body)
        if not status.startswith("302"):
            raise SystemExit(f"raise answered {status}")

    for line in lines[:10]:  # warm up: imports, URL patterns, compiled queries
        one(line)
    if args.list:
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            one(lines[10])
        print(f"\n{len(queries)} queries in one raise:\n")
        for n, query in enumerate(queries.captured_queries, 1):
            print(f"{n:>2}. ({float(query['time']) * 1000:.2f} ms) {query['sql'][:400]}")
    measured = lines[20 : 20 + args.raises]
    cpu, wall = [], []
    timer = time.perf_counter if args.wall else time.process_time
    profiler = cProfile.Profile(timer) if args.profile else None
    for line in measured:
        c0, w0 = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        one(line)
        if profiler:
            profiler.disable()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    print(
        f"\n{len(measured)} raises: CPU per raise median {statistics.median(cpu) * 1000:.2f} ms "
        f"(mean {statistics.mean(cpu) * 1000:.2f}); wall median "
        f"{statistics.median(wall) * 1000:.2f} ms; load average {os.getloadavg()[0]:.2f}"
    )
    # The floor (bench/http_urls.py) the same way, for a ratio that a busy machine moves less.
    floor_cpu = []
    for n, (device_id, _) in enumerate(pool[: args.raises]):
        cookie = lines[n][2]
        c0 = time.process_time()
        status, _ = wsgi_call(app, "GET", "/bench/floor/", cookie, query=f"id={device_id}")
        floor_cpu.append(time.process_time() - c0)
        if not status.startswith("200"):
            raise SystemExit(f"floor answered {status}")
    print(
        f"floor: CPU per request median {statistics.median(floor_cpu) * 1000:.2f} ms; a raise "
        f"costs {statistics.median(cpu) / statistics.median(floor_cpu):.1f}x the floor's CPU"
    )
    if profiler and args.dump:
        profiler.dump_stats(args.dump)
    if profiler:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())
    http_load.clean_up_raises()
    import redis

    redis.Redis.from_url(REDIS).flushdb()


if __name__ == "__main__":
    main()
