"""Driving Debian's Chromium through Playwright's sync API, and checking pages with axe-core."""

import os
from pathlib import Path

import axe_playwright_python
from playwright.sync_api import Page, expect

CHROMIUM = os.environ.get("SSI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = Path(axe_playwright_python.__file__).with_name("axe.min.js")
PASSWORD = "correct-horse-battery-staple"  # what tests/factories gives every user
BLOCKING_IMPACTS = ("serious", "critical")
# axe-core's default rules, plus WCAG 2.2's target size (2.5.8, 24 by 24 CSS pixels), which it
# leaves off by default: together, every WCAG 2.2 A and AA rule axe has.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


def login(page: Page, live_server, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page, as a person would, and land on the home page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def axe_violations(page: Page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content Security Policy
        # does not govern (an injected <script> tag would be refused, as it should be).
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return results["violations"]


def blocking_problems(page: Page) -> list[str]:
    """Each axe-core violation of impact serious or critical on the page as it is now."""
    lines = []
    for violation in axe_violations(page):
        if violation.get("impact") in BLOCKING_IMPACTS:
            nodes = violation["nodes"]
            targets = ", ".join(" ".join(map(str, node["target"])) for node in nodes[:5])
            if len(nodes) > 5:
                targets += f" and {len(nodes) - 5} more"
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} — {targets}"
            )
    return lines


def assert_accessible(page: Page) -> None:
    """Fail on any axe-core violation of impact serious or critical on the page as it is now."""
    blocking = blocking_problems(page)
    if blocking:
        header = f"axe found {len(blocking)} serious or critical problem(s) on {page.url}:"
        raise AssertionError("\n".join([header, *blocking]))
