"""The processes of the stack: each started in a process group of its own, with its output in a
log file, and all stopped at the end (SIGTERM to the group, SIGKILL to what is left)."""

import configparser
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PGBOUNCER_INI = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
VENV_BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(probe, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise StackError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class StackError(Exception):
    """A check of the stack failed, or a part of it would not start."""


@dataclass
class Started:
    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""


@dataclass
class Supervisor:
    """Starts the stack's processes and stops every one of them, whatever happened."""

    directory: Path
    started: list[Started] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Started:
        log = self.directory / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 (our own programs, fixed arguments)
                argv,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own group: stopping it stops its children (gunicorn's and Celery's).
                start_new_session=True,
            )
        started = Started(name, process, log)
        self.started.append(started)
        return started

    def listening(self, started: Started, port: int, *, timeout: float = 60) -> None:
        def up() -> bool:
            if started.process.poll() is not None:
                raise StackError(f"{started.name} exited:\n{started.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False

        wait_for(up, timeout=timeout, what=f"{started.name} to listen on {port}")

    def logged(self, started: Started, text: str, *, timeout: float = 60) -> None:
        def seen() -> bool:
            if started.process.poll() is not None:
                raise StackError(f"{started.name} exited:\n{started.tail()}")
            return started.log.exists() and text in started.log.read_text(errors="replace")

        wait_for(seen, timeout=timeout, what=f"{started.name} to log {text!r}")

    def stop_all(self, *, grace: float = 20) -> list[str]:
        """Stop every process, newest first: SIGTERM to each (gunicorn and Celery then stop
        their children), SIGKILL to any member of its group still there after ``grace``
        seconds. Returns the names of those that needed the SIGKILL."""
        for started in reversed(self.started):
            if started.process.poll() is None:
                started.process.terminate()
        deadline = time.monotonic() + grace
        forced = []
        for started in reversed(self.started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                started.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            if _signal_group(started.process.pid, 0):  # the process or a child is left
                forced.append(started.name)
                _signal_group(started.process.pid, signal.SIGKILL)
            started.process.wait(timeout=10)
        return forced


def _signal_group(pgid: int, sig: int) -> bool:
    """Signal the process group ``pgid``; whether it had a member to signal."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


# --- PgBouncer ------------------------------------------------------------------------------


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None
    )


def pgbouncer_config(directory: Path, *, port: int, user: str, upstream: tuple[str, int]) -> Path:
    """deploy/pgbouncer/pgbouncer.ini as production has it, on this machine: every database
    passed to the PostgreSQL at ``upstream``, listening on ``port``, trusting ``user`` from
    loopback, logging to its output, and run as an unprivileged user when started by root."""
    directory.mkdir(parents=True, exist_ok=True)
    config = configparser.ConfigParser(interpolation=None)
    config.read(PGBOUNCER_INI)
    if config["pgbouncer"].get("pool_mode") != "transaction":
        raise StackError(f"{PGBOUNCER_INI} does not pool by transaction")
    host, upstream_port = upstream
    config["databases"] = {"*": f"host={host} port={upstream_port}"}
    section = config["pgbouncer"]
    section.update(
        {
            "listen_port": str(port),
            "unix_socket_dir": "",
            "auth_type": "trust",
            "auth_file": str(directory / "userlist.txt"),
            "admin_users": user,
        }
    )
    for key in ("logfile", "pidfile"):
        section.pop(key, None)
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root.
        section["user"] = next(n for n in ("postgres", "nobody") if _user_exists(n))
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    path = directory / "pgbouncer.ini"
    with path.open("w") as out:
        config.write(out)
    for file in (directory, path, directory / "userlist.txt"):
        file.chmod(0o755 if file.is_dir() else 0o644)
    return path


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
