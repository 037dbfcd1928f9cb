"""The smoke journey over HTTP, as the TLS-terminating proxy would pass it on: every request
says ``X-Forwarded-Proto: https`` (the header production's SECURE_PROXY_SSL_HEADER trusts from
loopback) and carries the browser's ``Origin``. The raiser and the installer sign in with
password and authenticator code, each on a gunicorn of its own."""

import json
import os
import re
import time
from dataclasses import dataclass

from tests.support.gunicorn import Answer, PortalClient

from .processes import StackError
from .seed import Person

REVEALED = re.compile(r'id="revealed-code">([^<]+)</p>')


def expect(condition: bool, what: str, answer: Answer | None = None) -> None:
    if not condition:
        detail = f" (HTTP {answer.status}: {answer.body[-600:]!r})" if answer is not None else ""
        raise StackError(f"{what}{detail}")


def browser(port: int) -> PortalClient:
    origin = f"https://127.0.0.1:{port}"
    return PortalClient(port, headers={"X-Forwarded-Proto": "https", "Origin": origin})


def probes(port: int) -> None:
    """/healthz and /readyz, over plain HTTP as a load balancer asks."""
    client = PortalClient(port)
    health = client.request("GET", "/healthz")
    expect(health.status == 200 and json.loads(health.body) == {"status": "ok"}, "/healthz", health)
    ready = client.request("GET", "/readyz")
    expect(ready.status == 200 and json.loads(ready.body)["status"] == "ready", "/readyz", ready)


def sign_in(port: int, person: Person) -> PortalClient:
    client = browser(port)
    answer = client.login(person.username, person.password)
    location = answer.headers.get("Location", "")
    expect(answer.status == 302 and "/accounts/login/code/" in location, "password step", answer)
    # A code is accepted once: a second sign-in in the same 30 s would wait for the next one.
    answer = client.submit(location, {"otp_token": person.code()})
    location = answer.headers.get("Location", "")
    expect(answer.status == 302 and "/accounts/login" not in location, "code step", answer)
    return client


@dataclass(frozen=True)
class JourneyResult:
    seconds: float
    incident_path: str
    raiser: PortalClient


def journey(ports: tuple[int, int], raiser: Person, installer: Person, device_id: str):
    """Raise, answer, reveal, close: each step through the pages, checked."""
    started = time.perf_counter()
    gaining = sign_in(ports[0], raiser)
    answer = gaining.submit("/incidents/new/", {"device_id": device_id})
    expect(answer.status == 302, "raising a request through the form", answer)
    incident = answer.headers["Location"]
    expect(re.fullmatch(r"/incidents/[0-9a-f-]{36}/", incident) is not None, "the request's page")
    page = gaining.request("GET", incident)
    expect(page.status == 200 and device_id in page.body, "the raiser's page of it", page)

    installing = sign_in(ports[1], installer)
    worklist = installing.request("GET", "/incidents/assigned/")
    expect(device_id in worklist.body, "the request on the installer's worklist", worklist)
    code = os.urandom(16).hex().upper()
    answer = installing.submit(incident, {"install_code": code}, action=f"{incident}answer/")
    expect(answer.status == 302, "answering with the install code", answer)

    answer = gaining.submit(incident, {}, action=f"{incident}reveal/")
    shown = REVEALED.search(answer.body)
    expect(answer.status == 200 and shown is not None, "revealing the code", answer)
    expect(shown.group(1).replace(" ", "") == code, "the revealed code is the one given")
    answer = gaining.submit(incident, {"outcome": "code_worked"}, action=f"{incident}close/")
    expect(answer.status == 302, "closing the request", answer)
    page = gaining.request("GET", incident)
    expect("Closed" in page.body, "the request shown closed", page)
    return JourneyResult(time.perf_counter() - started, incident, gaining)
