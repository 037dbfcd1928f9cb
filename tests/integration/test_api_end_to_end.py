"""Two back offices and the portal, over HTTP, with no browser and no person: the gaining
Supplier's system raises a request through the API; the installing Supplier's system hears of
it by a signed webhook (a real receiver, verified with the ``standardwebhooks`` package, sent
by a real Celery worker on Redis), fetches it by the webhook's link and answers with the code;
the gaining system hears of that, reveals the code and closes the request, and the installing
system hears of both. The install code appears in no webhook, no log line and no problem."""

import base64
import json
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from standardwebhooks.webhooks import Webhook

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import Incident, IncidentStatus
from tests.api.conftest import make_client
from tests.support.fixtures import celery_worker  # noqa: F401 (a fixture)
from tests.support.waiting import wait_until
from tests.support.webhooks import Receiver, make_endpoint

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


class BackOffice:
    """A Supplier's system: its client credentials, a token got over HTTP, JSON calls."""

    def __init__(self, base: str, api_client, secret: str):
        self.base, self.api_client, self.secret = base, api_client, secret
        self.seen_bodies: list[str] = []
        basic = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()
        status, body = self._send(
            "/api/v1/oauth/token/",
            data=urlencode({"grant_type": "client_credentials"}).encode(),
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert status == 200, body
        self.token = body["access_token"]

    def _send(self, path_or_url, *, data=None, headers=None, method=None):
        url = path_or_url if path_or_url.startswith("http") else self.base + path_or_url
        request = Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310
        try:
            with urlopen(request, timeout=15) as answer:  # noqa: S310 (the live server)
                text = answer.read().decode()
                status, headers = answer.status, dict(answer.headers)
        except HTTPError as refused:
            text, status, headers = refused.read().decode(), refused.code, dict(refused.headers)
        self.seen_bodies.append(text)
        self.last_headers = headers
        return status, json.loads(text) if text else None

    def get(self, path_or_url):
        return self._send(path_or_url, headers={"Authorization": f"Bearer {self.token}"})

    def post(self, path_or_url, body=None, *, key=None):
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        return self._send(
            path_or_url, data=json.dumps(body or {}).encode(), headers=headers, method="POST"
        )


def heard(receiver: Receiver, secret: str, event_type: str, count: int = 1) -> list[dict]:
    """The verified payloads of ``event_type`` the receiver has accepted, once it has
    ``count`` of them."""

    def payloads():
        found = [
            Webhook(secret).verify(r.body, r.headers)
            for r in receiver.accepted()
            if json.loads(r.body)["type"] == event_type
        ]
        return found if len(found) >= count else None

    return wait_until(payloads, timeout=30, what=f"{count} × {event_type}")


@pytest.fixture
def receivers():
    gaining, installing = Receiver().start(), Receiver().start()
    yield gaining, installing
    gaining.stop()
    installing.stop()


def test_two_back_offices_settle_a_request_through_the_api_and_webhooks(
    celery_worker,  # noqa: F811
    live_server,
    settings,
    receivers,
    gaining_supplier,
    installing_supplier,
    device,
    caplog,
):
    settings.PORTAL_BASE_URL = live_server.url  # the webhooks' links lead to this server
    gaining_hooks, installing_hooks = receivers
    _, gaining_secret = make_endpoint(gaining_supplier, url=gaining_hooks.url)
    _, installing_secret = make_endpoint(installing_supplier, url=installing_hooks.url)
    gaining = BackOffice(live_server.url, *make_client(gaining_supplier, name="Gaining CRM"))
    installing = BackOffice(
        live_server.url, *make_client(installing_supplier, name="Installing assets")
    )

    # The gaining system checks the Device, then raises; its retry after a lost answer is
    # the same request.
    status, preview = gaining.get(f"/api/v1/devices/{device.device_id}/")
    assert (status, preview["eligible"]) == (200, True)
    status, raised = gaining.post("/api/v1/requests/", {"device_id": device.device_id}, key="r-1")
    assert status == 201, raised
    status, again = gaining.post("/api/v1/requests/", {"device_id": device.device_id}, key="r-1")
    assert (status, again) == (201, raised)
    assert Incident.objects.count() == 1

    # The installing system hears of it, and fetches it by the webhook's link.
    [told] = heard(installing_hooks, installing_secret, "request.raised")
    assert told["data"]["reference"] == raised["reference"]
    status, request = installing.get(told["data"]["links"]["self"])
    assert (status, request["side"], request["actions"]) == (
        200,
        "assigned",
        ["answer", "not_installed", "note"],
    )

    # A code pasted into a note by mistake is refused without being echoed; then it answers.
    status, refused = installing.post(
        f"/api/v1/requests/{request['id']}/notes/", {"text": f"Code: {INSTALL_CODE}"}
    )
    assert (status, refused["code"]) == (422, "contains_code")
    status, answered = installing.post(
        f"/api/v1/requests/{request['id']}/answer/",
        {"install_code": INSTALL_CODE_WITH_CRC},
        key="a-1",
    )
    assert (status, answered["status"]) == (200, IncidentStatus.CODE_PROVIDED)

    # The gaining system hears the answer, reveals the code and closes the request.
    [answer] = heard(gaining_hooks, gaining_secret, "request.answered")
    status, revealed = gaining.post(answer["data"]["links"]["self"] + "reveal/")
    assert status == 200 and revealed["install_code"] == INSTALL_CODE
    assert "no-store" in gaining.last_headers["Cache-Control"]
    status, closed = gaining.post(
        f"/api/v1/requests/{raised['id']}/close/", {"outcome": "code_worked"}, key="c-1"
    )
    assert (status, closed["status"]) == (200, IncidentStatus.CLOSED)

    # The installing system hears both; each event arrived once.
    heard(installing_hooks, installing_secret, "request.code_revealed")
    [done] = heard(installing_hooks, installing_secret, "request.closed")
    assert done["data"]["status"] == IncidentStatus.CLOSED
    for receiver in receivers:
        ids = [r.message_id for r in receiver.accepted()]
        assert len(ids) == len(set(ids))

    # The code was in the reveal's answer alone: no webhook, log line or other answer held it.
    bodies = [r.body.decode() for receiver in receivers for r in receiver.received]
    answers = [b for b in gaining.seen_bodies + installing.seen_bodies if '"install_code"' not in b]
    logged = [record.getMessage() for record in caplog.records]
    for text in bodies + answers + logged:
        squeezed = text.upper().replace(" ", "").replace("-", "")
        assert INSTALL_CODE not in squeezed, text
