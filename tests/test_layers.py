"""The apps are floors: each imports only from the floors below it.

``ssi_portal/lib`` < ``notifications`` < ``accounts`` < ``inventory`` < ``incidents``. The
project's settings, URL conf and Celery app wire the floors together and may import any of
them; migrations name other apps' models by label, never by import, and are left out.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["ssi_portal.lib", "notifications", "accounts", "inventory", "incidents"]


def _floor_of(module: str) -> int | None:
    for level, name in enumerate(FLOORS):
        if module == name or module.startswith(name + "."):
            return level
    return None


def _imports(path: Path, package: str):
    """(line, module) of every import in the file, relative ones made absolute."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # `from accounts import services` names a module too
                yield node.lineno, f"{module}.{alias.name}"


def _sources():
    for level, name in enumerate(FLOORS):
        folder = ROOT / name.replace(".", "/")
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            yield level, relative


def upward_imports() -> list[str]:
    found = []
    for level, relative in _sources():
        package = ".".join(relative.with_suffix("").parts[:-1])
        for line, module in _imports(ROOT / relative, package):
            target = _floor_of(module)
            if target is not None and target > level:
                found.append(f"{relative}:{line} imports {module} ({FLOORS[target]} is above)")
        if level == 0:  # the lowest floor imports no app at all
            for line, module in _imports(ROOT / relative, package):
                if module.split(".")[0] in FLOORS[1:]:
                    found.append(f"{relative}:{line} imports {module}")
    return sorted(set(found))


def test_no_app_imports_from_an_app_above_it():
    assert upward_imports() == []


def test_the_check_finds_an_upward_import(tmp_path, monkeypatch):
    """The test would fail if an app imported upward (here: notifications importing accounts)."""
    fake = tmp_path / "notifications"
    fake.mkdir()
    (fake / "leak.py").write_text("import os\n\nfrom accounts.models import Supplier\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert upward_imports() == [
        "notifications/leak.py:3 imports accounts.models (accounts is above)",
        "notifications/leak.py:3 imports accounts.models.Supplier (accounts is above)",
    ]
