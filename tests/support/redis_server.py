"""A redis-server of the test's own, on a free port, that the test may kill and start again.

The shared Redis is never stopped: a test that takes the broker away takes away its own.
"""

import shutil
import subprocess
from pathlib import Path

import redis

from .mail import free_port
from .waiting import wait_until


class ThrowawayRedis:
    host = "127.0.0.1"

    def __init__(self, workdir: Path, port: int | None = None):
        self.binary = shutil.which("redis-server")
        self.port = port or free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> None:
        # No snapshot, no append-only file: what it held dies with it, as after a crash.
        self.process = subprocess.Popen(  # noqa: S603 (a fixed binary and our own arguments)
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                self.host,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def kill(self) -> None:
        """Stop it the hard way (SIGKILL), as a crash or a lost host would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()
