# Sourced by scripts/demo and scripts/test: makes .venv with Python 3.12+ and installs the
# project's pinned dependencies (again only when pyproject.toml changes).
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

ensure_venv() {  # $1: the extras to install ("" or "dev")
  local extras="$1" stamp wanted
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
  # The stamp records which pyproject.toml (and which extras) .venv was last installed from.
  wanted="$(sha256sum pyproject.toml | cut -c1-16)"
  stamp=.venv/.ssi-installed
  if [ -f "$stamp" ] && { grep -qx -- "${wanted}-dev" "$stamp" || grep -qx -- "${wanted}-${extras:-runtime}" "$stamp"; }; then
    return 0
  fi
  echo "Installing dependencies into .venv …"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  # The portal is an application, not a package: install the pinned requirements it lists.
  .venv/bin/python - "$extras" > .venv/requirements.txt <<'PY'
import sys
import tomllib

with open("pyproject.toml", "rb") as fh:
    project = tomllib.load(fh)["project"]
requirements = list(project["dependencies"])
if sys.argv[1]:
    requirements += project["optional-dependencies"][sys.argv[1]]
print("\n".join(requirements))
PY
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r .venv/requirements.txt
  echo "${wanted}-${extras:-runtime}" > "$stamp"
}
