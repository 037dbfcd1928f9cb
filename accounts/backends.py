"""How the portal loads the signed-in user of a request: with the second factors that may
verify their session, in the same query, compiled once.

django-otp's middleware would otherwise read the device named in the session on every request,
a second query of every page. Read with the user, the check stays exact and current: a device
deleted, unconfirmed or moved to another user, by any door (a service, the admin, a cascade,
SQL), no longer verifies the session at the next request (``accounts.middleware``).
"""

import functools

from django.contrib.auth import backends, get_user_model
from django.db import router
from django.db.models import CharField, OuterRef, StringAgg, Subquery, Value
from django.db.models.functions import Cast
from django_otp import device_classes

from ssi_portal.lib.compiled import CompiledQuery


@functools.cache
def _device_models() -> tuple:
    """django-otp's concrete device models (the portal's proxies share their tables)."""
    return tuple(device_classes())


def _annotation(model) -> str:
    """The user's attribute that holds this device table's confirmed ids ("3", "3,7", None)."""
    return f"_confirmed_{model._meta.db_table}_ids"


def _confirmed_ids(model) -> Subquery:
    """The ids of the user's confirmed devices in ``model``'s table, comma-separated (NULL for
    none): one row, a user at most has a few."""
    return Subquery(
        model.objects.filter(user_id=OuterRef("pk"), confirmed=True)
        .order_by()
        .values("user_id")
        .annotate(ids=StringAgg(Cast("pk", CharField()), Value(",")))
        .values("ids")
    )


@functools.cache
def _user_fields() -> tuple[str, ...]:
    return tuple(field.attname for field in get_user_model()._meta.concrete_fields)


def _user_with_devices(user_id):
    return (
        get_user_model()
        ._default_manager.annotate(
            **{_annotation(model): _confirmed_ids(model) for model in _device_models()}
        )
        .filter(pk=user_id)
        .values_list(*_user_fields(), *(_annotation(model) for model in _device_models()))
    )


_USER_WITH_DEVICES = CompiledQuery(_user_with_devices, kinds=(int,))


def confirmed_device_ids(user) -> frozenset[str] | None:
    """The persistent ids (``app_label.model/pk`` of the concrete device model) of the user's
    confirmed second factors, as :class:`ModelBackend` loaded them; None for a user loaded
    some other way (then the device is read from its table)."""
    try:
        stored = {model: getattr(user, _annotation(model)) for model in _device_models()}
    except AttributeError:
        return None
    return frozenset(
        f"{model._meta.label_lower}/{pk}"
        for model, ids in stored.items()
        for pk in (ids or "").split(",")
        if pk
    )


class ModelBackend(backends.ModelBackend):
    """Django's model backend (passwords, permissions), whose ``get_user`` — the user of every
    signed-in request — also reads the user's confirmed second factors, with SQL compiled once
    per process (``ssi_portal.lib.compiled``)."""

    def get_user(self, user_id):
        model = get_user_model()
        using = router.db_for_read(model)
        rows = _USER_WITH_DEVICES.rows(model._meta.pk.get_prep_value(user_id), using=using)
        if not rows:
            return None
        fields = _user_fields()
        user = model.from_db(using, fields, rows[0][: len(fields)])
        for model_, ids in zip(_device_models(), rows[0][len(fields) :], strict=True):
            setattr(user, _annotation(model_), ids)
        return user if self.user_can_authenticate(user) else None
