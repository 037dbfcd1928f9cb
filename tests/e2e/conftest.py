"""Browser journeys: one Chromium for the session, a fresh context (cookies, storage) per user."""

import os

import pytest

# The access matrix's personas and their objects, as its own tests see them (the page crawl
# visits every URL it classifies).
from tests.security.conftest import (  # noqa: F401
    owned_objects,
    personas,
    supplier_admin,
    webhook_objects,
)
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.fixtures import (  # noqa: F401 (fixtures)
    celery_worker,
    smtp_server,
    worker_started_later,
)


def pytest_collection_modifyitems(config, items):
    # Once the browser starts, Playwright keeps an asyncio loop marked as running in the main
    # thread until the session ends; run the browser journeys last so no other test (an
    # async_to_sync call, say) ever runs beside that loop.
    in_browser = [item for item in items if "browser" in item.keywords]
    items[:] = [item for item in items if "browser" not in item.keywords] + in_browser


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop marked as running in this thread between
    # calls, so Django would refuse ORM calls from the test (SynchronousOnlyOperation). They
    # are in fact synchronous: allow them while the browser lives.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def new_page(browser):
    """Open a page in a context of its own: one per person in a journey, closed at the end.

    Every journey also proves the Content Security Policy holds: a message from the browser
    saying it refused something fails the test.
    """
    contexts = []
    refused: list[str] = []

    def open_page():
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                refused.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not refused, "The Content Security Policy refused:\n" + "\n".join(refused)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(autouse=True)
def _email_links_point_at_the_live_server(live_server, settings):
    settings.PORTAL_BASE_URL = live_server.url
