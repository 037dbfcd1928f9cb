"""``{% fixed_url "name" %}``: ``{% url "name" %}`` for a URL without arguments, reversed once
per process (and URL conf and script prefix) rather than on every page: the navigation on
every page names a dozen of them, and reversing was a tenth of drawing a list."""

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

_REVERSED: dict[tuple, str] = {}


@register.simple_tag
def fixed_url(name: str) -> str:
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name)
    url = _REVERSED.get(key)
    if url is None:
        url = _REVERSED[key] = reverse(name)
    return url


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":  # the patterns a name reverses to may differ
        _REVERSED.clear()
