"""A real PgBouncer in transaction pooling mode, as a child process on a free loopback port, in
front of the test's PostgreSQL server.

It hands each transaction the server connection used least recently (``server_round_robin``)
from a pool it keeps warm, so that two transactions of one client seldom share a server
connection: whatever the portal left on a server connection past a commit (a cursor, a
prepared statement, a session setting or lock) is then missing in its next transaction, and
the test sees the error production would see under load.
"""

import os
import pwd
import shutil
import socket
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .gunicorn import free_port
from .waiting import wait_until

CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer")
# PgBouncer refuses to run as root; started by root (as CI is) it switches to this user.
UNPRIVILEGED = ("postgres", "nobody")

CONFIG = """\
[databases]
* = host={upstream_host} port={upstream_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
admin_users = {user}
stats_users = {user}
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = {min_pool_size}
server_round_robin = 1
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
{run_as}
"""


def pgbouncer_binary() -> str | None:
    for candidate in CANDIDATES:
        found = shutil.which(candidate) or (candidate if os.access(candidate, os.X_OK) else None)
        if found:
            return found
    return None


def _run_as() -> str:
    if os.geteuid() != 0:
        return ""
    for name in UNPRIVILEGED:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return f"user = {name}"
    raise RuntimeError("PgBouncer will not run as root, and there is no unprivileged user")


@dataclass(frozen=True)
class PgBouncer:
    port: int
    user: str
    log: Path

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"

    def show(self, what: str) -> list[dict]:
        """A ``SHOW`` command of the admin console (``pools``, ``stats``), as dicts."""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="pgbouncer", autocommit=True
        ) as connection:
            cursor = connection.execute(f"SHOW {what}", prepare=False)
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def warm(self, database: str, servers: int) -> None:
        """Open the pool of ``database`` and wait until it holds ``servers`` idle server
        connections (PgBouncer opens them in the background, up to ``min_pool_size``)."""

        def idle() -> bool:
            pools = [row for row in self.show("POOLS") if row["database"] == database]
            return bool(pools) and int(pools[0]["sv_idle"]) >= servers

        # It fills a pool only while a client is connected to it.
        with psycopg.connect(self.url(database), autocommit=True, prepare_threshold=None) as c:
            c.execute("SELECT 1")
            wait_until(idle, timeout=15, interval=0.1, what=f"{servers} server connections")

    def transactions(self, database: str) -> int:
        """How many transactions PgBouncer has passed on to ``database`` so far."""
        stats = self.show("STATS")
        return sum(int(row["total_xact_count"]) for row in stats if row["database"] == database)


@contextmanager
def pgbouncer_server(
    directory: Path,
    *,
    user: str = "postgres",
    upstream_host: str = "127.0.0.1",
    upstream_port: int = 5432,
    pool_size: int = 10,
    min_pool_size: int = 3,
):
    """Start PgBouncer with a configuration of its own in ``directory``; yields a
    :class:`PgBouncer`. Stopped (SIGTERM, then SIGKILL) at the end."""
    binary = pgbouncer_binary()
    if binary is None:
        raise FileNotFoundError("pgbouncer")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        CONFIG.format(
            upstream_host=upstream_host,
            upstream_port=upstream_port,
            port=port,
            directory=directory,
            user=user,
            pool_size=pool_size,
            min_pool_size=min_pool_size,
            run_as=_run_as(),
        )
    )
    # Read by the unprivileged user it switches to.
    for path in (directory, config, directory / "userlist.txt"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    log = directory / "pgbouncer.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (the binary found above, fixed arguments)
            [binary, str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:

        def listening() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"pgbouncer exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False

        wait_until(listening, timeout=15, interval=0.1, what="pgbouncer to listen")
        yield PgBouncer(port=port, user=user, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
