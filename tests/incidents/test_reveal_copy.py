"""The copy button beside a revealed install code: a real button for the script in static/js
to bring to life, only where a code is shown, and no script written into the page."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

BUTTON = re.compile(r"<button [^>]*id=\"copy-code\"[^>]*>Copy install code</button>")


def test_the_revealed_code_comes_with_a_copy_button_and_a_place_to_say_it_was_copied(
    client, gaining_user, answered_incident
):
    client.force_login(gaining_user)

    page = client.post(reverse("incidents:reveal", args=[answered_incident.public_id])).text

    button = BUTTON.search(page).group(0)
    assert 'type="button"' in button and 'data-copy-target="revealed-code"' in button
    # Shown by the script only where the browser can copy: no dead button without it.
    assert " hidden>" in button
    assert '<span id="copy-status" role="status"></span>' in page
    assert re.search(r'<script src="/static/js/copy_code\.js" defer></script>', page)


def test_the_page_without_a_revealed_code_has_no_copy_button(
    client, gaining_user, answered_incident
):
    client.force_login(gaining_user)

    page = client.get(reverse("incidents:detail", args=[answered_incident.public_id])).text

    assert "Copy install code" not in page and "copy_code.js" not in page


def test_no_script_is_written_into_the_revealed_page(client, gaining_user, answered_incident):
    client.force_login(gaining_user)

    page = client.post(reverse("incidents:reveal", args=[answered_incident.public_id])).text

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "onclick" not in page
