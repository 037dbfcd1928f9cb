"""scripts/_venv.sh, which scripts/demo and scripts/test source: .venv is installed from the
lock only when it lacks what the lock pins, whatever lock its stamp names (a .venv shared by
two checkouts of different locks, say)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path):
    """A copy of the scripts and locks with a .venv that sees this test run's packages."""
    for name in ("scripts/_venv.sh", "requirements/runtime.txt", "requirements/dev.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    shutil.copy(Path(sys.prefix) / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "lib").symlink_to(Path(sys.prefix) / "lib")
    return tmp_path


def _sourced(project: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", f"source scripts/_venv.sh; {command}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _stamp_of(project: Path, lock: str) -> str:
    digest = subprocess.run(
        ["sha256sum", str(project / "requirements" / f"{lock}.txt")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout[:16]
    return f"{lock}-{digest}"


def test_a_venv_holding_the_locked_packages_is_not_installed_again_under_a_foreign_stamp(project):
    stamp = project / ".venv" / ".ssi-installed"
    stamp.write_text("dev-0123456789abcdef\n")

    result = _sourced(project, 'ensure_venv ""')

    assert result.returncode == 0, result.stderr
    assert "Installing" not in result.stdout + result.stderr
    assert stamp.read_text().splitlines() == ["dev-0123456789abcdef", _stamp_of(project, "runtime")]


def test_the_dev_stamp_serves_the_demo_without_reading_the_packages(project):
    stamp = project / ".venv" / ".ssi-installed"
    stamp.write_text(_stamp_of(project, "dev") + "\n")

    result = _sourced(project, 'ensure_venv ""')

    assert result.returncode == 0, result.stderr
    assert stamp.read_text().splitlines() == [_stamp_of(project, "dev")]


@pytest.mark.parametrize(
    "lock",
    [
        "django==1.0 \\\n    --hash=sha256:00\n",  # another version than the one installed
        "not-a-package-anyone-installed==1.0 \\\n    --hash=sha256:00\n",
        "# a lock pinning nothing\n",
    ],
)
def test_a_lock_the_venv_does_not_hold_is_not_taken_for_installed(project, lock):
    (project / "other.txt").write_text(lock)

    result = _sourced(project, "lock_installed other.txt && echo held || echo missing")

    assert result.stdout.strip() == "missing"


def test_a_package_pinned_for_another_platform_only_is_not_required(project):
    (project / "other.txt").write_text(
        "not-a-package-anyone-installed==1.0 ; sys_platform == 'win32' \\\n    --hash=sha256:00\n"
    )

    result = _sourced(project, "lock_installed other.txt && echo held || echo missing")

    assert result.stdout.strip() == "held"
