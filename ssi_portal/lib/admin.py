"""The admin's forms to the portal's standard: valid HTML, and a name for every control.

Django's admin widgets fall short in two places, both found by the Nu Html Checker and axe-core:
its date and time boxes point ``aria-describedby`` at a time-zone note that its script adds
only when the browser is in another time zone (a reference to nothing, otherwise), and its
autocomplete box (Select2) has an empty ``<option>``.
"""

from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.db import models

_TIMEZONE_NOTE = "_timezone_warning_helptext"


def _without_timezone_note(attrs: dict, given: dict | None) -> None:
    # Keep what the form itself asked for (the field's help text); static/js/admin.js links
    # the time-zone note when the admin's script adds it.
    described = [
        ref
        for ref in str((given or {}).get("aria-describedby", "")).split()
        if not ref.endswith(_TIMEZONE_NOTE)
    ]
    if described:
        attrs["aria-describedby"] = " ".join(described)
    else:
        attrs.pop("aria-describedby", None)


class AdminDateWidget(widgets.AdminDateWidget):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        _without_timezone_note(context["widget"]["attrs"], attrs)
        return context


class AdminTimeWidget(widgets.AdminTimeWidget):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        _without_timezone_note(context["widget"]["attrs"], attrs)
        return context


class AdminSplitDateTime(widgets.AdminSplitDateTime):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget in context["widget"]["subwidgets"]:
            _without_timezone_note(subwidget["attrs"], attrs)
        return context


class AutocompleteSelect(widgets.AutocompleteSelect):
    """Django's autocomplete box with a labelled empty choice ("---------", as in any other
    select): an empty ``<option>`` is invalid HTML. static/js/admin.js names the box Select2
    draws after the field's label (Select2 copies no ``aria-label`` from the select)."""

    def optgroups(self, name, value, attr=None):
        # A refused form shows the box again with what was posted, and Django looks the posted
        # value up as it is: a value that cannot be a key (``abc``) would be a ValueError.
        # Such a value shows as nothing chosen; the field's own error says why.
        groups = super().optgroups(name, [v for v in value if self._is_key(v)], attr)
        for _group, options, _index in groups:
            for option in options:
                if option["value"] == "" and not option["label"]:
                    option["label"] = "---------"
        return groups

    def _is_key(self, value) -> bool:
        try:
            self.field.target_field.to_python(value)
        except ValidationError:
            return False
        return True


class AccessibleWidgetsMixin:
    """For a ModelAdmin whose form has date, time or autocomplete fields."""

    formfield_overrides = {
        models.DateField: {"widget": AdminDateWidget},
        models.TimeField: {"widget": AdminTimeWidget},
        models.DateTimeField: {"widget": AdminSplitDateTime},
    }

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class NoSaveWhenReadOnlyMixin:
    """A change page with nothing to change offers no Save buttons, only Close.

    For a ModelAdmin that keeps its change permission for another purpose (an action, a
    custom page) while every field of the object is read-only.
    """

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        forms = [context["adminform"].form] + [
            form for inline in context["inline_admin_formsets"] for form in inline.formset.forms
        ]
        if change and not any(not field.is_hidden for form in forms for field in form):
            context.update(
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
