"""``{% nav_links %}``: the main navigation's links (``includes/nav_links.html``), drawn once
per kind of user and page and kept in the process: every page draws them, and their dozen
links and two dozen conditions were a tenth of a list page. What they may depend on is the
key: the user's kind (a Supplier's user, its administrator, the helpdesk, staff) and the page
(its URL name, namespace and view), with the URL conf and the script prefix. Nothing else of
the request or the user reaches the template, so nothing else can be kept by mistake."""

from typing import NamedTuple

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


class NavUser(NamedTuple):
    supplier: bool
    supplier_admin: bool
    helpdesk: bool
    staff: bool


class NavPage(NamedTuple):
    url_name: str | None
    namespace: str
    view_name: str


_DRAWN: dict[tuple, SafeString] = {}


@register.simple_tag(takes_context=True)
def nav_links(context) -> SafeString:
    user = context["user"]
    match = getattr(context.get("request"), "resolver_match", None)
    nav = NavUser(
        bool(user.supplier_id), bool(user.is_supplier_admin), user.is_helpdesk, user.is_staff
    )
    here = NavPage(match.url_name, match.namespace, match.view_name) if match else None
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), nav, here)
    drawn = _DRAWN.get(key)
    if drawn is None:
        html = get_template("includes/nav_links.html").render({"nav": nav, "here": here})
        drawn = _DRAWN[key] = mark_safe(html)  # noqa: S308 (a template's output, escaped)
    return drawn


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting in ("ROOT_URLCONF", "TEMPLATES"):
        _DRAWN.clear()
