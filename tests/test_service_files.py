"""The systemd units in deploy/systemd/ run the commands the README's production section gives,
with programs and modules that exist, and systemd itself accepts them."""

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
INSTALLED_AT = "/opt/ssi-portal"
EXPECTED = {
    "ssi-portal-web.service": "gunicorn ssi_portal.wsgi --bind 127.0.0.1:8000 --workers 4",
    "ssi-portal-worker.service": "celery -A ssi_portal worker --loglevel INFO --concurrency 4",
    "ssi-portal-beat.service": "celery -A ssi_portal beat --loglevel INFO",
}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


def test_there_is_a_unit_for_web_worker_and_beat():
    assert sorted(p.name for p in UNITS.glob("*.service")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_unit_runs_the_readmes_command_from_the_installed_virtualenv(name):
    service = unit(name)["Service"]
    program, *args = shlex.split(service["ExecStart"])
    assert program.startswith(f"{INSTALLED_AT}/.venv/bin/")
    command = " ".join([Path(program).name, *args])
    assert command.startswith(EXPECTED[name])
    readme = (ROOT / "README.md").read_text()
    assert f".venv/bin/{EXPECTED[name]}" in readme, "the README gives another command"
    # The program is one the lock file installs into the virtualenv.
    assert (ROOT / ".venv" / "bin" / Path(program).name).exists()
    assert service["WorkingDirectory"] == INSTALLED_AT
    assert service["EnvironmentFile"] == "/etc/ssi-portal/env"
    assert service["User"] == "ssi-portal"
    assert service["Restart"] == "on-failure"


def test_the_worker_has_time_to_finish_its_tasks_when_stopped():
    from django.conf import settings

    service = unit("ssi-portal-worker.service")["Service"]
    assert service["KillSignal"] == "SIGTERM"  # Celery's warm shutdown
    assert int(service["TimeoutStopSec"]) > settings.CELERY_TASK_TIME_LIMIT


def test_beat_keeps_its_schedule_in_its_state_directory():
    service = unit("ssi-portal-beat.service")["Service"]
    schedule = re.search(r"--schedule (\S+)", service["ExecStart"])[1]
    assert schedule.startswith(f"/var/lib/{service['StateDirectory']}/")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path):
    """``systemd-analyze verify`` on the units as installed in this checkout: every key known,
    every program executable."""
    env = tmp_path / "env"
    env.write_text("DJANGO_SETTINGS_MODULE=ssi_portal.settings.production\n")
    for path in UNITS.glob("*.service"):
        text = path.read_text().replace(INSTALLED_AT, str(ROOT))
        text = text.replace("/etc/ssi-portal/env", str(env))
        text = re.sub(r"^(User|Group)=.*\n", "", text, flags=re.M)  # no such user here
        (tmp_path / path.name).write_text(text)
    done = subprocess.run(  # noqa: S603
        ["systemd-analyze", "verify", "--man=no", *sorted(map(str, tmp_path.glob("*.service")))],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr and "ignoring" not in done.stderr, done.stderr
