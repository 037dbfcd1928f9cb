"""The portal under a real gunicorn, as a child process on a free loopback port, against the
test database (PostgreSQL, which both processes reach), and a small cookie-keeping client."""

import html
import os
import re
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPResponse
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from .waiting import wait_until
from .worker import BASE_DIR, database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class PortalClient:
    """Speaks HTTP/1.1 to the server on ``port`` and keeps its cookies, like a browser would."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    headers: dict[str, str] = field(default_factory=dict)  # sent with every request

    def request(self, method: str, path: str, *, data=None, files=None, headers=None) -> Answer:
        """``data``: form fields; with ``files`` ({field: (filename, bytes)}) as multipart."""
        connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if files is not None:
            body, sent["Content-Type"] = _multipart(data or {}, files)
        elif data is not None:
            body = urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response: HTTPResponse = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Answer(response.status, dict(response.headers.items()), text)
        finally:
            connection.close()

    def submit(self, page: str, data: dict, *, action: str | None = None, files=None) -> Answer:
        """A form as a browser submits it: fetch ``page`` for its CSRF token, then post
        ``data`` (and ``files``) to ``action`` (the page itself by default)."""
        answer = self.request("GET", page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.body)
        assert token, f"no CSRF token on {page} ({answer.status})"
        fields = {"csrfmiddlewaretoken": html.unescape(token.group(1)), **data}
        return self.request("POST", action or page, data=fields, files=files)

    def login(self, username: str, password: str, *, forwarded_for: str | None = None) -> Answer:
        """The login form as a browser submits it: fetch the page (and its CSRF token), post."""
        page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert token, f"no CSRF token on the login page ({page.status})"
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
        return self.request(
            "POST",
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": html.unescape(token.group(1)),
                "username": username,
                "password": password,
            },
            headers=headers,
        )


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    body = "".join(parts).encode()
    for name, (filename, content) in files.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@contextmanager
def gunicorn_server(database: dict, log: Path, **environment: str):
    """gunicorn serving the portal with the test settings on the database ``database`` (a
    connection's settings_dict), with ``environment`` on top. Yields the port."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SSI_TRUSTED"))},
        "DJANGO_SETTINGS_MODULE": "ssi_portal.settings.test",
        "DATABASE_URL": database_url(database),
        "PYTHONPATH": str(BASE_DIR),
        **environment,
    }
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (this interpreter and fixed arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ssi_portal.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--log-level=warning",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False

        wait_until(answers, timeout=30, interval=0.1, what="gunicorn to listen")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
