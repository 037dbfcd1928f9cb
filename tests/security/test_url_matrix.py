"""Every URL of the portal, classified for eight personas: who may read it, who may act on it.

Two personas hold no role: a user of the raising Supplier whose organisation has not given them
the role to raise, and a user of the installing Supplier without the role to answer. They see
their organisation's requests, but take none of the actions the roles give (the code included).

The table below must name every routed URL (the admin and static files aside): a new URL fails
``test_every_url_of_the_portal_is_classified`` until someone says who may use it. Objects in
URLs belong to the raising (gaining) Supplier, or to the incident it raised with the installing
Supplier. A foreign object answers exactly like a missing one (404, same page); a visible one the
persona may not touch is a 403; anonymous visitors are sent to the login page; a refused POST
changes nothing in the database.
"""

import re
import uuid
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import INSTALL_CODE_WITH_CRC

PERSONAS = [
    "raiser",
    "installer",
    "raiser_no_role",
    "installer_no_role",
    "other",
    "admin",
    "helpdesk",
    "anonymous",
]
SUPPLIERS = ["raiser", "installer", "raiser_no_role", "installer_no_role", "other", "admin"]
ROLE_LESS = ["raiser_no_role", "installer_no_role"]
MISSING_UUID = uuid.UUID("00000000-0000-4000-8000-000000000000")
MISSING_INT = 987_654_321
MISSING_DEVICE_ID = "00-DB-FF-FF-FF-FF-FF-01"


@dataclass(frozen=True)
class Route:
    """How to call one URL, and what each persona gets (302 for anonymous is implied)."""

    expected: dict[str, int]
    method: str = "get"
    # incident, answered, upload, member, contact, device, api_client, webhook,
    # webhook_delivery, or "" for none
    obj: str = ""
    data: dict = field(default_factory=dict)
    kwargs: dict = field(default_factory=dict)
    anonymous: int = 302


def everyone(status: int, **overrides: int) -> dict[str, int]:
    return {**dict.fromkeys(SUPPLIERS + ["helpdesk"], status), **overrides}


def suppliers_only(status: int = 200, **overrides: int) -> dict[str, int]:
    return everyone(status, helpdesk=403, **overrides)


def admin_only(status: int) -> dict[str, int]:
    return everyone(403, admin=status)


def with_a_role(status: int = 200) -> dict[str, int]:
    """Pages for Supplier users holding the role the page is for (the role-less are refused)."""
    return suppliers_only(status, **dict.fromkeys(ROLE_LESS, 403))


# What the raiser's incident answers to each persona (test_access.py has the reasons); the
# role-less personas may see it but take no action that needs a role.
NO_ROLE = dict.fromkeys(ROLE_LESS, 403)
INCIDENT_ACTION = {
    "raiser": 403,
    "installer": 302,
    "other": 404,
    "admin": 403,
    "helpdesk": 403,
    **NO_ROLE,
}
RAISER_ACTION = {
    "raiser": 302,
    "installer": 403,
    "other": 404,
    "admin": 302,
    "helpdesk": 403,
    **NO_ROLE,
}
# Revealing needs the role to raise (raising Supplier) or to answer (providing Supplier).
REVEAL = {
    "raiser": 200,
    "installer": 200,
    "other": 404,
    "admin": 200,
    "helpdesk": 403,
    **NO_ROLE,
}
# A bulk upload is its Supplier's alone; the helpdesk has no bulk pages at all.
OWN_UPLOAD = {
    "raiser": 200,
    "installer": 404,
    "raiser_no_role": 200,
    "installer_no_role": 404,
    "other": 404,
    "admin": 200,
    "helpdesk": 403,
}

ROUTES: dict[str, Route] = {
    # --- incidents --------------------------------------------------------------------------
    "incidents:home": Route(everyone(200)),
    "incidents:raise": Route(with_a_role()),
    "incidents:raised": Route(suppliers_only()),
    "incidents:assigned": Route(suppliers_only()),
    "incidents:disclaimed": Route(suppliers_only()),
    "incidents:detail": Route(everyone(200, other=404), obj="incident"),
    "incidents:answer": Route(
        INCIDENT_ACTION, "post", "incident", {"install_code": INSTALL_CODE_WITH_CRC}
    ),
    "incidents:not_installed": Route(
        INCIDENT_ACTION, "post", "incident", {"reason": "", "confirm": "yes"}
    ),
    "incidents:reveal": Route(REVEAL, "post", "answered"),
    "incidents:code_failed": Route(RAISER_ACTION, "post", "answered", {"reason": "Rejected."}),
    "incidents:close": Route(RAISER_ACTION, "post", "incident", {"outcome": "no_longer_needed"}),
    # The Device of the raiser's incident: the raiser is registered for its meter point, the
    # installer pre-notified it; the third Supplier has no link to it.
    "incidents:device": Route(everyone(200, other=404), obj="device"),
    "incidents:note": Route(
        everyone(302, other=404), "post", "incident", {"text": "Site visit booked."}
    ),
    "incidents:compliance": Route(everyone(200, helpdesk=302)),
    "incidents:compliance_csv": Route(suppliers_only()),
    "incidents:compliance_all": Route(everyone(403, helpdesk=200)),
    "incidents:compliance_all_csv": Route(everyone(403, helpdesk=200)),
    "incidents:worklist_csv": Route(suppliers_only()),
    "incidents:raised_csv": Route(suppliers_only()),
    "incidents:bulk_history": Route(suppliers_only()),
    "incidents:bulk_raise": Route(with_a_role()),
    "incidents:bulk_answer": Route(with_a_role()),
    "incidents:bulk_lodge": Route(with_a_role()),
    "incidents:bulk_sample": Route(everyone(200), kwargs={"kind": "raise"}),
    "incidents:bulk_detail": Route(OWN_UPLOAD, obj="upload"),
    "incidents:bulk_status": Route(OWN_UPLOAD, obj="upload"),
    "incidents:bulk_results": Route(OWN_UPLOAD, obj="upload"),
    # --- an organisation's users, for its administrators ------------------------------------
    "users:list": Route(admin_only(200)),
    "users:invite": Route(admin_only(200)),
    "users:detail": Route(admin_only(200), obj="member"),
    "users:deactivate": Route(admin_only(302), "post", "member"),
    "users:reactivate": Route(admin_only(302), "post", "member"),
    "users:invite_again": Route(admin_only(302), "post", "member"),
    "users:reset_mfa": Route(admin_only(302), "post", "member"),
    # --- an organisation's webhooks, for its administrators ---------------------------------
    "webhooks:list": Route(admin_only(200)),
    "webhooks:add": Route(admin_only(200)),
    "webhooks:detail": Route(admin_only(200), obj="webhook"),
    "webhooks:edit": Route(admin_only(200), obj="webhook"),
    "webhooks:secret": Route(admin_only(200), obj="webhook"),
    "webhooks:rotate": Route(admin_only(302), "post", "webhook"),
    "webhooks:disable": Route(admin_only(302), "post", "webhook"),
    "webhooks:enable": Route(admin_only(302), "post", "webhook"),
    "webhooks:delete": Route(admin_only(200), obj="webhook"),
    "webhooks:redeliver": Route(admin_only(302), "post", "webhook_delivery"),
    # --- an organisation's API clients, for its administrators --------------------------------
    # Each page of a client shows a form on GET and acts on POST (rotating and revoking behind
    # the confirmation the GET shows): the POSTs are in test_csrf.py's FORM_PAGES and the
    # client pages' own tests (tests/api/test_client_pages.py).
    "api_clients:list": Route(admin_only(200)),
    "api_clients:create": Route(admin_only(200)),
    "api_clients:detail": Route(admin_only(200), obj="api_client"),
    "api_clients:rotate": Route(admin_only(200), obj="api_client"),
    "api_clients:revoke": Route(admin_only(200), obj="api_client"),
    # --- the organisation's emails and addresses --------------------------------------------
    "notifications:sent_emails": Route(suppliers_only()),
    "notifications:contacts": Route(suppliers_only()),
    "notifications:contact_remove": Route(admin_only(302), "post", "contact"),
    # --- health, for load balancers: no login, nothing revealed -------------------------------
    "healthz": Route(everyone(200), anonymous=200),
    # The machine API takes bearer tokens, never a session: a signed-in browser gets nothing
    # more than anyone else (tests/api/ has the API's own matrix, client by client).
    "api:token": Route(everyone(400), method="post", anonymous=400),
    "api:schema": Route(everyone(200), anonymous=200),
    "api:docs": Route(everyone(200), anonymous=200),
    "api:client": Route(everyone(401), anonymous=401),
    "api:bulk_jobs": Route(everyone(401), method="post", anonymous=401),
    "api:bulk_job": Route(everyone(401), obj="upload", anonymous=401),
    "api:bulk_job_results": Route(everyone(401), obj="upload", anonymous=401),
    "api:lodged_codes": Route(everyone(401), method="post", anonymous=401),
    "api:lodged_codes_withdraw": Route(everyone(401), method="post", anonymous=401),
    "api:compliance": Route(everyone(401), anonymous=401),
    "api:device": Route(everyone(401), obj="device", anonymous=401),
    "api:requests": Route(everyone(401), anonymous=401),
    "api:request": Route(everyone(401), obj="incident", anonymous=401),
    "api:request_answer": Route(everyone(401), "post", "incident", anonymous=401),
    "api:request_not_installed": Route(everyone(401), "post", "incident", anonymous=401),
    "api:request_reveal": Route(everyone(401), "post", "incident", anonymous=401),
    "api:request_code_failed": Route(everyone(401), "post", "incident", anonymous=401),
    "api:request_close": Route(everyone(401), "post", "incident", anonymous=401),
    "api:request_notes": Route(everyone(401), "post", "incident", anonymous=401),
    "readyz": Route(everyone(200), anonymous=200),
    # --- operations: metrics for Prometheus, the helpdesk's operations page -------------------
    # The test settings serve /metrics without a token (SSI_METRICS_OPEN); production refuses
    # to start without one, and then answers 401 to any session (tests/operations).
    "metrics": Route(everyone(200), anonymous=200),
    "operations:home": Route(everyone(403, helpdesk=200)),
    # --- signing in and one's own account ---------------------------------------------------
    "login": Route(everyone(302), anonymous=200),
    "logout": Route(everyone(302), "post"),
    "accounts:account": Route(everyone(200)),
    "accounts:login_code": Route(everyone(302)),
    "accounts:password_change": Route(everyone(200)),
    "accounts:mfa_setup": Route(everyone(200)),
    "accounts:mfa_qr": Route(everyone(404)),
    "accounts:mfa_remove": Route(everyone(400), "post"),
    "accounts:mfa_backup_codes": Route(everyone(400), "post"),
    "accounts:set_password": Route(
        everyone(200), kwargs={"uidb64": "MQ", "token": "set-password"}, anonymous=200
    ),
}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}" if pattern.name else None


def portal_url_names() -> dict[str, str]:
    """Route name -> pattern, for every URL outside the admin and static files."""
    found = {}
    for route, name in _walk(get_resolver().url_patterns):
        if route.startswith(("static/", "media/")):
            continue
        assert name, f"URL pattern {route!r} has no name: name it and classify it here."
        found[name] = route
    return found


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


# Rows a request may legitimately touch whatever its answer: the audit log of refusals.
UNWATCHED = {"accounts.SecurityEvent"}


def database_snapshot() -> dict[str, list]:
    """Every row of the portal's own apps, to compare before and after a refused request."""
    snapshot = {}
    for model in apps.get_models():
        label = model._meta.label
        if model._meta.app_label not in (
            "accounts",
            "incidents",
            "inventory",
            "notifications",
            "webhooks",
            "api",
            "oauth2_provider",
        ):
            continue
        if label in UNWATCHED:
            continue
        rows = list(model.objects.order_by("pk").values())
        for row in rows:
            row.pop("last_login", None)  # set by force_login before the request
        snapshot[label] = rows
    return snapshot


# --- Fixtures: personas, client_as and owned_objects are in conftest.py ----------------------


def missing_kwargs(kind: str) -> dict:
    if kind in ("incident", "answered", "upload", "webhook"):
        return {"public_id": MISSING_UUID}
    if kind == "webhook_delivery":
        return {"public_id": MISSING_UUID, "delivery_id": MISSING_INT}
    if kind == "device":
        return {"device_id": MISSING_DEVICE_ID}
    names = {"member": "user_id", "contact": "contact_id", "api_client": "client_id"}
    return {names[kind]: MISSING_INT}


def call(client: Client, route: Route, url: str):
    return getattr(client, route.method)(url, route.data)


# --- Tests ----------------------------------------------------------------------------------


def test_every_url_of_the_portal_is_classified():
    routed = set(portal_url_names())
    unclassified = routed - set(ROUTES)
    assert not unclassified, f"Classify these URLs in ROUTES: {sorted(unclassified)}"


def test_the_table_names_no_url_that_does_not_exist():
    stale = set(ROUTES) - set(portal_url_names())
    assert not stale, f"These routes no longer exist: {sorted(stale)}"


ROUTED_NOW = sorted(set(ROUTES) & set(portal_url_names()))
CASES = [(name, persona) for name in ROUTED_NOW for persona in PERSONAS]


@pytest.mark.parametrize(("name", "persona"), CASES)
def test_each_persona_gets_exactly_its_answer_from_each_url(
    name, persona, client_as, owned_objects
):
    route = ROUTES[name]
    kwargs = {**route.kwargs, **owned_objects(route.obj)}
    url = reverse(name, kwargs=kwargs)
    client = client_as(persona)
    expected = route.anonymous if persona == "anonymous" else route.expected[persona]
    before = database_snapshot() if route.method == "post" and expected >= 400 else None

    response = call(client, route, url)

    assert response.status_code == expected, (name, persona, response.status_code)
    if name.startswith("incidents:"):
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        assert {"no-store", "private"} <= directives, (name, persona, directives)
    if persona == "anonymous" and expected == 302:
        assert response["Location"].startswith(reverse("login"))
    if before is not None:
        assert database_snapshot() == before, f"refused {name} for {persona} changed data"


OBJECT_CASES = [
    (name, persona)
    for name in ROUTED_NOW
    if ROUTES[name].obj
    for persona in PERSONAS[:-1]
    if ROUTES[name].expected[persona] == 404
]


@pytest.mark.parametrize(("name", "persona"), OBJECT_CASES)
def test_a_foreign_object_answers_exactly_like_a_missing_one(
    name, persona, client_as, owned_objects
):
    route = ROUTES[name]
    foreign_url = reverse(name, kwargs=owned_objects(route.obj))
    missing_url = reverse(name, kwargs=missing_kwargs(route.obj))
    client = client_as(persona)

    foreign = call(client, route, foreign_url)
    missing = call(client, route, missing_url)

    assert foreign.status_code == missing.status_code == 404
    assert without_csrf(foreign.content) == without_csrf(missing.content)


ADMIN_OBJECT_ROUTES = [
    n
    for n in ROUTED_NOW
    if ROUTES[n].obj in ("member", "contact", "api_client", "webhook", "webhook_delivery")
]


@pytest.mark.parametrize("name", ADMIN_OBJECT_ROUTES)
def test_another_organisations_administrator_finds_nothing_of_ours(
    name, installing_supplier, client, owned_objects
):
    from tests.factories import UserFactory

    client.force_login(
        UserFactory(username="instadmin", supplier=installing_supplier, is_supplier_admin=True)
    )
    route = ROUTES[name]
    foreign_url = reverse(name, kwargs=owned_objects(route.obj))
    before = database_snapshot()

    foreign = call(client, route, foreign_url)
    missing = call(client, route, reverse(name, kwargs=missing_kwargs(route.obj)))

    assert foreign.status_code == missing.status_code == 404
    assert without_csrf(foreign.content) == without_csrf(missing.content)
    assert database_snapshot() == before
