"""gunicorn's configuration: ``gunicorn ssi_portal.wsgi --config python:ssi_portal.gunicorn_conf``.

Only the hooks that the request metrics' multiprocess mode needs (``operations.metrics``); the
bind address and the number of workers stay on the command line (README, the systemd unit).
With ``PROMETHEUS_MULTIPROC_DIR`` unset, both hooks do nothing.
"""

import os
from pathlib import Path


def _metrics_dir() -> Path | None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


def on_starting(server) -> None:
    """Before the first worker: start from an empty directory, or the counts of the previous
    run (their processes long gone) would be added to this one's. Only prometheus-client's own
    files (``*.db``) are removed."""
    path = _metrics_dir()
    if path is None:
        return
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server, worker) -> None:
    """A worker died or was replaced (a reload, ``--max-requests``): its live gauges (requests
    in progress) must stop counting. Its counters and histograms stay, so totals never drop."""
    if _metrics_dir() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
