"""Benchmark: what one page costs the portal's own process, in CPU time, without HTTP or load.

Reads the data set ``http_load.py`` built (or a copy of it: ``--database``), signs a bench
user in as that benchmark does (the real ``login()``, the session verified by a second factor),
and calls the WSGI application gunicorn serves (``bench/http_wsgi.py``, production's settings)
directly, in this one process: each request's CPU time is what the portal's Python spends on
it (the client side of each round trip included), and the CPU time of the PostgreSQL backend
that served its queries is read from ``/proc`` beside it (ticks of 10 ms: a batch of a few
hundred requests makes it exact to a few hundredths of a millisecond a request). On a machine
shared with others this is much steadier than requests/s under load.

    .venv/bin/python bench/page_cpu.py --database ssi_bench_http
    .venv/bin/python bench/page_cpu.py --pages worklist,incident --profile 30
    .venv/bin/python bench/page_cpu.py --pages floor,admin   # the helpdesk's change list
    .venv/bin/python bench/page_cpu.py --pages floor,raise   # a raise through the form

``raise`` is ``POST /incidents/new/`` as ``http_load``'s scenario sends it: a distinct eligible
Device each request, by a user of the Supplier registered for it, its task published to Redis
at $BENCH_REDIS_URL (no worker runs; the broker's database is flushed and what the raises made
is deleted at the end).

Prints, per page, the median over ``--batches`` batches of ``--requests`` requests of the CPU
milliseconds a request (the wall milliseconds, which include PostgreSQL's answer, and the
backend's CPU milliseconds a request); with
``--profile N`` a cProfile of each page's requests, its N costliest functions by their own
time and by their cumulative time (``--dump DIR`` keeps it, for ``pstats``). Writes nothing
to the database but the sessions it makes.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import http_load  # noqa: E402 (bench/ is on the path when a script runs)

PAGES = (
    "bare",
    "floor",
    "worklist",
    "worklist-due",
    "worklist-overdue",
    "raised",
    "home",
    "incident",
    "admin",
    "raise",
)
HELPDESK = "bench-helpdesk"  # the ``admin`` page's user, as in http_load's scenario


def page_paths(user, supplier_id: int) -> dict[str, list[str]]:
    """For each page, the paths one user's requests cycle through (several for a page whose
    address varies: the bare view's and the floor's Devices, the incidents)."""
    from bench.http_urls import BARE_PATH
    from inventory.models import Device

    devices = list(Device.objects.order_by("pk").values_list("device_id", flat=True)[:50])
    return {
        "bare": [f"{BARE_PATH}?id={device_id}" for device_id in devices],
        "floor": [f"/bench/floor/?id={device_id}" for device_id in devices],
        "worklist": ["/incidents/assigned/"],
        "worklist-due": ["/incidents/assigned/?sort=due"],
        "worklist-overdue": ["/incidents/assigned/?overdue=on"],
        "raised": ["/incidents/raised/?status=open"],
        "home": ["/"],
        "incident": [f"/incidents/{public_id}/" for public_id in http_load.own_incidents(user)],
        "admin": ["/admin/incidents/incident/"],
    }


def call(application, path: str, cookie: str, body: str | None = None) -> int:
    """One GET (or, given a ``body``, a form's POST) through the WSGI application; its status
    code."""
    from wsgiref.util import setup_testing_defaults

    route, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET" if body is None else "POST",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "HTTP_COOKIE": cookie,
        "HTTP_HOST": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    if body is not None:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body.encode())
    setup_testing_defaults(environ)
    status = []
    body = application(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        for _ in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()
    return int(status[0].split()[0])


def _backend() -> tuple[int, float] | None:
    """The PostgreSQL backend serving this process's connection: its process id and the CPU
    seconds it has used (it runs on this machine: the benchmarks are loopback only)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_lines(count: int) -> list[tuple[str, str, str]]:
    """(path, cookie, body) of ``count`` raises, each of its own eligible Device, by a user of
    the Supplier registered for it (``http_load``'s raise scenario)."""
    import re

    from django.test import Client

    sessions = http_load.mint_sessions(per_user=1, clear=False)
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    client.cookies.load(next(iter(sessions.values()))[0])
    page = client.get("/incidents/new/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    csrf = (client.cookies["csrftoken"].value, token)  # the page's token is of that cookie
    lines = http_load.raise_lines(http_load.raise_pool(count), sessions, csrf)
    if len(lines) < count:
        raise SystemExit(f"only {len(lines)} eligible Devices left to raise for")
    return [(path, cookie, body) for _, path, cookie, body in lines]


def measure(
    application, paths: list[str], cookie: str, requests: int, posts=None
) -> tuple[float, float, float | None]:
    """CPU and wall milliseconds a request, over ``requests`` requests cycling through
    ``paths`` (or, given ``posts``, an iterator of (path, cookie, body), one POST each), and
    the CPU milliseconds of the PostgreSQL backend that served them (None if the connection
    was replaced meanwhile: ``CONN_MAX_AGE``)."""
    before = _backend()
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(requests):
        if posts is not None:
            path, own_cookie, body = next(posts)
            if (status := call(application, path, own_cookie, body)) != 302:
                raise SystemExit(f"POST {path} ({body}) answered {status}")
            continue
        status = call(application, paths[n % len(paths)], cookie)
        if status != 200:
            raise SystemExit(f"GET {paths[n % len(paths)]} answered {status}")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    after = _backend()
    server = None
    if before and after and before[0] == after[0]:
        server = (after[1] - before[1]) * 1000 / requests
    return cpu * 1000 / requests, wall * 1000 / requests, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=http_load.DB_NAME)
    parser.add_argument("--pages", default="floor,worklist,incident", help="comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="requests a batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, help="show the N costliest functions")
    parser.add_argument(
        "--dump", metavar="DIR", help="with --profile: keep each page's profile as DIR/PAGE.prof"
    )
    args = parser.parse_args()
    pages = [page for page in args.pages.split(",") if page]
    if unknown := set(pages) - set(PAGES):
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    if not (1 <= args.requests <= 10_000 and 1 <= args.batches <= 50):
        parser.error("--requests 1..10000, --batches 1..50")

    http_load.DB_NAME = args.database
    if args.database != "ssi_bench_http":
        http_load.VAR_DIR = http_load.VAR_DIR.with_name(args.database)
    env = http_load.server_env(port=8000)
    os.environ.update(env)
    import django

    django.setup()
    from accounts.models import User
    from bench.http_wsgi import application

    user = User.objects.filter(username="bench-01").select_related("supplier").get()
    sessions = http_load.mint_sessions(per_user=1, clear=False, usernames=[user.username, HELPDESK])
    paths = page_paths(user, user.supplier_id)
    posts = None
    if "raise" in pages:
        count = 20 + args.requests * (args.batches + (1 if args.profile else 0))
        posts = iter(raise_lines(count))
        paths["raise"] = []
    print(
        f"{args.database}: {user.username} ({HELPDESK} for the admin), {args.batches} batches "
        f"of {args.requests} requests a page: CPU time of this process, and of the PostgreSQL "
        "backend serving it"
    )
    try:
        for page in pages:
            measure_page(application, page, paths[page], sessions, user, args, posts)
    finally:
        if posts is not None:
            http_load.clean_up_raises()
            http_load.purge_broker()


def measure_page(application, page, paths, sessions, user, args, posts) -> None:
    """Measure one page and print its line (and its profile)."""
    if page != "raise":
        posts = None
    cookie = sessions[HELPDESK if page == "admin" else user.username][0]
    measure(application, paths, cookie, 20, posts)  # warm: templates, compiled queries
    batches = [
        measure(application, paths, cookie, args.requests, posts) for _ in range(args.batches)
    ]
    cpu = statistics.median(batch[0] for batch in batches)
    wall = statistics.median(batch[1] for batch in batches)
    spread = f"{min(b[0] for b in batches):.2f}-{max(b[0] for b in batches):.2f}"
    servers = [batch[2] for batch in batches if batch[2] is not None]
    server = f", {statistics.median(servers):5.2f} ms PostgreSQL" if servers else ""
    print(f"  {page:<10} {cpu:6.2f} ms CPU a request ({spread}), {wall:6.2f} ms wall{server}")
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        measure(application, paths, cookie, args.requests, posts)
        profile.disable()
        if args.dump:
            Path(args.dump).mkdir(parents=True, exist_ok=True)
            profile.dump_stats(Path(args.dump) / f"{page}.prof")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.profile)
            print(out.getvalue())


if __name__ == "__main__":
    main()
