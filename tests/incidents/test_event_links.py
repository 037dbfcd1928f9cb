"""An email's link to its incident's page is the page's address as ``reverse`` makes it, under
whatever script prefix the portal is served (the URL pattern is reversed once per prefix)."""

import pytest
from django.urls import reverse, set_script_prefix

from incidents.services import incident_raise
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def prefix():
    def served_under(value: str) -> None:
        set_script_prefix(value)

    yield served_under
    set_script_prefix("/")


@pytest.mark.parametrize("script_prefix", ["/", "/portal/", "/ssi/one/"])
def test_an_emails_link_is_the_pages_address_under_the_script_prefix(
    script_prefix, prefix, settings, gaining_user, device
):
    prefix(script_prefix)

    incident = incident_raise(actor=gaining_user, device_id=device.device_id)

    page = reverse("incidents:detail", kwargs={"public_id": incident.public_id})
    assert page.startswith(script_prefix)
    urls = set(Notification.objects.values_list("context__url", flat=True))
    assert urls == {settings.PORTAL_BASE_URL.rstrip("/") + page}
