"""The lock files say exactly what every machine installs: they must agree with pyproject.toml's
pins and carry a hash for every package (scripts/_venv.sh installs them with hashes required)."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _locked(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    pins = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(entry)
        if match:
            assert "--hash=sha256:" in entry, f"{lock}: {match.group(1)} has no hash"
            pins[_name(match.group(1))] = match.group(2)
    return pins


def _pinned(extra: str | None) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    if extra:
        wanted += project["optional-dependencies"][extra]
    pins = {}
    for requirement in wanted:
        match = PIN.match(requirement)
        assert match, f"pyproject.toml: {requirement!r} is not pinned with =="
        pins[_name(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize(("lock", "extra"), [("runtime.txt", None), ("dev.txt", "dev")])
def test_the_lock_file_holds_every_pin_of_pyproject_at_its_version(lock, extra):
    locked = _locked(lock)
    differing = {
        name: (version, locked.get(name))
        for name, version in _pinned(extra).items()
        if locked.get(name) != version
    }
    assert not differing, f"run scripts/lock: pyproject.toml and {lock} differ: {differing}"


def test_the_runtime_lock_is_the_dev_lock_without_the_tools():
    runtime, dev = _locked("runtime.txt"), _locked("dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime
