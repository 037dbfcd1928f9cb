"""Every page the helpdesk reaches in the admin, and every page each persona reaches in the
portal, meets the portal's standard: no serious or critical axe-core violation (WCAG 2.2 AA) in
Chromium, no file it loads missing, nothing refused by the Content Security Policy, and no error
from the Nu Html Checker.

The pages come from the URL resolver, not from a list kept by hand: every admin URL of every
registered model the helpdesk may use (each change list also with facets, with each filter and
with a search), and every URL the access matrix (tests/security/test_url_matrix.py) classifies,
for each persona, with an incident in each state. A new URL is crawled as soon as it is routed;
one the crawl cannot build fails the test instead of being left out.
"""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import html5lib
import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.templatetags.static import static
from django.test import Client
from django.urls import URLPattern, URLResolver, resolve, reverse

from conftest import INSTALL_CODE_WITH_CRC
from incidents.models import Incident
from tests.factories import DeviceFactory
from tests.security.test_url_matrix import PERSONAS, ROUTED_NOW, ROUTES
from tests.support.browser import AXE_SCRIPT, blocking_problems
from tests.support.nu_checker import nu_errors

pytestmark = [pytest.mark.browser, pytest.mark.vnu]


ORIGIN = "http://testserver"
REDIRECTS = (301, 302, 303, 307, 308)
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


# jQuery (in the admin) runs its "document ready" work in timers, which may come after the
# load event that page.goto waits for (Select2 draws the autocomplete boxes then): wait for it.
SCRIPTS_READY = """() => new Promise(done => {
    const jq = window.django && window.django.jQuery;
    jq ? jq(() => setTimeout(done, 0)) : done();
})"""
# Swagger UI (the API documentation) draws the page once it has fetched the schema, after the
# load event: the page is checked as drawn, its operations listed.
SWAGGER_DRAWN = "#swagger-ui .opblock"


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


class PortalTab:
    """A browser tab shown exactly what the portal answers one persona through Django's test
    client: the page under test, and every file that page loads (styles, scripts, icons).

    The browser never talks to a server, so the crawl needs no committed data and no second
    thread; the portal's own headers (the Content Security Policy among them) come along.
    """

    # Static files answer the same to everyone: each is read once per crawl.
    _static: dict[str, tuple[int, dict, bytes]] = {}

    def __init__(self, browser, client: Client):
        self.client = client
        self.context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        self.context.route(f"{ORIGIN}/**", self._answer)
        # Given to the browser once, run in each page before its own scripts (and, being sent
        # through the DevTools protocol, not subject to the page's Content Security Policy).
        self.context.add_init_script(path=AXE_SCRIPT)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self._document = None
        self._problems: list[str] = []

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self._problems.append(f"- refused by the Content Security Policy: {message.text}")

    def _answer(self, route, request) -> None:
        if request.is_navigation_request() and self._document is not None:
            response, self._document = self._document, None
            answer = (response.status_code, dict(response.items()), _body(response))
        else:
            parts = urlsplit(request.url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            answer = self._static.get(path)
            if answer is None:
                response = self.client.get(path)
                answer = (response.status_code, dict(response.items()), _body(response))
                if path.startswith(static("")) and answer[0] == 200:
                    self._static[path] = answer
            if answer[0] != 200:
                self._problems.append(f"- {parts.path} answered {answer[0]}")
        status, headers, body = answer
        route.fulfill(status=status, headers=headers, body=body)

    def show(self, url: str, response) -> list[str]:
        """Show the portal's answer at ``url``; return what is wrong with the page as shown."""
        self._problems = []
        self._document = response
        self.page.goto(ORIGIN + url)
        self.page.evaluate(SCRIPTS_READY)
        if self.page.locator("#swagger-ui").count():
            self.page.locator(SWAGGER_DRAWN).first.wait_for()
        return self._problems + blocking_problems(self.page)

    def close(self) -> None:
        self.context.close()


@dataclass
class Crawl:
    """The pages seen so far, each checked once in the browser and kept for the Nu checker."""

    browser: object
    html: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    _seen: set = field(default_factory=set)
    _tabs: dict[int, PortalTab] = field(default_factory=dict)

    def check(self, label: str, client: Client, url: str, response) -> None:
        """Check the portal's answer to ``client`` at ``url``, if it is a page."""
        kind = response.get("Content-Type", "")
        if response.status_code in REDIRECTS or not kind.startswith("text/html"):
            return  # no page: a redirect, a CSV file, an image
        html = response.content.decode()
        # The same page twice is checked once; and a refusal (a 403 or 404) reads the same
        # whatever was refused: once per persona, answer and template. A form's errors (400)
        # differ from form to form: each is checked.
        key = CSRF_TOKEN.sub("", html)
        if response.status_code > 400:
            key = (id(client), response.status_code, *(t.name for t in response.templates))
        if key in self._seen:
            return
        self._seen.add(key)
        self.html[label] = html
        if id(client) not in self._tabs:
            self._tabs[id(client)] = PortalTab(self.browser, client)
        if problems := self._tabs[id(client)].show(url, response):
            self.problems[label] = problems

    def close(self) -> None:
        for tab in self._tabs.values():
            tab.close()

    def report(self, known: set[tuple[str, str]] = frozenset()) -> str:
        """Every problem found, axe-core's and the Nu checker's, page by page; less the
        ``known`` ones (URL prefix, axe rule), each of which must still be found."""
        assert self.html, "The crawl reached no page at all."
        found = {}
        still = set()
        for label, lines in self.problems.items():
            url = label.split(" ")[2]
            kept = []
            for line in lines:
                match = {k for k in known if url.startswith(k[0]) and line.startswith(f"- {k[1]} ")}
                still |= match
                if not match:
                    kept.append(line)
            if kept:
                found[label] = kept
        mended = set(known) - still
        assert not mended, f"Mended, so no longer to be listed as known: {sorted(mended)}"
        for label, errors in nu_errors(self.html).items():
            found.setdefault(label, []).extend(f"- HTML: {error}" for error in errors)
        return "\n".join(f"{label}\n" + "\n".join(lines) for label, lines in sorted(found.items()))


@pytest.fixture
def crawl(browser):
    made = Crawl(browser)
    yield made
    made.close()


# --- The data: an incident in each state ------------------------------------------------------


@pytest.fixture
def incidents_in_each_state(
    incident, gaining_user, installing_user, installing_supplier
) -> dict[str, object]:
    """The persona's own ``incident`` (awaiting the installing Supplier, with a note), and one
    request raised by the gaining Supplier in each other state, all with Installing Power."""
    from incidents import services
    from incidents.models import NonWorkingDay

    def raised(now=None):
        device = DeviceFactory(installing_supplier=installing_supplier)
        return services.incident_raise(actor=gaining_user, device_id=device.device_id, now=now)

    def answered(now=None):
        return services.incident_answer(
            actor=installing_user, incident=raised(now), install_code=INSTALL_CODE_WITH_CRC
        )

    services.incident_add_note(actor=gaining_user, incident=incident, text="Site visit booked.")
    states = {"awaiting the installing Supplier": incident}

    states["with the helpdesk"] = services.incident_answer_not_installed(
        actor=installing_user,
        incident=raised(),
        reason="We never pre-notified this Device: our records show it with another Supplier.",
    )
    states["code provided and revealed"] = provided = answered()
    services.incident_reveal_code(actor=gaining_user, incident=provided)
    states["reopened: the code did not work"] = services.incident_report_code_failed(
        actor=gaining_user, incident=answered(), reason="The hub rejected the code."
    )
    late = raised(now=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    services.incident_escalate_overdue(now=late.due_at + dt.timedelta(seconds=1))
    late.refresh_from_db()
    states["overdue and escalated"] = late
    states["closed: the code worked"] = services.incident_close(
        actor=gaining_user, incident=answered(), outcome="code_worked"
    )
    states["closed: no longer needed"] = services.incident_close(
        actor=gaining_user, incident=raised(), outcome="no_longer_needed"
    )
    NonWorkingDay.objects.create(date=dt.date(2026, 12, 29), description="Industry shutdown")
    return states


@pytest.fixture
def operations_history(db) -> None:
    """What the operations page shows besides the requests: beat jobs on time, late and
    failing, and an email given up on."""
    from django.utils import timezone

    from operations.models import JobRun
    from tests.support.outbox import make_notification

    now = timezone.now()
    JobRun.objects.create(
        name="incidents.tasks.escalate_overdue_incidents",
        last_started_at=now - dt.timedelta(minutes=1),
        last_succeeded_at=now - dt.timedelta(minutes=1),
    )
    JobRun.objects.create(
        name="incidents.tasks.remind_incidents_due_soon",
        last_succeeded_at=now - dt.timedelta(hours=2),
    )
    JobRun.objects.create(
        name="notifications.tasks.requeue_stale_notifications",
        last_succeeded_at=now - dt.timedelta(hours=1),
        last_failed_at=now - dt.timedelta(minutes=3),
        last_error="OperationalError: connection refused",
    )
    make_notification(status="failed", recipient="ops@dcc.example", now=now)


# --- The admin ----------------------------------------------------------------------------------

# Admin URLs that answer no page: a script, JSON, a redirect, a POST-only action.
NOT_PAGES = {
    "logout": "logging out is a POST",
    "jsi18n": "the admin's JavaScript catalogue",
    "autocomplete": "the JSON behind the autocomplete boxes",
    "view_on_site": "a redirect to the object on the site",
}


def _admin_patterns(patterns, parent_kwargs=()) -> Iterator[tuple[URLPattern, tuple[str, ...]]]:
    for pattern in patterns:
        kwargs = (*parent_kwargs, *_kwarg_names(pattern))
        if isinstance(pattern, URLResolver):
            yield from _admin_patterns(pattern.url_patterns, kwargs)
        else:
            yield pattern, kwargs


def _kwarg_names(pattern) -> tuple[str, ...]:
    return tuple(pattern.pattern.regex.groupindex)


def _model_admin(callback) -> admin.ModelAdmin | None:
    owner = getattr(callback, "model_admin", None) or getattr(
        getattr(callback, "__wrapped__", None), "__self__", None
    )
    return owner if isinstance(owner, admin.ModelAdmin) else None


def helpdesk_may_use(model_admin, request) -> bool:
    return model_admin.has_view_or_change_permission(request) or model_admin.has_add_permission(
        request
    )


def admin_urls(request, include=helpdesk_may_use) -> Iterator[str]:
    """Every admin URL the helpdesk may open, each object URL for every object of its model;
    with ``include``, the URLs of the model admins it accepts (and the site's own pages)."""
    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    for pattern, kwarg_names in _admin_patterns(admin.site.get_urls()):
        if pattern.name is None or pattern.name in NOT_PAGES:
            continue  # the unnamed ones redirect an old-style URL to the change page
        model_admin = _model_admin(pattern.callback)
        if model_admin is not None and not include(model_admin, request):
            continue
        if not kwarg_names:
            yield reverse(f"admin:{pattern.name}")
        elif kwarg_names == ("app_label",):
            for label in app_labels:
                yield reverse(f"admin:{pattern.name}", kwargs={"app_label": label})
        elif len(kwarg_names) == 1 and kwarg_names[0] in ("object_id", "pk", "id"):
            model = model_admin.model
            pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
            assert pks, f"The crawl has no {model._meta.label} to open {pattern.name} with."
            # Every incident (one in each state) where the page shows its state; one object
            # of every other model.
            if not (model is Incident and pattern.name.endswith(("_change", "_reassign"))):
                pks = pks[:1]
            for pk in pks:
                yield reverse(f"admin:{pattern.name}", kwargs={kwarg_names[0]: pk})
        else:
            raise AssertionError(
                f"The crawl cannot build admin URL {pattern.name} {kwarg_names}: say how here "
                "or list it in NOT_PAGES."
            )


def changelist_variants(response) -> Iterator[str]:
    """The same change list with facets, with each filter's first value, and with a search."""
    changelist = response.context["cl"]
    yield "?_facets=True"
    for spec in changelist.filter_specs:
        chosen = [c for c in spec.choices(changelist) if not c.get("selected")]
        if chosen:
            yield chosen[0]["query_string"] + "&_facets=True"
    if changelist.search_fields:
        yield "?q=Installing+Power"


# The portal's own apps, whose admin pages are the helpdesk's.
PORTAL_APPS = ("accounts", "webhooks", "inventory", "incidents", "notifications", "api")


@pytest.fixture
def helpdesk_admin(helpdesk_user) -> Client:
    """The helpdesk with every view, change and add permission of the portal's apps: all
    that the helpdesk could be given (nobody deletes in the admin)."""
    helpdesk_user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=PORTAL_APPS).exclude(
            codename__startswith="delete_"
        )
    )
    client = Client()
    client.force_login(helpdesk_user)
    return client


def test_every_admin_page_the_helpdesk_reaches_meets_the_standard(
    crawl, helpdesk_admin, helpdesk_user, incidents_in_each_state, owned_objects, rf
):
    owned_objects("api_client")  # the helpdesk sees each Supplier's API clients
    owned_objects("webhook_delivery")  # an endpoint and its deliveries, for their admin pages
    request = rf.get("/admin/")
    request.user = helpdesk_user
    reached = set()

    for url in admin_urls(request):
        response = helpdesk_admin.get(url)
        if response.status_code == 403:
            continue  # not for the helpdesk (deleting, say)
        reached.add(url)
        crawl.check(f"helpdesk GET {url}", helpdesk_admin, url, response)
        if response.context and "cl" in response.context:
            for query in changelist_variants(response):
                variant = url + query
                crawl.check(
                    f"helpdesk GET {variant}", helpdesk_admin, variant, helpdesk_admin.get(variant)
                )

    portal_models = [m for m in admin.site._registry if m._meta.app_label in PORTAL_APPS]
    for model in portal_models:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert changelist in reached, f"the helpdesk did not reach {changelist}"
    for incident in incidents_in_each_state.values():
        assert reverse("admin:incidents_incident_change", args=[incident.pk]) in reached
    problems = crawl.report()
    assert not problems, f"Admin pages below the standard:\n{problems}"


# Problems of Django's own admin code on an operator's pages, each with the product change that
# mends it. Each must still be found (the crawl fails once it is mended, to take it off here).
OPERATOR_KNOWN_PROBLEMS: set[tuple[str, str]] = set()


@pytest.fixture
def operator_admin(django_user_model) -> Client:
    """An operator of the portal: a superuser, not helpdesk staff."""
    operator = django_user_model.objects.create_superuser("root", "root@ops.example", "x" * 16)
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def operators_objects(db) -> None:
    """One object of each model only an operator opens: a group, and the login throttle's
    records of an attempt, a login and a failure."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group

    Group.objects.create(name="Helpdesk leads").permissions.set(
        Permission.objects.filter(codename__startswith="view_")[:3]
    )
    seen = {"ip_address": "192.0.2.10", "user_agent": "Mozilla/5.0", "path_info": "/accounts/"}
    AccessAttempt.objects.create(username="gaining", failures_since_start=3, **seen)
    AccessLog.objects.create(username="gaining", **seen)
    AccessFailureLog.objects.create(username="gaining", locked_out=True, **seen)


def test_every_admin_page_only_an_operator_reaches_meets_the_standard(
    crawl, operator_admin, helpdesk_admin, helpdesk_user, operators_objects, rf, django_user_model
):
    helpdesk = rf.get("/admin/")
    helpdesk.user = helpdesk_user
    operator = rf.get("/admin/")
    operator.user = django_user_model.objects.get(username="root")

    def not_for_the_helpdesk(model_admin, request):
        return not helpdesk_may_use(model_admin, helpdesk) and helpdesk_may_use(
            model_admin, request
        )

    reached = set()
    for url in admin_urls(operator, include=not_for_the_helpdesk):
        response = operator_admin.get(url)
        if response.status_code == 403:
            continue
        reached.add(url)
        crawl.check(f"operator GET {url}", operator_admin, url, response)
        if response.context and "cl" in response.context:
            for query in changelist_variants(response):
                variant = url + query
                crawl.check(
                    f"operator GET {variant}", operator_admin, variant, operator_admin.get(variant)
                )

    for label in ("auth.Group", "axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog"):
        app_label, model = label.lower().split(".")
        changelist = reverse(f"admin:{app_label}_{model}_changelist")
        assert changelist in reached, f"the operator did not reach {changelist}"
        assert any(re.fullmatch(rf"{changelist}\d+/change/", u) for u in reached), label
    problems = crawl.report(known=OPERATOR_KNOWN_PROBLEMS)
    assert not problems, f"Operator's admin pages below the standard:\n{problems}"


# --- The portal ---------------------------------------------------------------------------------


# The portal's forms, by the view they post to: each found on a page and sent empty.
FORMS = {
    "incidents:raise",
    "incidents:answer",
    "incidents:not_installed",
    "incidents:code_failed",
    "incidents:close",
    "incidents:note",
    "incidents:bulk_raise",
    "incidents:bulk_answer",
    "incidents:bulk_lodge",
    "users:invite",
    "users:detail",
    "notifications:contacts",
    "webhooks:add",
    "webhooks:edit",
    "api_clients:create",
    "api_clients:detail",
    "login",
    "accounts:password_change",
    "accounts:mfa_setup",
}
# Forms that an empty submission does not refuse: (action, data) to send instead, which they do.
SENT_INVALID = {
    # Roles all unticked are a valid change for a colleague; an administrator may not take
    # their own administrator role away.
    "users:detail": lambda personas, action: (
        reverse("users:detail", args=[personas["admin"].pk]),
        {},
    ),
    # The reason is optional (empty leads to the confirmation step); an install code in it is
    # refused.
    "incidents:not_installed": lambda personas, action: (
        action,
        {"reason": f"The code is {INSTALL_CODE_WITH_CRC}"},
    ),
}
_EDITABLE = {"input", "select", "textarea"}


def post_forms(response, url: str) -> Iterator[tuple[str, dict]]:
    """The POST forms of a page with a field to fill in: (action, its hidden fields)."""
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return
    document = html5lib.parse(response.content.decode(), namespaceHTMLElements=False)
    for form in document.iter("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        hidden, editable = {}, False
        for element in form.iter():
            kind = (element.get("type") or "").lower()
            if element.tag == "input" and kind == "hidden":
                hidden[element.get("name")] = element.get("value") or ""
            elif element.tag in _EDITABLE and kind not in ("submit", "button"):
                editable = True
        if editable:
            yield urlsplit(form.get("action") or url).path, hidden


def test_every_portal_page_of_every_persona_meets_the_standard(
    crawl, personas, owned_objects, incidents_in_each_state, operations_history
):
    clients = {}
    for persona, user in personas.items():
        clients[persona] = Client()
        if user is not None:
            clients[persona].force_login(user)
    # Each kind of object a URL takes; an incident in each state where the URL takes one.
    variants = {
        "incident": [{"public_id": i.public_id} for i in incidents_in_each_state.values()],
        "answered": [
            {"public_id": incidents_in_each_state["code provided and revealed"].public_id}
        ],
    }

    forms: dict[str, tuple[str, str, dict]] = {}  # view name -> persona, action, hidden fields
    for name in ROUTED_NOW:
        route = ROUTES[name]
        if route.obj not in variants:
            variants[route.obj] = [owned_objects(route.obj)]
        for number, kwargs in enumerate(variants[route.obj]):
            url = reverse(name, kwargs={**route.kwargs, **kwargs})
            for persona in PERSONAS:
                expected = route.anonymous if persona == "anonymous" else route.expected[persona]
                # A POST is made on the matrix's own object only, and only where it answers
                # with a page: one that redirects would change something, and shows no page.
                if route.method == "post" and (number or expected in REDIRECTS):
                    continue
                client = clients[persona]
                response = getattr(client, route.method)(url, route.data)
                crawl.check(
                    f"{persona} {route.method.upper()} {url} ({name})", client, url, response
                )
                if route.method == "get" and response.status_code == 200:
                    for action, hidden in post_forms(response, url):
                        forms.setdefault(resolve(action).view_name, (persona, action, hidden))

    # Every form of the portal sent once with its fields left empty (or, where empty is
    # valid, as SENT_INVALID says): refused, with the error summary, on a page to the standard.
    assert set(forms) >= FORMS, f"the crawl found no form for {sorted(FORMS - set(forms))}"
    for view_name, (persona, action, hidden) in sorted(forms.items()):
        data = dict(hidden)
        if view_name in SENT_INVALID:
            action, invalid = SENT_INVALID[view_name](personas, action)
            data |= invalid
        client = clients[persona]
        response = client.post(action, data)
        sent = "invalid" if view_name in SENT_INVALID else "empty"
        label = f"{persona} POST {action} {sent} ({view_name})"
        assert response.status_code in (200, 400), f"{label} answered {response.status_code}"
        assert b"data-error-summary" in response.content, f"{label} shows no error summary"
        crawl.check(label, client, action, response)

    problems = crawl.report()
    assert not problems, f"Portal pages below the standard:\n{problems}"


def test_the_pages_that_show_an_api_clients_secret_meet_the_standard(
    crawl, personas, owned_objects
):
    """Shown only in the answer to a POST that makes a secret, so not reached by the crawl of
    the matrix's URLs: a new client's id and secret, and a rotated secret."""
    client = Client()
    client.force_login(personas["admin"])
    create = reverse("api_clients:create")
    rotate = reverse("api_clients:rotate", kwargs=owned_objects("api_client"))

    for label, url, data in [
        ("created", create, {"name": "Asset system", "scopes": ["read", "answer"]}),
        ("rotated", rotate, {"seen": "never"}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 200 and b'id="client-secret"' in response.content
        crawl.check(f"admin POST {url} ({label} secret)", client, url, response)

    problems = crawl.report()
    assert not problems, f"Secret pages below the standard:\n{problems}"
