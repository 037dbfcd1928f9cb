"""The demo as ``scripts/demo`` starts it, in a var dir of its own on a free port: the web
server, a Celery worker and beat on the filesystem broker, sharing one SQLite file.

A person signs in, uploads the demo's bulk file and watches its progress bar move while the
worker processes it; meanwhile beat escalates the demo's overdue request and the worker writes
its emails to the mail folder; one SIGINT (Ctrl+C) then stops all three processes.
"""

import contextlib
import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from incidents.demo.people import DEMO_PASSWORD

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BULK_DEVICES = 20_000
# Settings of the test run that would point the demo elsewhere than its own var dir.
NOT_PASSED_ON = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "PORTAL_BASE_URL",
    "SSI_ESCALATION_EVERY_SECONDS",
    "SSI_BULK_CHUNK_ROWS",
)
# Between two messages, Django's file email backend writes a line of dashes.
MAIL_SEPARATOR = re.compile(rb"\n-{79}\n")


@pytest.fixture
def _email_links_point_at_the_live_server():
    """No live server here: the demo serves itself (replaces the e2e conftest's fixture)."""


class Demo:
    def __init__(self, tmp_path: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.var = tmp_path / "var"
        self.output = tmp_path / "demo.out"
        env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
        env |= {
            # Said outright, so that no .env file of the checkout points the demo elsewhere.
            "DATABASE_URL": f"sqlite:///{self.var / 'portal.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://",
            "SSI_VAR_DIR": str(self.var),
            "SSI_DEMO_ADDR": f"127.0.0.1:{self.port}",
            "SSI_DEMO_BULK_DEVICES": str(BULK_DEVICES),
        }
        self.started = time.monotonic()
        # A signal ignored here would stay ignored in the script, whose trap then cannot take
        # it (bash keeps a signal ignored at its start): a Ctrl+C must reach it as one typed.
        interrupt = signal.getsignal(signal.SIGINT)
        if interrupt is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        with self.output.open("wb") as out:
            # A session of its own: every process the demo starts carries its id.
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "demo")],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if interrupt is signal.SIG_IGN:
            signal.signal(signal.SIGINT, interrupt)

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def wait_until_serving(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"scripts/demo stopped:\n{self.text()}"
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"The demo did not answer within {timeout} s:\n{self.text()}")

    def processes(self) -> list[str]:
        """The processes still alive in the demo's session (zombies have exited)."""
        listing = subprocess.run(
            ["ps", "-e", "-o", "pid=,sid=,stat=,args="], capture_output=True, text=True, check=True
        ).stdout
        alive = []
        for line in listing.splitlines():
            pid, sid, stat, args = line.split(None, 3)
            if int(sid) == self.process.pid and not stat.startswith("Z"):
                alive.append(f"{pid} {args}")
        return alive

    def stop(self) -> None:
        """What cleans up after a failed test: Ctrl+C, then KILL whatever is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        for line in self.processes():
            os.kill(int(line.split()[0]), signal.SIGKILL)


@pytest.fixture
def demo(tmp_path):
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def sign_in(page, demo: Demo, username: str) -> None:
    page.goto(f"{demo.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def progress_until_done(page, timeout: float = 90) -> list[tuple[int, int]]:
    """The progress bar's (value, max) each time it is read, until the upload is done."""
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value, top, status = page.evaluate(
                "() => [document.querySelector('#bulk-progress').value,"
                " document.querySelector('#bulk-progress').max,"
                " document.querySelector('#bulk-status').textContent.trim()]"
            )
        except PlaywrightError:
            # The page's script reloads it once processing has finished.
            page.wait_for_load_state()
            continue
        seen.append((int(value), int(top)))
        if status == "Done":
            return seen
        time.sleep(0.25)
    raise AssertionError(f"The upload was not done within {timeout} s; seen {seen[-5:]}")


def mails(folder: Path) -> list[tuple[str, str, str]]:
    """(To, Subject, text) of each email in the mail folder."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for raw in MAIL_SEPARATOR.split(path.read_bytes()):
            if raw.strip():
                message = email.message_from_bytes(raw.strip(), policy=email.policy.default)
                text = message.get_body(preferencelist=("plain",)).get_content()
                found.append((str(message["To"]), str(message["Subject"]).strip(), text))
    return found


def test_the_demo_processes_a_bulk_file_in_the_background_escalates_on_time_and_stops_at_once(
    demo, new_page
):
    demo.wait_until_serving()
    serving = time.monotonic()
    started = demo.text()
    overdue = re.search(r"Overdue, not escalated yet: (INC\d+) as (\w+)", started)
    assert overdue, started
    reference, raiser = overdue.groups()
    bulk_file = demo.var / "demo" / "bulk-raise-aurora.csv"
    assert "Devices aurora may request, to raise them in bulk" in started
    for what in ("web     http://", "worker  Celery worker", "beat    Celery beat"):
        assert what in started
    assert f"broker  {demo.var}/broker/" in started
    assert f"mail    {demo.var}/mail/" in started

    # A bulk raise of 20,000 Devices: the worker processes it while the page watches.
    page = new_page()
    sign_in(page, demo, "aurora")
    page.get_by_role("link", name="Bulk uploads").click()
    page.get_by_role("link", name="Raise by CSV").click()
    page.get_by_label("CSV file").set_input_files(str(bulk_file))
    page.get_by_role("button", name="Upload and process").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"bulk-raise-aurora.csv uploaded: {BULK_DEVICES:,} rows"
    )
    seen = progress_until_done(page)

    values = [value for value, _ in seen]
    assert values == sorted(values), "the progress bar never goes back"
    assert any(0 < value < BULK_DEVICES for value in values), f"no step between: {seen}"
    assert seen[-1] == (BULK_DEVICES, BULK_DEVICES)
    expect(page.locator("#bulk-accepted")).to_have_text(f"{BULK_DEVICES}")

    # Beat escalates the overdue request within a minute of the demo starting.
    if raiser != "aurora":
        page = new_page()
        sign_in(page, demo, raiser)
    deadline = serving + 60
    badge = page.locator(".badge", has_text="Deadline breached")
    while True:
        page.goto(f"{demo.url}/incidents/raised/?q={reference}")
        page.get_by_role("link", name=reference, exact=True).click()
        if badge.count() or time.monotonic() > deadline:
            break
        time.sleep(2)
    expect(badge).to_be_visible()
    expect(page.locator("#days-left")).to_contain_text("escalated to the DCC helpdesk")

    # The worker wrote the escalation's emails: to the two Suppliers and to the helpdesk.
    to_installer = "[SSI] 1 Request for Install Code breached its deadline"
    to_raiser = "[SSI] 1 of your Request for Install Code escalated to the DCC helpdesk"
    to_helpdesk = "[SSI] 1 Request for Install Code escalated to the helpdesk"
    deadline = time.monotonic() + 15
    while True:
        written = mails(demo.var / "mail")
        naming = {subject: to for to, subject, text in written if reference in text}
        helpdesk = {subject for to, subject, _ in written if to == "helpdesk@dcc.invalid"}
        done = {to_installer, to_raiser} <= naming.keys() and to_helpdesk in helpdesk
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert naming.get(to_installer, "").startswith("incidents@"), naming
    assert naming.get(to_raiser, "").startswith(f"{raiser}@"), naming
    assert to_helpdesk in helpdesk

    # Three processes shared one SQLite file, and none of them was refused the database.
    logs = demo.text() + "".join(p.read_text() for p in (demo.var / "log").glob("*.log"))
    assert "database is locked" not in logs
    assert "Traceback" not in logs

    # One Ctrl+C stops all of it: the web server, the worker (with its pool) and beat.
    assert len(demo.processes()) >= 5, demo.processes()  # the script, web, beat, worker + pool
    stopping = time.monotonic()
    demo.process.send_signal(signal.SIGINT)
    demo.process.wait(timeout=15)
    while demo.processes() and time.monotonic() - stopping < 10:
        time.sleep(0.2)
    assert demo.processes() == []
    assert time.monotonic() - stopping < 10
    assert "Stopped." in demo.text()
