# Sourced by scripts/demo and scripts/test: makes .venv with Python 3.12+ and installs the
# project's locked dependencies (again only when the lock file changes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  local candidate
  for candidate in "${SSI_PYTHON:-}" python3.13 python3.12 python3 \
      /root/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3 \
      "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

lock_installed() {  # $1: a lock file; whether .venv holds each package it pins for this machine
  .venv/bin/python - "$1" <<'PY' 2>/dev/null
import re
import sys
from importlib.metadata import PackageNotFoundError, version

from packaging.markers import Marker
from packaging.version import Version

pin = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
pins = 0
with open(sys.argv[1], encoding="utf-8") as lock:
    for line in lock:
        found = pin.match(line.rstrip("\n"))
        if not found:
            continue
        pins += 1
        name, pinned, marker = found.groups()
        if marker and not Marker(marker).evaluate():
            continue
        try:
            if Version(version(name)) != Version(pinned):
                sys.exit(1)
        except PackageNotFoundError:
            sys.exit(1)
sys.exit(0 if pins else 1)
PY
}

ensure_venv() {  # $1: the extras to install ("" for the portal alone, or "dev")
  local lock
  lock="requirements/${1:-runtime}.txt"
  [ "$lock" = "requirements/.txt" ] && lock=requirements/runtime.txt
  if [ ! -x .venv/bin/python ]; then
    local python
    python="$(find_python)" || {
      echo "The SSI Portal needs Python 3.12 or newer (Django 6.1); none was found." >&2
      echo "Install one (e.g. apt-get install python3.12 python3.12-venv) or set SSI_PYTHON." >&2
      exit 1
    }
    echo "Creating .venv with $("$python" --version)"
    "$python" -m venv .venv
  fi
  # The stamp records which lock files (by content) .venv holds; the dev lock holds the runtime
  # one, so a dev install serves the demo too.
  local stamp=.venv/.ssi-installed wanted_dev wanted
  wanted_dev="dev-$(sha256sum requirements/dev.txt | cut -c1-16)"
  wanted="${1:-runtime}-$(sha256sum "$lock" | cut -c1-16)"
  if [ -f "$stamp" ] && { grep -qx -- "$wanted_dev" "$stamp" || grep -qx -- "$wanted" "$stamp"; }; then
    return 0
  fi
  # A stamp of another lock (a .venv shared by two checkouts): if .venv already holds every
  # package of this lock at its pinned version, pip would change nothing; say so in the stamp.
  if lock_installed "$lock"; then
    echo "$wanted" >> "$stamp"
    return 0
  fi
  echo "Installing dependencies into .venv from $lock (hashes required) …"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3"
  # Every package, transitive ones included, is pinned with its hashes (scripts/lock writes the
  # file from pyproject.toml): two machines built a day apart install the same code, and a
  # file that differs from the one locked is refused.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    --require-hashes --no-deps -r "$lock"
  echo "$wanted" > "$stamp"
}
