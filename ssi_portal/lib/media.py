"""``KeptMedia``: Django's form ``Media``, its tags written once per process and kept.

A page of the admin writes its ModelAdmin's media (eight scripts) on every request: each
``Media`` the template asks for (``media.js``, ``media.css``) merges its lists again (a
topological sort) and writes each tag through ``static()`` and ``format_html``, about a third of
a millisecond for the same few lines every time. What they depend on is the key: the assets
themselves (paths and attributes), the static files storage (a new one when the settings that
make it change) and ``DEBUG`` (unhashed names). Media asked for with attributes (a CSP nonce,
new on every request) or holding anything else (an object of its own that writes itself) is
written by Django every time.
Combined with other media (``+``), it is Django's ``Media`` again.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.forms import Media
from django.forms.widgets import MEDIA_TYPES, MediaAsset

_WRITTEN: dict[tuple, str] = {}


class KeptMedia(Media):
    @classmethod
    def of(cls, media: Media) -> "KeptMedia":
        kept = cls()
        kept._css_lists, kept._js_lists = media._css_lists, media._js_lists
        return kept

    def __getitem__(self, name):
        if name not in MEDIA_TYPES:
            return super().__getitem__(name)  # Django's KeyError
        part = KeptMedia()
        if name == "js":
            part._js_lists = self._js_lists
        else:
            part._css_lists = self._css_lists
        return part

    def render(self, *, attrs=None):
        key = self._key(attrs)
        if key is None:
            return super().render(attrs=attrs)
        written = _WRITTEN.get(key)
        if written is None:
            written = _WRITTEN[key] = super().render(attrs=attrs)
        return written

    def _key(self, attrs) -> tuple | None:
        if attrs:
            return None
        js = tuple(tuple(assets) for assets in self._js_lists)
        css = tuple(
            tuple((medium, tuple(assets)) for medium, assets in by_medium.items())
            for by_medium in self._css_lists
        )
        assets = [asset for assets in js for asset in assets]
        assets += [asset for by_medium in css for _, each in by_medium for asset in each]
        if not all(isinstance(asset, MediaAsset) for asset in assets):
            return None
        return (storages["staticfiles"], settings.DEBUG, js, css)
