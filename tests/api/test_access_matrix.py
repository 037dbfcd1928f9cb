"""Every operation of the live schema × every kind of caller: the back office of the raising
Supplier, of the installing Supplier, of a third Supplier, a client lacking the operation's
scope, a revoked client, an expired token, no token.

Each operation is classified here (a new operation fails the test until it is): which callers
may succeed, on which object. Zero unauthorised successes; a third Supplier's call on another's
object answers exactly as one on a missing object; on a collection, it sees nothing of others.
"""

import datetime as dt
import json
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from api.models import ApiScope
from api.services import api_client_revoke
from conftest import INSTALL_CODE_WITH_CRC
from incidents.models import EventKind, Incident, LodgedCode
from incidents.services import incident_answer, incident_raise
from tests.factories import DeviceFactory
from tests.support.bulk import RAISE_HEADER, run

from .conftest import ApiCaller, bearer, make_client

pytestmark = pytest.mark.django_db

SUPPLIERS = ("raiser", "installer", "third")
UNAUTHENTICATED = ("revoked", "expired", "anonymous")
CALLERS = (*SUPPLIERS, "no_scope", *UNAUTHENTICATED)
EVERYONE = frozenset(SUPPLIERS)


@dataclass(frozen=True)
class Op:
    """How to call an operation: on which object of the world (``target``, for a path
    parameter), with what body, and which Suppliers' clients may succeed. ``sees_nothing``: a
    check that a caller not among ``owners`` got nothing of anyone else's."""

    method: str
    path: str
    owners: frozenset
    target: str = ""
    body: object = None
    content_type: str = "application/json"
    sees_nothing: object = None
    scopes: tuple = ()


def _empty_list(response, world):
    assert response.json()["results"] == []


def _not_eligible(response, world):
    body = response.json()
    assert body["eligible"] is False and world["answered"].reference not in body["message"]


def _nothing_lodged(response, world):
    assert response.json()["lodged"] == 0
    assert LodgedCode.objects.count() == 1  # the installer's, lodged before


def _nothing_withdrawn(response, world):
    assert response.json()["withdrawn"] == 0
    assert LodgedCode.objects.count() == 1


OPERATIONS = {
    "client_get": Op("get", "/api/v1/client/", EVERYONE, scopes=()),
    "compliance_get": Op("get", "/api/v1/compliance/", EVERYONE, scopes=("read",)),
    "device_raise_preview": Op(
        "get",
        "/api/v1/devices/{device}/",
        frozenset({"raiser"}),
        target="device",
        sees_nothing=_not_eligible,
        scopes=("raise",),
    ),
    "requests_list": Op(
        "get",
        "/api/v1/requests/",
        frozenset({"raiser", "installer"}),
        sees_nothing=_empty_list,
        scopes=("read",),
    ),
    "request_raise": Op(
        "post",
        "/api/v1/requests/",
        frozenset({"raiser"}),
        body={"device_id": "{fresh}"},
        scopes=("raise",),
    ),
    "request_get": Op(
        "get",
        "/api/v1/requests/{answered}/",
        frozenset({"raiser", "installer"}),
        "answered",
        scopes=("read",),
    ),
    "request_answer": Op(
        "post",
        "/api/v1/requests/{awaiting}/answer/",
        frozenset({"installer"}),
        "awaiting",
        {"install_code": INSTALL_CODE_WITH_CRC},
        scopes=("answer",),
    ),
    "request_not_installed": Op(
        "post",
        "/api/v1/requests/{awaiting}/not-installed/",
        frozenset({"installer"}),
        "awaiting",
        {"reason": "Not ours."},
        scopes=("answer",),
    ),
    "request_reveal": Op(
        "post",
        "/api/v1/requests/{answered}/reveal/",
        frozenset({"raiser", "installer"}),
        "answered",
        scopes=("reveal",),
    ),
    "request_code_failed": Op(
        "post",
        "/api/v1/requests/{answered}/code-failed/",
        frozenset({"raiser"}),
        "answered",
        {"reason": "HAN join failed."},
        scopes=("raise",),
    ),
    "request_close": Op(
        "post",
        "/api/v1/requests/{answered}/close/",
        frozenset({"raiser"}),
        "answered",
        {"outcome": "code_worked"},
        scopes=("raise",),
    ),
    "request_note_add": Op(
        "post",
        "/api/v1/requests/{answered}/notes/",
        frozenset({"raiser", "installer"}),
        "answered",
        {"text": "A note."},
        scopes=("raise", "answer"),
    ),
    # A file of one's own: every Supplier may submit one (its rows are judged later).
    "bulk_job_create": Op(
        "post",
        "/api/v1/bulk-jobs/?kind=raise",
        EVERYONE,
        body=f"{RAISE_HEADER}\n00-DB-FF-FF-FF-FF-FF-01,R1\n",
        content_type="text/csv",
        scopes=("raise",),
    ),
    "bulk_job_get": Op(
        "get", "/api/v1/bulk-jobs/{job}/", frozenset({"raiser"}), "job", scopes=("read",)
    ),
    "bulk_job_results": Op(
        "get", "/api/v1/bulk-jobs/{job}/results/", frozenset({"raiser"}), "job", scopes=("read",)
    ),
    "lodged_codes_lodge": Op(
        "post",
        "/api/v1/lodged-codes/",
        frozenset({"installer"}),
        body=[{"device_id": "{fresh}", "install_code": INSTALL_CODE_WITH_CRC}],
        sees_nothing=_nothing_lodged,
        scopes=("answer",),
    ),
    "lodged_codes_withdraw": Op(
        "post",
        "/api/v1/lodged-codes/withdraw/",
        frozenset({"installer"}),
        body=["{lodged}"],
        sees_nothing=_nothing_withdrawn,
        scopes=("answer",),
    ),
}


def test_every_operation_of_the_schema_is_classified(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    listed = {
        operation["operationId"]
        for operations in json.loads(schema.content)["paths"].values()
        for operation in operations.values()
    }
    assert listed == set(OPERATIONS)


def test_the_schema_documents_each_operation_s_scopes(client):
    schema = json.loads(
        client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content
    )
    for operations in schema["paths"].values():
        for operation in operations.values():
            documented = {s for r in operation["security"] for s in r["oauth2"]}
            assert set(OPERATIONS[operation["operationId"]].scopes) <= documented


@pytest.fixture
def world(gaining_user, installing_user, installing_supplier, device):
    """A request answered, one awaiting its answer, a Device free to raise or lodge for, a
    code lodged by the installer, and a bulk job of the raiser."""
    from incidents.services.lodged import lodged_codes_lodge

    answered = incident_answer(
        actor=installing_user,
        incident=incident_raise(actor=gaining_user, device_id=device.device_id),
        install_code=INSTALL_CODE_WITH_CRC,
    )
    waiting_device = DeviceFactory(installing_supplier=installing_supplier)
    awaiting = incident_raise(actor=gaining_user, device_id=waiting_device.device_id)
    lodged = DeviceFactory(installing_supplier=installing_supplier)
    lodged_codes_lodge(actor=installing_user, items=[(lodged.device_id, INSTALL_CODE_WITH_CRC)])
    return {
        "answered": answered,
        "awaiting": awaiting,
        "device": DeviceFactory(installing_supplier=installing_supplier),
        "fresh": DeviceFactory(installing_supplier=installing_supplier).device_id,
        "lodged": lodged.device_id,
        "job": run(gaining_user, "raise", RAISE_HEADER, "00-DB-FF-FF-FF-FF-FF-02,J1"),
    }


def _value(world, name):
    item = world[name]
    return str(getattr(item, "public_id", None) or getattr(item, "device_id", item))


def _fill(template, world):
    if isinstance(template, str):
        for name in world:
            template = template.replace("{" + name + "}", _value(world, name))
        return template
    if isinstance(template, list):
        return [_fill(item, world) for item in template]
    if isinstance(template, dict):
        return {key: _fill(value, world) for key, value in template.items()}
    return template


def _caller(kind, needed: set, suppliers) -> ApiCaller | Client:
    """A client of the kind asked for, with its token (none for ``anonymous``)."""
    if kind == "anonymous":
        return Client()
    supplier = {"raiser": "gaining", "installer": "installing", "third": "other"}.get(kind)
    scopes = tuple(ApiScope.values)
    if kind == "no_scope":
        scopes = tuple(s for s in ApiScope.values if s not in needed)
    api_client, secret = make_client(
        suppliers[supplier or "gaining"], name=f"{kind} client", scopes=scopes
    )
    api = ApiCaller(api_client, secret, bearer(api_client, secret))
    if kind == "expired":
        AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    if kind == "revoked":
        admin = suppliers["gaining"].users.get(is_supplier_admin=True, is_service_account=False)
        api_client_revoke(actor=admin, client_id=api_client.pk)
    return api


def _call(api, op, world, *, path=None):
    path = path or _fill(op.path, world)
    body = _fill(op.body, world)
    if op.method == "get":
        return api.get(path)
    data = body.encode() if op.content_type != "application/json" else body or {}
    return api.post(path, data, content_type=op.content_type)


def _strip(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("instance", "request_id")}


@pytest.mark.parametrize("kind", CALLERS)
@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_no_call_succeeds_that_should_not(
    operation_id, kind, world, gaining_supplier, installing_supplier, other_supplier, settings
):
    settings.SSI_API_RATE = "off"
    op = OPERATIONS[operation_id]
    suppliers = {
        "gaining": gaining_supplier,
        "installing": installing_supplier,
        "other": other_supplier,
    }
    needed = set(op.scopes)
    if kind == "no_scope" and not needed:
        pytest.skip("the operation needs no scope: a client reads its own set-up")
    before = (Incident.objects.count(), _events(), LodgedCode.objects.count())
    api = _caller(kind, needed, suppliers)
    response = _call(api, op, world)
    status = response.status_code
    if kind in UNAUTHENTICATED:
        assert status == 401, (operation_id, kind, response.content)
        assert (Incident.objects.count(), _events(), LodgedCode.objects.count()) == before
        return
    if kind == "no_scope":
        assert status == 403 and response.json()["code"] == "insufficient_scope", response.content
        assert (Incident.objects.count(), _events(), LodgedCode.objects.count()) == before
        return
    if kind in op.owners:
        assert 200 <= status < 300, (operation_id, kind, response.content)
        return
    if op.sees_nothing is not None and 200 <= status < 300:
        op.sees_nothing(response, world)
        return
    assert status >= 400, (operation_id, kind, status, response.content)
    assert status != 500
    if op.target and op.target != "device" and kind == "third":
        assert status == 404, response.content
    if op.target and status == 404:
        # Another's object answers exactly as a missing one.
        missing = dict(world)
        missing[op.target] = uuid.uuid4()
        if op.target == "device":
            missing["device"] = "00-DB-FF-FF-FF-FF-FF-09"
        gone = _call(api, op, world, path=_fill(op.path, missing))
        assert gone.status_code == status
        assert _strip(gone.json()) == _strip(response.json())
    if status < 500 and op.method == "post" and operation_id != "bulk_job_create":
        assert (Incident.objects.count(), _events(), LodgedCode.objects.count()) == before


def _events() -> int:
    from incidents.models import IncidentEvent

    return IncidentEvent.objects.exclude(kind=EventKind.CODE_REVEALED).count()
