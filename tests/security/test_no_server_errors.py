"""No input reaches a server error: every URL pattern of the portal and of the admin, visited by
each persona that may use it with over-long, out-of-range, negative, non-numeric and malformed
values in each path parameter, each query parameter and each form field, answers 2xx, 3xx or
4xx — never 500.

The URL patterns come from the resolver and the query parameters and form fields from the pages
themselves (their links, their filter boxes, their forms), so a URL, filter or form added later
is covered without a change here. PostgreSQL is where most of these would crash (a value too
long for its column, an integer out of ``bigint``'s range, a NUL character); SQLite is probed
too, but for the admin's forms.
"""

import base64
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urljoin, urlsplit

import pytest
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter

from conftest import INSTALL_CODE_WITH_CRC
from tests.security.test_url_matrix import ROUTES, portal_url_names

# --- What is sent -------------------------------------------------------------------------------

HUGE = "9" * 20  # past bigint (9.2e18)
PATH_VALUES = {
    IntConverter: ["0", HUGE, "2147483648", "9223372036854775808"],
    UUIDConverter: ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"],
}
# Anything a str or path converter takes; percent-encoded where a URL needs it.
TEXT_PATH_VALUES = ["x" * 2000, HUGE, "-1", "%00", "%C3%A9%F0%9F%92%A5", "1e309", "0"]
# A well-formed list cursor (ssi_portal.lib.keyset) naming a row id past bigint.
HUGE_CURSOR = base64.urlsafe_b64encode(f"n2.0.{HUGE}".encode()).decode().rstrip("=")
QUERY_VALUES = [HUGE, "-1", "x" * 3000, "\x00", "2026-02-30", "99999-12-31 25:61", "'\"<>%"]
QUERY_VALUES.append(HUGE_CURSOR)
# The admin reads each parameter on its own (a bad filter ends the page early), so each is sent
# alone, with fewer values: dates only to what looks like a date filter, NUL once for all.
ADMIN_QUERY_VALUES = [HUGE, "-1", "x" * 300]
ADMIN_DATE_VALUES = ["2026-02-30", "99999-12-31"]
_DATE_NAME = re.compile(r"(date|_at|__year|__month|__day|__gte|__lte|__lt|__gt)")
FORM_VALUES = ["x" * 5000, HUGE, "\x00"]

# Names every page is tried with, beside those its own links and forms use.
QUERY_NAMES = [
    *["page", "cursor", "status", "overdue", "q", "kind", "next", "from", "to", "period"],
    *["month", "year", "start", "end", "id", "term", "app_label", "model_name", "field_name"],
]
ADMIN_QUERY_NAMES = ["p", "o", "q"]
# Read by Django's admin alike on every page of a kind (list, add, change): tried on the first
# model's pages only.
ADMIN_GENERIC_NAMES = {"e", "all", "_facets", "_changelist_filters", "_popup", "_to_field"}
ADMIN_GENERIC_NAMES |= {"_source_model"}

# Fields a form carries that are not input (the token) or that no hostile value can fill.
SKIPPED_FIELDS = {"csrfmiddlewaretoken"}
SKIPPED_INPUT_TYPES = {"file", "submit", "button", "image", "reset"}


# --- The URL patterns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str  # e.g. "incidents/<uuid:public_id>/answer/" or a regex for re_path
    name: str | None
    converters: dict
    is_regex: bool


def _walk(patterns, prefix="", namespace="", converters=None, is_regex=False):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        found = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
        regex = is_regex or type(pattern.pattern).__name__ == "RegexPattern"
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner, found, regex)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield Pattern(route, name, found, regex)


def all_patterns() -> list[Pattern]:
    return [
        p
        for p in _walk(get_resolver().url_patterns)
        if not p.route.startswith(("static/", "media/"))
    ]


_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _fill(pattern: Pattern, values: dict[str, str]) -> str:
    if pattern.is_regex:
        text = _REGEX_GROUP.sub(lambda m: values.get(m["name"], "x"), pattern.route)
        text = _PARAM.sub(lambda m: values.get(m["name"], "1"), text)
        return "/" + text.replace("^", "").replace("$", "")
    return "/" + _PARAM.sub(lambda m: values[m["name"]], pattern.route)


def _params(pattern: Pattern) -> list[str]:
    regex = _REGEX_GROUP if pattern.is_regex else _PARAM
    names = [m["name"] for m in regex.finditer(pattern.route)]
    if pattern.is_regex:
        names += [m["name"] for m in _PARAM.finditer(pattern.route)]
    return names


def _values_for(pattern: Pattern, name: str) -> list[str]:
    converter = pattern.converters.get(name)
    for kind, values in PATH_VALUES.items():
        if isinstance(converter, kind):
            return values
    return TEXT_PATH_VALUES


def _plausible(pattern: Pattern, name: str) -> str:
    converter = pattern.converters.get(name)
    if isinstance(converter, UUIDConverter):
        return "00000000-0000-4000-8000-000000000000"
    return "1"


def hostile_urls(pattern: Pattern) -> list[str]:
    """The pattern with each of its parameters, one at a time, given each hostile value."""
    names = _params(pattern)
    urls = []
    for name in names:
        for value in _values_for(pattern, name):
            filled = {n: _plausible(pattern, n) for n in names}
            filled[name] = value
            urls.append(_fill(pattern, filled))
    return urls or [_fill(pattern, {})]


# --- What the pages themselves ask for ----------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[str] = field(default_factory=list)


class _PageReader(HTMLParser):
    """The query parameter names in a page's links, and its forms with their field names."""

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.link_names: set[str] = set()
        self.forms: list[Form] = []
        self._form: Form | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.link_names.update(k for k, _ in parse_qsl(urlsplit(attrs["href"]).query, True))
        elif tag == "form":
            action = urljoin(self.url, attrs.get("action") or self.url)
            self._form = Form(action=action, method=(attrs.get("method") or "get").lower())
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None:
            name = attrs.get("name")
            kind = (attrs.get("type") or "text").lower()
            wanted = name and name not in SKIPPED_FIELDS and kind not in SKIPPED_INPUT_TYPES
            if wanted and name not in self._form.fields:
                self._form.fields.append(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def read_page(url: str, html: str) -> _PageReader:
    reader = _PageReader(url)
    reader.feed(html)
    return reader


# --- Sending, and catching server errors --------------------------------------------------------


@dataclass
class Probe:
    """Sends requests as personas and keeps every answer of 500 and up, with its exception."""

    users: dict
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    _clients: dict = field(default_factory=dict)
    _error: list = field(default_factory=list)

    def __post_init__(self):
        got_request_exception.connect(self._caught, weak=False)

    def close(self):
        got_request_exception.disconnect(self._caught)

    def _caught(self, sender, **kwargs):
        self._error.append(repr(sys.exc_info()[1]))

    def client(self, persona: str) -> Client:
        client = self._clients.get(persona)
        if client is None:
            client = self._clients[persona] = Client(raise_request_exception=False)
        user = self.users[persona]
        if user is not None and "_auth_user_id" not in client.session:
            # Signed in again where a request signed it out (a changed password, say).
            client.force_login(user)
        return client

    def send(self, persona: str, method: str, url: str, data=None):
        self._error.clear()
        self.sent += 1
        # A database error inside the test's transaction would abort it for every request
        # after; rolled back to here, the next request starts clean.
        savepoint = transaction.savepoint_create()
        response = getattr(self.client(persona), method)(url, data or {})
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
        if response.status_code >= 500:
            shown = url if len(url) < 200 else url[:200] + "…"
            fields = {k: (v[:20] + "…" if len(v) > 20 else v) for k, v in (data or {}).items()}
            self.failures.append(
                f"{persona} {method.upper()} {shown} {fields} -> {response.status_code} "
                f"{'; '.join(self._error)}"
            )
        return response


def _html(response) -> str:
    if response.status_code != 200 or response.streaming:
        return ""
    if not response.get("Content-Type", "").startswith("text/html"):
        return ""
    return response.content.decode("utf-8", "replace")


def query_url(url: str, params: dict[str, str]) -> str:
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def read(probe: Probe, persona: str, url: str) -> _PageReader:
    return read_page(url, _html(probe.send(persona, "get", url)))


def probe_queries(
    probe: Probe, persona: str, url: str, reader: _PageReader, names, *, admin, skip=()
):
    """``url`` with every query name it may read (the page's own and ``names``, less ``skip``)
    given each hostile value: all at once on the portal's pages, one at a time on the admin's."""
    gets = [f for f in reader.forms if f.method == "get"]
    found = set(names) | reader.link_names | {n for f in gets for n in f.fields}
    found = sorted(found - set(skip))
    if not admin:
        for value in QUERY_VALUES:
            probe.send(persona, "get", query_url(url, dict.fromkeys(found, value)))
        return
    probe.send(persona, "get", query_url(url, dict.fromkeys(found, "\x00")))
    for name in found:
        dated = ADMIN_DATE_VALUES if _DATE_NAME.search(name) else []
        for value in [*ADMIN_QUERY_VALUES, *dated]:
            probe.send(persona, "get", query_url(url, {name: value}))


def probe_forms(probe: Probe, persona: str, reader: _PageReader, done: set) -> None:
    """Every form of the page that takes input, posted with each hostile value in all its
    fields (once per persona, action and fields, wherever the form shows)."""
    for form in reader.forms:
        key = (persona, urlsplit(form.action).path, tuple(form.fields))
        if form.method != "post" or not form.fields or key in done:
            continue  # forms of no fields (log out, reveal) are sent by the path probes
        done.add(key)
        for value in FORM_VALUES:
            probe.send(persona, "post", form.action, dict.fromkeys(form.fields, value))


# --- Personas and objects -----------------------------------------------------------------------


@pytest.fixture
def objects(owned_objects, gaining_user, installing_user, installing_supplier):
    """The URL matrix's objects, each made once; "answered" is a second request, answered, so
    that the pages of both an open and an answered request are read."""
    from incidents.services import incident_answer, incident_raise
    from tests.factories import DeviceFactory

    made = {}

    def get(kind: str) -> dict:
        if kind not in made:
            if kind == "answered":
                device = DeviceFactory(
                    device_id="00-DB-12-34-56-78-90-C1", installing_supplier=installing_supplier
                )
                answered = incident_raise(actor=gaining_user, device_id=device.device_id)
                incident_answer(
                    actor=installing_user, incident=answered, install_code=INSTALL_CODE_WITH_CRC
                )
                made[kind] = {"public_id": answered.public_id}
            else:
                made[kind] = owned_objects(kind)
        return made[kind]

    return get


@pytest.fixture
def probe(personas, helpdesk_user):
    helpdesk_user.is_superuser = True  # every admin page, as the fullest helpdesk account sees
    helpdesk_user.save(update_fields=["is_superuser"])
    probe = Probe(users=personas)
    yield probe
    probe.close()


def _may_use(route, persona: str) -> bool:
    expected = route.anonymous if persona == "anonymous" else route.expected[persona]
    return expected < 400 and not (persona == "anonymous" and expected == 302)


PORTAL_NAMES = sorted(set(ROUTES) & set(portal_url_names()))


def assert_no_server_errors(probe: Probe) -> None:
    assert probe.sent > 0
    assert not probe.failures, f"{len(probe.failures)} of {probe.sent} requests failed:\n" + (
        "\n".join(probe.failures[:40])
    )


# --- Tests --------------------------------------------------------------------------------------


def test_no_portal_url_answers_a_server_error_to_hostile_paths(probe, objects):
    objects("answered")
    objects("upload")
    for pattern in all_patterns():
        if pattern.route.startswith("admin/") or pattern.name not in ROUTES:
            continue
        route = ROUTES[pattern.name]
        for persona in [p for p in probe.users if _may_use(route, p)] or ["anonymous"]:
            for url in hostile_urls(pattern):
                probe.send(persona, route.method, url)

    assert_no_server_errors(probe)


def test_no_portal_page_answers_a_server_error_to_hostile_queries_or_forms(probe, objects):
    posted = set()
    for name in PORTAL_NAMES:
        route = ROUTES[name]
        if route.method != "get":
            continue  # its form is on the page that offers it (the incident's, the user's)
        for kind in ["incident", "answered"] if route.obj == "incident" else [route.obj]:
            url = reverse(name, kwargs={**route.kwargs, **objects(kind)})
            allowed = [p for p in probe.users if _may_use(route, p)]
            for persona in allowed:
                reader = read(probe, persona, url)
                if persona == allowed[0]:
                    # What a page does with its query string does not depend on who asks.
                    probe_queries(probe, persona, url, reader, QUERY_NAMES, admin=False)
                probe_forms(probe, persona, reader, posted)

    assert_no_server_errors(probe)


def test_no_admin_url_answers_a_server_error_to_hostile_paths(probe, objects):
    objects("answered")
    for pattern in all_patterns():
        if not pattern.route.startswith("admin/"):
            continue
        for url in hostile_urls(pattern):
            probe.send("helpdesk", "get", url)

    assert_no_server_errors(probe)


@pytest.mark.postgres(
    "the admin's choice fields look a posted key up as given, and SQLite cannot hold one past "
    "64 bits (an OverflowError in Django's own fields); production runs on PostgreSQL"
)
def test_no_admin_page_answers_a_server_error_to_hostile_queries_or_forms(probe, objects):
    from django.contrib import admin

    objects("answered")
    objects("upload")
    posted, generic_done = set(), set()
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages = [("list", reverse("admin:{}_{}_changelist".format(*info)))]
        if admin.site._registry[model].has_add_permission(_request_of(probe)):
            pages.append(("add", reverse("admin:{}_{}_add".format(*info))))
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            pages.append(("change", reverse("admin:{}_{}_change".format(*info), args=[first])))
        for kind, url in pages:
            reader = read(probe, "helpdesk", url)
            skip = ADMIN_GENERIC_NAMES if kind in generic_done else set()
            generic_done.add(kind)
            names = ADMIN_QUERY_NAMES if kind == "list" else []
            probe_queries(probe, "helpdesk", url, reader, names, admin=True, skip=skip)
            probe_forms(probe, "helpdesk", reader, posted)

    assert_no_server_errors(probe)


def _request_of(probe: Probe):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = probe.users["helpdesk"]
    return request
