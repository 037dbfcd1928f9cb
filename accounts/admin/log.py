"""Every change made in the admin goes to the security log: who (the signed-in user), what (the
object, the fields changed, old → new) and when.

One mixin, :class:`SecurityLoggedAdmin`, for every ModelAdmin that edits the portal's data. It
hooks the three calls every admin write makes, whatever the page (change form, list editing,
the password form, the delete page, the bulk delete action): ``construct_change_message``
(which sees the saved form and inlines), ``log_addition`` / ``log_change``, and
``delete_model`` / ``delete_queryset`` (the entries are written in the deletion's
transaction, so a refused deletion records nothing). Django's own admin history stays as it is.

Secrets are named, never shown: a password (or a field that looks like one) is "set (not
recorded)", and no hash or key reaches the log.
"""

import json

from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.auth.forms import ReadOnlyPasswordHashField
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction

from ..models import SecurityEventKind, User
from ..services import security_event_record

_SECRET_WORDS = ("password", "secret", "token", "install_code")
_VALUE_CHARS = 60
_DETAIL_CHARS = 500
_STASH = "_security_log_changes"


class SecurityLoggedAdmin:
    """Writes an ``admin_added``, ``admin_changed`` or ``admin_deleted`` security event for
    every object added, changed (if anything changed) or deleted through this ModelAdmin."""

    def construct_change_message(self, request, form, formsets, add=False):
        # Called on every save path once the form and its inlines are saved.
        setattr(request, _STASH, form_changes(form, add=add) + formsets_changes(formsets or ()))
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        admin_change_record(request, obj, SecurityEventKind.ADMIN_ADDED, _changes(request))
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        changes = _changes(request)
        if changes is None:
            # A page that logs without building a message from a form: Django's own words.
            text = LogEntry(change_message=_as_json(message)).get_change_message()
            changes = [text.rstrip(".")] if message and text != "No fields changed." else []
        if changes:
            admin_change_record(request, obj, SecurityEventKind.ADMIN_CHANGED, changes)
        return entry

    def delete_model(self, request, obj):
        with transaction.atomic(using=router.db_for_write(obj.__class__)):
            admin_change_record(request, obj, SecurityEventKind.ADMIN_DELETED, [])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            for obj in queryset:
                admin_change_record(request, obj, SecurityEventKind.ADMIN_DELETED, [])
            super().delete_queryset(request, queryset)


def admin_change_record(request, obj, kind: SecurityEventKind, changes: list[str] | None):
    """The security event of one object added, changed or deleted in the admin."""
    opts = obj._meta
    verb = {
        SecurityEventKind.ADMIN_ADDED: "Added",
        SecurityEventKind.ADMIN_CHANGED: "Changed",
        SecurityEventKind.ADMIN_DELETED: "Deleted",
    }[kind]
    detail = f"{verb} {opts.verbose_name} '{obj}'"
    if changes:
        detail += ": " + "; ".join(changes)
    detail += "."
    if len(detail) > _DETAIL_CHARS:
        detail = detail[: _DETAIL_CHARS - 1] + "…"
    security_event_record(
        kind=kind,
        actor=request.user,
        request=request,
        reference=f"{opts.model_name}:{obj.pk} {obj}",
        detail=detail,
        # A user's organisation is the one concerned, as for the organisation's own changes.
        supplier=obj.supplier_id if isinstance(obj, User) else None,
    )


def form_changes(form, *, add: bool) -> list[str]:
    """What a saved form changed, field by field: ``label old → new`` (``label new`` when
    adding), in the form's order; secrets only named."""
    model = getattr(getattr(form, "_meta", None), "model", None)
    items, secret = [], False
    for name in form.changed_data:
        field = form.fields.get(name)
        if field is None or _is_secret(name, field):
            # Not a field of the form: the password form's own name for what it changed.
            secret = secret or field is not None or any(w in name for w in _SECRET_WORDS)
            continue
        label = _label(model, name, field)
        new = _shown(field, form.cleaned_data.get(name))
        if add:
            items.append(f"{label} {new}")
            continue
        # The bound field's initial value, as the form compared it (without microseconds
        # where the widget shows none).
        old = _shown(field, form[name].initial)
        if old != new:
            items.append(f"{label} {old} → {new}")
    if secret:
        items.append("password set (not recorded)")
    return items


def formsets_changes(formsets) -> list[str]:
    """What the saved inlines added, changed and deleted."""
    items = []
    for formset in formsets:
        name = formset.model._meta.verbose_name
        forms_by_object = {id(f.instance): f for f in formset.forms}
        for obj in formset.new_objects:
            items.append(f"{name} '{obj}' added")
        for obj, _ in formset.changed_objects:
            changed = form_changes(forms_by_object[id(obj)], add=False)
            items.append(f"{name} '{obj}' changed: " + ", ".join(changed))
        for obj in formset.deleted_objects:
            items.append(f"{name} '{obj}' deleted")
    return items


def _changes(request) -> list[str] | None:
    changes = getattr(request, _STASH, None)
    if changes is not None:
        delattr(request, _STASH)
    return changes


def _as_json(message) -> str:
    return message if isinstance(message, str) else json.dumps(message)


def _is_secret(name: str, field) -> bool:
    return (
        any(word in name for word in _SECRET_WORDS)
        or isinstance(field, ReadOnlyPasswordHashField)
        or isinstance(field.widget, forms.PasswordInput)
    )


def _label(model, name: str, field) -> str:
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            pass
    return str(field.label or name)


def _quoted(value) -> str:
    text = str(value)
    if len(text) > _VALUE_CHARS:
        text = text[: _VALUE_CHARS - 1] + "…"
    return f"'{text}'"


def _related(field, values) -> list:
    """The objects a model choice field's value (objects, primary keys or a queryset) names."""
    objects = [v for v in values if isinstance(v, models.Model)]
    keys = [v for v in values if not isinstance(v, models.Model) and v not in (None, "")]
    if keys:
        objects += list(field.queryset.model._default_manager.filter(pk__in=keys))
    return objects


def _shown(field, value) -> str:
    if isinstance(field, forms.ModelMultipleChoiceField):
        names = sorted(str(obj) for obj in _related(field, list(value or ())))
        return _quoted(", ".join(names)) if names else "none"
    if isinstance(field, forms.ModelChoiceField):
        found = _related(field, [value])
        return _quoted(found[0]) if found else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "empty"
    choices = getattr(field, "choices", None)
    if choices:
        labels = {str(key): label for key, label in _flat(choices)}
        return _quoted(labels.get(str(value), value))
    return _quoted(value)


def _flat(choices):
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield key, label
