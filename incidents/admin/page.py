"""The incident change list's page written in Python, as its templates would write it.

Django's templates for the page (``admin/base.html``, the portal's ``base_site.html`` and
``search_form.html``, ``change_list.html`` and the incidents' own, the filters, the pagination,
the navigation sidebar) walk several hundred nodes a request: static tags, translations,
URL reversals, includes. At about two thirds of the page's CPU that was most of what the
helpdesk waited for. Here the same text is written from the same context: what is the same
for every request of a process and language (the static files' URLs, the admin's addresses,
the words) once, the navigation sidebar once for each set of links and the page it is on, the
rest (the title, the user, the CSRF token, the messages, the filters, the search box, the
table and the pages) on each request.

``tests/incidents/test_admin_page.py`` holds it, byte for byte, against the templates. A page
these do not cover (a popup, editable rows, actions, an add button, a date hierarchy, a
right-to-left language, a CSP nonce in the context, another template) is the templates'.
"""

import sys

from django.conf import settings
from django.contrib.messages import get_messages
from django.middleware.csrf import get_token
from django.template import Context
from django.template.defaultfilters import capfirst
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape as esc
from django.utils.html import escape
from django.utils.translation import get_language, get_language_bidi, gettext

from ssi_portal.lib.kept import Kept
from ssi_portal.lib.templatetags.fixed_urls import fixed_static

from . import changelist
from .page_parts import filters_html, pagination_html, search_html

_CHROME: dict[tuple, dict] = {}  # by language, URL conf and script prefix
_SIDEBARS: Kept[str] = Kept(1_000)  # by language, links and the page they are on
_CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'


class ChangeListPage(TemplateResponse):
    """The change list's response: its page written by ``page_html`` where that covers it."""

    @property
    def rendered_content(self):
        written = page_html(self._request, self.context_data)
        if written is None:
            return super().rendered_content
        # Whoever follows the templates a response renders (Django's test client, which has
        # loaded its signals) is told of the one this page stands for, with its context, as
        # the engine would tell it.
        signals = sys.modules.get("django.test.signals")
        if signals is not None and signals.template_rendered.has_listeners():
            template = self.resolve_template(self.template_name).template
            context = Context(self.context_data)
            signals.template_rendered.send(sender=template, template=template, context=context)
        return written


def page_html(request, context) -> str | None:
    """The page's HTML, or None where the templates must write it."""
    cl = context.get("cl")
    if not _covered(request, context, cl):
        return None
    chrome = _chrome()
    user = request.user
    token = _CSRF.format(escape(get_token(request)))
    title = esc(context["title"])
    site_title = esc(context.get("site_title") or gettext("Django site admin"))
    site_url = context.get("site_url")
    view_site = ""
    if site_url:
        view_site = (
            f'\n                    <a href="{esc(site_url)}">{gettext("View site")}</a> /'
            "\n                "
        )
    password = ""
    if user.has_usable_password():
        password = (
            f'\n                <a href="{chrome["password_change"]}">'
            f"{gettext('Change password')}</a> /\n                "
        )
    opts = cl.opts
    zone = timezone.get_current_timezone()
    return (
        f"{chrome['head_start']}<title>{title} | {site_title}</title>\n"
        f"{chrome['head_styles']}{context['media']['css'].render()}\n  \n\n"
        f"{chrome['head_scripts']}{context['media']['js'].render()}\n"
        f"{chrome['head_end']}"
        f'<body class=" app-{esc(opts.app_label)} model-{esc(opts.model_name)} change-list"\n'
        f'  data-admin-utc-offset="{date_format(timezone.now().astimezone(zone), "Z")}"\n'
        f'  data-admin-server-timezone="{esc(str(zone))}">\n'
        f"{chrome['header_start']}"
        f'<div id="site-name"><a href="{chrome["index"]}">'
        f"{esc(context.get('site_header') or gettext('Django administration'))}</a></div>\n\n"
        '\n        </div>\n        \n        \n        <div id="user-tools">\n            \n'
        f"                {gettext('Welcome,')}\n"
        f"                <strong>{esc(user.get_short_name() or user.get_username())}</strong>.\n"
        f"            \n            \n                {view_site}\n                "
        f"{chrome['docs']}\n                {password}\n"
        f'                <form id="logout-form" method="post" action="{chrome["logout"]}">\n'
        f"                    {token}\n"
        f'                    <button type="submit">{gettext("Log out")}</button>\n'
        f"                </form>\n                {chrome['theme_toggle']}\n            \n"
        "        </div>\n        \n        \n        \n      </header>\n    \n"
        f"{chrome['breadcrumbs_start']}"
        f'<li><a href="{_app_url(chrome, opts)}">{esc(opts.app_config.verbose_name)}</a></li>\n'
        f'<li aria-current="page">{esc(capfirst(opts.verbose_name_plural))}</li>\n</ol>\n\n'
        f'      </nav>\n    \n    \n\n    <div class="main" id="main">\n      '
        f"{_sidebar(context, request)}\n"
        '      <main id="content-start" class="content" tabindex="-1">\n        \n          '
        f"{_messages(request)}\n        \n"
        f"{chrome['content_start']}"
        f"              <h1>{title}</h1>\n              \n            </div>\n"
        f"{chrome['object_tools']}"
        f"{chrome['changelist_start']}{filters_html(cl)}\n        \n        <div>\n          "
        f"{search_html(cl)}\n          \n\n"
        f'          <form id="changelist-form" method="post" novalidate>{token}\n'
        f"          \n\n          \n  \n  {changelist.results_table(cl)}\n  \n\n          \n"
        '            <div class="changelist-footer">\n            '
        f"{pagination_html(cl)}\n            \n            </div>\n          \n"
        f"{chrome['page_end']}"
    )


def _covered(request, context, cl) -> bool:
    return bool(
        cl is not None
        and getattr(cl, "rows_as_values", False)
        and cl.model_admin.change_list_template is None
        and not context.get("is_popup")
        and not cl.formset
        and not context.get("action_form")
        and context.get("actions_on_top")  # no style for a first column without a checkbox
        and not context.get("has_add_permission")
        and context.get("has_permission")
        and context.get("is_nav_sidebar_enabled")
        and not context.get("subtitle")
        and not cl.date_hierarchy
        and cl.search_fields
        and cl.has_filters
        and not get_language_bidi()
        and "csp_nonce" not in context  # only a page with a nonce has the key
        and _no_nonce_processor()
        and request.user.is_active
        and request.user.is_staff
    )


def _no_nonce_processor() -> bool:
    return not any(
        "django.template.context_processors.csp"
        in engine.get("OPTIONS", {}).get("context_processors", ())
        for engine in settings.TEMPLATES
    )


def _chrome() -> dict:
    """What is the same on every page of this process in this language."""
    key = (get_language(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    chrome = _CHROME.get(key)
    if chrome is None:
        chrome = _CHROME[key] = _write_chrome(key[0])
    return chrome


def _write_chrome(language: str) -> dict:
    index = reverse("admin:index")
    s = fixed_static
    try:
        docs = reverse("django-admindocs-docroot")
    except NoReverseMatch:
        docs = ""
    if docs:
        docs = (
            f'\n                        <a href="{docs}">{gettext("Documentation")}</a> /'
            "\n                    "
        )
    return {
        "index": index,
        "password_change": reverse("admin:password_change"),
        "logout": reverse("admin:logout"),
        "docs": f"\n                    \n                    {docs}\n                ",
        "theme_toggle": get_template("admin/color_theme_toggle.html").render(),
        "head_start": (
            f'<!DOCTYPE html>\n\n<html lang="{escape(language or "en-us")}" dir="ltr">\n<head>\n'
        ),
        "head_styles": (
            '<meta name="color-scheme" content="light dark" />\n'
            f'<link rel="stylesheet" href="{s("admin/css/base.css")}" >\n\n'
            f'  <link rel="stylesheet" href="{s("admin/css/dark_mode.css")}" >\n'
            f'  <script src="{s("admin/js/theme.js")}" ></script>\n\n\n'
            f'  <link rel="stylesheet" href="{s("admin/css/nav_sidebar.css")}" >\n'
            f'  <script src="{s("admin/js/nav_sidebar.js")}" defer ></script>\n\n\n'
            f'  \n  <link rel="stylesheet" href="{s("admin/css/changelists.css")}" >\n'
            "  \n  \n  "
        ),
        "head_scripts": (
            "\n\n\n\n"
            f'<link rel="icon" href="{s("img/favicon.svg")}" type="image/svg+xml">\n'
            f'<link rel="stylesheet" href="{s("css/admin.css")}">\n'
            f'<script src="{s("js/admin.js")}" defer></script>\n\n'
        ),
        "head_end": (
            f'<script src="{s("admin/js/filters.js")}" defer ></script>\n\n\n'
            '    <meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            f'    <link rel="stylesheet" href="{s("admin/css/responsive.css")}" >\n    \n\n'
            '<meta name="robots" content="NONE,NOARCHIVE">\n</head>\n\n'
        ),
        "header_start": (
            '<a href="#content-start" class="skip-to-content-link">'
            f"{gettext('Skip to main content')}</a>\n<!-- Container -->\n"
            '<div id="container">\n\n    \n    <!-- Header -->\n    \n      <header id="header">\n'
            '        <div id="branding">\n        \n'
        ),
        "breadcrumbs_start": (
            f'    <!-- END Header -->\n    \n      <nav aria-label="{gettext("Breadcrumbs")}">\n'
            f'        \n<ol class="breadcrumbs">\n'
            f'<li><a href="{index}">{gettext("Home")}</a></li>\n'
        ),
        "content_start": (
            '        <!-- Content -->\n        <div id="content" class="">\n'
            '          <div class="titles-and-tools">\n            <div class="titles">\n'
            "              \n"
        ),
        "object_tools": (
            '            \n<ul class="object-tools">\n  \n    \n\n\n  \n\n\n  \n</ul>\n\n'
            "          </div>\n"
        ),
        "changelist_start": (
            '          \n  <div id="content-main">\n    \n'
            '    <div class="module filtered" id="changelist">\n'
            '      <div class="changelist-form-container">\n        \n          '
        ),
        "page_end": (
            "          </form>\n        </div>\n      </div>\n    </div>\n  </div>\n\n"
            '          \n          <br class="clear">\n        </div>\n'
            "        <!-- END Content -->\n"
            '      </main>\n    </div>\n    <footer id="footer"></footer>\n</div>\n'
            "<!-- END Container -->\n\n"
            + get_template("admin/base.html")
            .template.source.partition("<!-- SVGs -->")[2]
            .partition("{% block extrabody %}")[0]
            .join(("<!-- SVGs -->", "\n</body>\n</html>\n"))
        ),
    }


def _app_url(chrome: dict, opts) -> str:
    key = ("app_list", opts.app_label)
    url = chrome.get(key)
    if url is None:
        url = chrome[key] = reverse("admin:app_list", kwargs={"app_label": opts.app_label})
    return url


def _sidebar(context, request) -> str:
    """``{% include "admin/nav_sidebar.html" %}`` in its block, written by its template once
    for each language, list of links (the user's permissions) and page."""
    apps = context["available_apps"]
    key = (
        get_language(),
        request.path,
        tuple(
            (
                app["app_label"],
                str(app["name"]),
                app["app_url"],
                tuple(
                    (m["object_name"], str(m["name"]), m.get("admin_url"), m.get("add_url"))
                    + (m.get("view_only"),)
                    for m in app["models"]
                ),
            )
            for app in apps
        ),
    )
    return _SIDEBARS.get(key, lambda: _write_sidebar(apps, request))


def _write_sidebar(apps, request) -> str:
    sidebar = get_template("admin/nav_sidebar.html").render(
        {"available_apps": apps, "request": request}
    )
    return f"\n        \n          {sidebar}\n        \n      "


def _messages(request) -> str:
    messages = get_messages(request)
    if not messages:
        return ""
    items = "".join(
        f"\n              <li{f' class="{esc(m.tags)}"' if m.tags else ''}>"
        f"{esc(capfirst(m))}</li>\n            "
        for m in messages
    )
    return f'\n            <ul class="messagelist">{items}</ul>\n          '
