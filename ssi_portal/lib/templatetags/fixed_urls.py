"""``{% fixed_url "name" %}``: ``{% url "name" %}`` for a URL without arguments, reversed once
per process (and URL conf and script prefix) rather than on every page: the navigation on
every page names a dozen of them, and reversing was a tenth of drawing a list.

``{% fixed_static "path" %}``: ``{% static "path" %}``, looked up once per process (and script
prefix): the layout of every page names five static files, each looked up in the manifest of
hashed names, its URL quoted and joined, about a twentieth of drawing a list."""

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

_REVERSED: dict[tuple, str] = {}
_STATIC: dict[tuple, str] = {}


@register.simple_tag
def fixed_url(name: str) -> str:
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name)
    url = _REVERSED.get(key)
    if url is None:
        url = _REVERSED[key] = reverse(name)
    return url


@register.simple_tag
def fixed_static(path: str) -> str:
    key = (get_script_prefix(), path)
    url = _STATIC.get(key)
    if url is None:
        url = _STATIC[key] = static(path)
    return url


# What a static file's URL follows: its storage (the manifest of hashed names, unused under
# DEBUG) and where the files are served from.
_STATIC_SETTINGS = {"STORAGES", "STATIC_URL", "STATIC_ROOT", "DEBUG", "FORCE_SCRIPT_NAME"}


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":  # the patterns a name reverses to may differ
        _REVERSED.clear()
    if setting in _STATIC_SETTINGS:
        _STATIC.clear()
