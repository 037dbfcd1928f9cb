"""How the portal loads the signed-in user of a request: with the second factors that may
verify their session, in the same query, compiled once; and, on a page, from the query that
reads the session itself (``accounts.sessions``), so that the user costs no query of its own.

django-otp's middleware would otherwise read the device named in the session on every request,
a second query of every page. Read with the user, the check stays exact and current: a device
deleted, unconfirmed or moved to another user, by any door (a service, the admin, a cascade,
SQL), no longer verifies the session at the next request (``accounts.middleware``).

A user's permissions, their own and their groups', are read in one query (Django's backend
makes one for each), compiled once, and kept on the user as Django keeps them.
"""

import contextlib
import contextvars
import functools

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Permission
from django.db import router
from django.db.models import CharField, IntegerField, OuterRef, StringAgg, Subquery, Value
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


def _confirmed_ids(model, user_id: str) -> Subquery:
    """The ids of the confirmed devices in ``model``'s table of the user whose id is the outer
    query's ``user_id``, comma-separated (NULL for none): one row, a user at most has a few."""
    return Subquery(
        model.objects.filter(user_id=OuterRef(user_id), confirmed=True)
        .order_by()
        .values("user_id")
        .annotate(ids=StringAgg(Cast("pk", CharField()), Value(",")))
        .values("ids")
    )


@functools.cache
def _user_fields() -> tuple[str, ...]:
    return tuple(field.attname for field in get_user_model()._meta.concrete_fields)


@functools.cache
def _organisation_fields() -> tuple[str, ...]:
    """The columns of the user's Supplier read with them: every page names it (the header's
    organisation, the lists' and an incident's Supplier), and it is a row of a small table."""
    supplier = get_user_model()._meta.get_field("supplier")
    return tuple(field.attname for field in supplier.related_model._meta.concrete_fields)


def user_columns(queryset, user: str = ""):
    """``queryset`` annotated with the confirmed second factors of its user (``user``, a
    relation's name, or the user itself when empty) and reduced to the columns that
    :func:`user_from_columns` makes a user of (after any columns of its own, given first): the
    user's own, their Supplier's (a left join: none for the helpdesk) and their devices'."""
    prefix = f"{user}__" if user else ""
    queryset = queryset.annotate(
        **{
            _annotation(model): _confirmed_ids(model, f"{user}_id" if user else "pk")
            for model in _device_models()
        }
    )
    return [
        *(f"{prefix}{name}" for name in _user_fields()),
        *(f"{prefix}supplier__{name}" for name in _organisation_fields()),
        *(_annotation(model) for model in _device_models()),
    ], queryset


def user_from_columns(using: str, values):
    """The user (with their Supplier and their confirmed second factors) of the values
    :func:`user_columns` selected; None when the row had no user (a left join that found
    none)."""
    fields, organisation = _user_fields(), _organisation_fields()
    if values[0] is None:
        return None
    model = get_user_model()
    user = model.from_db(using, fields, values[: len(fields)])
    supplier_values = values[len(fields) : len(fields) + len(organisation)]
    supplier_field = model._meta.get_field("supplier")
    supplier = None
    if user.supplier_id is not None and supplier_values[0] is not None:
        supplier = supplier_field.related_model.from_db(using, organisation, supplier_values)
    if user.supplier_id is None or supplier is not None:
        # As select_related("supplier") would: ``user.supplier`` reads no row of its own.
        supplier_field.set_cached_value(user, supplier)
    devices = values[len(fields) + len(organisation) :]
    for device_model, ids in zip(_device_models(), devices, strict=True):
        setattr(user, _annotation(device_model), ids)
    return user


def _user_with_devices(user_id):
    columns, queryset = user_columns(get_user_model()._default_manager.filter(pk=user_id))
    return queryset.values_list(*columns)


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


_PERMISSION_COLUMNS = ("content_type__app_label", "codename", "source")
_OWN, _GROUPS = 0, 1  # where a permission of the user comes from


def _permissions_of(user_id):
    """The user's own permissions and those of their groups, each row saying which, as
    Django's ``ModelBackend`` reads them (``user_permissions``; the permissions of the groups
    in ``groups``), in one query."""
    own = Permission.objects.filter(user=user_id).annotate(
        source=Value(_OWN, output_field=IntegerField())
    )
    of_groups = Permission.objects.filter(group__user=user_id).annotate(
        source=Value(_GROUPS, output_field=IntegerField())
    )
    return (
        own.order_by()
        .values_list(*_PERMISSION_COLUMNS)
        .union(of_groups.order_by().values_list(*_PERMISSION_COLUMNS), all=True)
        .order_by()
    )


def _every_permission():
    return Permission.objects.order_by().values_list(*_PERMISSION_COLUMNS[:2])


_PERMISSIONS_OF = CompiledQuery(_permissions_of, kinds=(int,), repeated=True)
_EVERY_PERMISSION = CompiledQuery(_every_permission, kinds=())


# The request whose signed-in user is being loaded (``users_from_the_session_of``): its
# session may hold that user, read with the session.
_REQUEST = contextvars.ContextVar("accounts_request_being_served", default=None)


@contextlib.contextmanager
def users_from_the_session_of(request):
    """While serving ``request``, :meth:`ModelBackend.get_user` takes the user its session
    read with its row (``accounts.sessions.SessionStore.take_user``), once, instead of reading
    them again. Django's own checks of that user still follow (the session's auth hash, so a
    password changed ends the session; an inactive user is nobody)."""
    token = _REQUEST.set(request)
    try:
        yield
    finally:
        _REQUEST.reset(token)


def _user_read_with_the_session(user_id) -> tuple | None:
    """``(user,)`` as the session of the request being served read it, or None."""
    take = getattr(getattr(_REQUEST.get(), "session", None), "take_user", None)
    return take(user_id) if take is not None else None


class ModelBackend(backends.ModelBackend):
    """Django's model backend (passwords, permissions), whose ``get_user`` — the user of every
    signed-in request — also reads the user's confirmed second factors, with SQL compiled once
    per process (``ssi_portal.lib.compiled``), or takes them as the request's session read them
    with its row (``users_from_the_session_of``); and which reads the user's own permissions
    and their groups' in one query (Django's reads each in one of its own)."""

    def get_user(self, user_id):
        read = _user_read_with_the_session(user_id)
        user = read[0] if read is not None else self._read(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _read(user_id):
        model = get_user_model()
        using = router.db_for_read(model)
        rows = _USER_WITH_DEVICES.rows(model._meta.pk.get_prep_value(user_id), using=using)
        return user_from_columns(using, rows[0]) if rows else None

    def get_user_permissions(self, user_obj, obj=None):
        return self._permissions(user_obj, obj, "user")

    def get_group_permissions(self, user_obj, obj=None):
        return self._permissions(user_obj, obj, "group")

    def _permissions(self, user_obj, obj, from_name: str) -> set[str]:
        """Django's ``_get_permissions``: none for an inactive or anonymous user or for an
        object, every permission for a superuser, kept on the user (``_user_perm_cache``,
        ``_group_perm_cache``); both read in one query when either is first asked for."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        cache = f"_{from_name}_perm_cache"
        if not hasattr(user_obj, cache):
            self._read_permissions(user_obj)
        return getattr(user_obj, cache)

    @staticmethod
    def _read_permissions(user_obj) -> None:
        using = router.db_for_read(Permission)
        if user_obj.is_superuser:
            every = {f"{app}.{codename}" for app, codename in _EVERY_PERMISSION.rows(using=using)}
            found = {"user": every, "group": set(every)}
        else:
            found = {"user": set(), "group": set()}
            rows = _PERMISSIONS_OF.rows(
                get_user_model()._meta.pk.get_prep_value(user_obj.pk), using=using
            )
            for app, codename, source in rows:
                found["group" if source == _GROUPS else "user"].add(f"{app}.{codename}")
        for from_name, perms in found.items():
            cache = f"_{from_name}_perm_cache"
            if not hasattr(user_obj, cache):  # one kept already stays, as Django keeps it
                setattr(user_obj, cache, perms)
