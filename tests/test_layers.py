"""The apps are floors: each imports only from the floors below it.

``ssi_portal/lib`` < ``notifications`` < ``accounts`` < ``webhooks`` < ``inventory`` <
``incidents`` < ``api`` < ``operations``. The project's settings, URL conf and Celery app wire
the floors together and may import any of them; migrations name other apps' models by label,
never by import, and are left out.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = [
    "ssi_portal.lib",
    "notifications",
    "accounts",
    "webhooks",
    "inventory",
    "incidents",
    "api",
    "operations",
]


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


# --- One scheme for every layer -------------------------------------------------------------

LAYERS = ("views", "selectors", "forms", "services", "urls", "admin")
MAX_LINES = 400


def _product_files():
    for _level, relative in _sources():
        yield relative
    for path in sorted((ROOT / "ssi_portal").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[1] != "lib":  # the lib is a floor, listed above
            yield relative


def long_files() -> list[str]:
    return [
        f"{relative}: {n} lines"
        for relative in _product_files()
        if (n := len((ROOT / relative).read_text().splitlines())) > MAX_LINES
    ]


def private_imports() -> list[str]:
    """``from x import _name`` where x is one of the project's modules: a helper used by two
    modules is public in one of them."""
    found = []
    for relative in _product_files():
        tree = ast.parse((ROOT / relative).read_text(), filename=str(relative))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = node.module or ""
            if not node.level and _floor_of(module) is None and not module.startswith("ssi_portal"):
                continue  # a library's own private names are its business
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{relative}:{node.lineno} imports {alias.name} from {module}")
    return found


def layer_modules_by_suffix() -> list[str]:
    """Layers are packages (``views/``, ``selectors/``…) whose modules are named by concern, never
    modules named ``views_bulk.py`` or ``selectors_registration.py`` beside them."""
    found = []
    for relative in _product_files():
        stem = relative.stem
        if any(stem.startswith(layer + "_") for layer in LAYERS) and relative.parts[-2] not in (
            "migrations",
            "commands",
        ):
            found.append(str(relative))
    return found


def test_no_product_file_is_over_400_lines():
    assert long_files() == []


def test_no_private_name_is_imported_from_another_module():
    assert private_imports() == []


def test_layers_are_packages_not_name_suffixes():
    assert layer_modules_by_suffix() == []


def test_the_scheme_checks_find_what_they_look_for(tmp_path, monkeypatch):
    """Each check would fail: a long file, a private import, a suffixed module."""
    app = tmp_path / "incidents"
    app.mkdir()
    (tmp_path / "ssi_portal").mkdir()
    (app / "views_bulk.py").write_text("from .common import _guard\n" + "x = 1\n" * 400)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert long_files() == ["incidents/views_bulk.py: 401 lines"]
    assert private_imports() == ["incidents/views_bulk.py:1 imports _guard from common"]
    assert layer_modules_by_suffix() == ["incidents/views_bulk.py"]
