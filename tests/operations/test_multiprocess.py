"""Several web processes add up: prometheus-client's multiprocess mode, as gunicorn runs it.

Each process writes its request metrics to files in ``PROMETHEUS_MULTIPROC_DIR``; a scrape,
answered by any process, adds every process's files up, those of processes gone included.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path
from types import SimpleNamespace

import pytest

from ssi_portal import gunicorn_conf
from tests.support.gunicorn import free_port
from tests.support.waiting import wait_until

from .conftest import parse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
HEALTHZ = ("ssi_http_requests_total", {"view": "healthz", "method": "GET", "status_class": "2xx"})

# A web process of its own: it answers /healthz ``count`` times through the portal's middleware,
# then exits. With ``stuck``, it leaves one request in progress, as a worker killed mid-request.
PROCESS = """
import os, sys
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
for _ in range(int(sys.argv[1])):
    assert client.get("/healthz").status_code == 200
if sys.argv[2] == "stuck":
    from operations.metrics import IN_PROGRESS
    IN_PROGRESS.inc()
print(os.getpid())
"""


def child_env(metrics_dir: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "ssi_portal.settings.test",
        # /healthz reads no database: each process may have its own, empty one.
        "DATABASE_URL": "sqlite:///:memory:",
        "PYTHONPATH": str(ROOT),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }


def web_process(metrics_dir: Path, requests: int, *, stuck: bool = False) -> int:
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", PROCESS, str(requests), "stuck" if stuck else "done"],
        cwd=ROOT,
        env=child_env(metrics_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.split()[-1])


@pytest.fixture
def metrics_dir(tmp_path, monkeypatch):
    """The directory the processes share; this test's scrapes read it, as gunicorn's would."""
    path = tmp_path / "metrics"
    path.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(path))
    return path


def test_a_scrape_adds_up_the_requests_of_two_processes(metrics_dir, scrape):
    first = web_process(metrics_dir, 3)
    second = web_process(metrics_dir, 2)

    assert first != second
    assert scrape()[HEALTHZ] == 5


def test_the_counts_of_a_process_that_exited_stay_in_the_total(metrics_dir, scrape):
    pid = web_process(metrics_dir, 4)
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=pid))

    assert scrape()[HEALTHZ] == 4


def test_a_dead_workers_requests_in_progress_stop_counting(metrics_dir, scrape):
    pid = web_process(metrics_dir, 1, stuck=True)
    assert scrape()["ssi_http_requests_in_progress"] == 1

    gunicorn_conf.child_exit(None, SimpleNamespace(pid=pid))

    assert scrape().get("ssi_http_requests_in_progress", 0) == 0


def test_a_scrape_in_multiprocess_mode_still_reads_the_state(metrics_dir, scrape, incident):
    metrics = scrape()

    assert metrics["ssi_state_up"] == 1
    assert metrics["ssi_requests_open", {"status": "awaiting_installer"}] == 1


def test_gunicorn_starts_from_an_empty_directory(tmp_path, monkeypatch):
    path = tmp_path / "metrics"
    path.mkdir()
    (path / "counter_4242.db").write_bytes(b"old run")
    (path / "README").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(path))

    gunicorn_conf.on_starting(None)

    assert sorted(p.name for p in path.iterdir()) == ["README"]


def test_without_the_directory_the_hooks_do_nothing(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)

    gunicorn_conf.on_starting(None)
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=1))


# --- Under a real gunicorn --------------------------------------------------------------------


def get(port: int, path: str) -> tuple[int, str]:
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_gunicorns_workers_add_up_and_a_killed_worker_counts_on(tmp_path):
    """Two workers with the portal's gunicorn config: every request counted once, whichever
    worker answered it and whichever answers the scrape, a killed worker's included."""
    metrics_dir = tmp_path / "metrics"
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 (this interpreter and fixed arguments)
            [
                *(sys.executable, "-m", "gunicorn", "ssi_portal.wsgi:application"),
                *(f"--bind=127.0.0.1:{port}", "--workers=2", "--log-level=warning"),
                "--config=python:ssi_portal.gunicorn_conf",
            ],
            cwd=ROOT,
            env=child_env(metrics_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def listening() -> bool:
            assert server.poll() is None, log.read_text()[-2000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False

        wait_until(listening, timeout=30, what="gunicorn to listen")
        for _ in range(20):
            assert get(port, "/healthz")[0] == 200
        writers = {p.name.split("_")[-1] for p in metrics_dir.glob("counter_*.db")}
        for pid in writers:
            os.kill(int(pid.removesuffix(".db")), signal.SIGKILL)
        time.sleep(0.5)  # the master replaces the killed workers

        status, text = wait_until(lambda: (r := get(port, "/metrics"))[0] == 200 and r)
    finally:
        server.terminate()
        server.wait(timeout=20)

    assert parse(text)[HEALTHZ] == 20
