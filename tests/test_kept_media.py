"""Media whose tags are written once per process say what Django's Media says, and follow the
static files storage and the attributes asked for."""

from django.contrib import admin
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.forms import Media
from django.forms.widgets import Script

from ssi_portal.lib.media import KeptMedia

SCRIPTS = ["admin/js/core.js", "admin/js/actions.js"]
STYLES = {"all": ["admin/css/base.css"], "print": ["css/print.css"]}


def djangos() -> Media:
    return Media(js=SCRIPTS, css=STYLES)


def test_kept_media_writes_what_django_writes():
    kept = KeptMedia.of(djangos())

    assert kept.render() == djangos().render()
    assert kept["js"].render() == djangos()["js"].render()
    assert kept["css"].render() == djangos()["css"].render()


def test_the_admins_own_scripts_are_djangos():
    media = admin.ModelAdmin(admin.models.LogEntry, admin.site).media

    assert KeptMedia.of(media)["js"].render() == media["js"].render()


def test_the_tags_are_written_once(monkeypatch):
    KeptMedia.of(Media(js=["js/written-once.js"])).render()
    asked = []
    monkeypatch.setattr(
        StaticFilesStorage, "url", lambda self, name: asked.append(name) or f"/x/{name}"
    )

    assert (
        'src="/static/js/written-once.js"'
        in KeptMedia.of(Media(js=["js/written-once.js"]))["js"].render()
    )
    assert asked == []


def test_a_new_static_storage_writes_them_again(settings):
    before = KeptMedia.of(djangos())["js"].render()
    settings.STATIC_URL = "/assets/"

    after = KeptMedia.of(djangos())["js"].render()

    assert after != before
    assert after == djangos()["js"].render()
    assert 'src="/assets/admin/js/core.js"' in after


def test_media_asked_for_with_attributes_is_written_each_time():
    first = KeptMedia.of(djangos())["js"].render(attrs={"nonce": "first"})
    second = KeptMedia.of(djangos())["js"].render(attrs={"nonce": "second"})

    assert 'nonce="first"' in first and 'nonce="second"' in second
    assert second == djangos()["js"].render(attrs={"nonce": "second"})


def test_an_asset_that_writes_itself_is_written_by_django():
    class Inline:
        def __html__(self):
            return "<script>1</script>"

    assert "<script>1</script>" in KeptMedia.of(Media(js=[Inline()])).render()


def test_combined_media_is_djangos_and_merges_as_django_merges():
    combined = KeptMedia.of(djangos()) + Media(js=[SCRIPTS[0], Script("js/other.js")])

    assert type(combined) is Media
    assert combined.render() == (djangos() + Media(js=[SCRIPTS[0], "js/other.js"])).render()
