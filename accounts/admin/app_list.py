"""The admin's list of apps and models a user may reach (the navigation sidebar of every admin
page, the index), kept once built for each set of answers it is built from.

Django builds it on every page: for each registered ModelAdmin its ``has_module_permission``
and ``get_model_perms`` (four permission checks, each through every authentication backend),
then two ``reverse()`` calls a model. Its result depends only on those answers, the registry,
the URL conf and the language (the apps are sorted by their translated names). Where a
ModelAdmin keeps Django's own checks, their answers depend only on the user's permissions,
as each backend holds them, and whether the user is active or a superuser; where it decides
for itself (an override), that answer is asked on each request and is part of the key. Where
the user or a backend answers in a way of its own, the list is built as Django builds it.
"""

from django.conf import settings
from django.contrib.admin import ModelAdmin
from django.contrib.auth import get_backends
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import PermissionsMixin
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

from ssi_portal.lib.kept import Kept

_KEPT: Kept[list] = Kept(1_000)
_CHECKS = (
    "has_add_permission",
    "has_change_permission",
    "has_delete_permission",
    "has_view_permission",
)
_STANDARD_HAS_PERM = (None, BaseBackend.has_perm, DjangoModelBackend.has_perm)
_STANDARD_HAS_MODULE_PERMS = (None, DjangoModelBackend.has_module_perms)
_USER_METHODS = ("has_perm", "has_module_perms", "get_all_permissions")


def app_list(site, request, app_label, build) -> list:
    """``build(request, app_label)`` (Django's ``get_app_list``), kept by what it is built from."""
    key = _key(site, request, app_label)
    if key is None:
        return build(request, app_label)
    kept = _KEPT.get(key, lambda: build(request, app_label))
    # Each request its own lists and dicts, as Django gives it: nothing it changes is kept.
    return [
        {**app, "models": [{**model, "perms": dict(model["perms"])} for model in app["models"]]}
        for app in kept
    ]


def _key(site, request, app_label) -> tuple | None:
    user = getattr(request, "user", None)
    if user is None or not _standard_user(user):
        return None
    backends = get_backends()
    if not all(_standard_backend(backend) for backend in backends):
        return None
    registry, names, answers, defaults = [], [], [], False
    for model, model_admin in site._registry.items():
        registry.append((model, model_admin))
        kind = type(model_admin)
        if kind.has_module_permission is not ModelAdmin.has_module_permission:
            answers.append(model_admin.has_module_permission(request))
        else:
            defaults = True
        if kind.get_model_perms is not ModelAdmin.get_model_perms:
            perms = model_admin.get_model_perms(request)
            if type(perms) is not dict:
                return None
            names.append(tuple(perms))
            answers.extend(perms.values())
            continue
        for check in _CHECKS:
            if getattr(kind, check) is not getattr(ModelAdmin, check):
                answers.append(getattr(model_admin, check)(request))
            else:
                defaults = True
    if not all(type(answer) is bool for answer in answers):
        return None  # an answer of another kind is shown as given: Django's, each time
    held = None  # an active superuser is allowed every default check, whatever is held
    if defaults and not (user.is_active and user.is_superuser):
        # What Django's checks read, each through every backend that answers them (the
        # user's permissions read once, as Django's first check would read them).
        held = tuple(
            frozenset(backend.get_all_permissions(user))
            if hasattr(backend, "get_all_permissions")
            else None
            for backend in backends
        )
    return (
        site.name,
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        get_language(),
        app_label,
        bool(user.is_active),
        bool(user.is_superuser),
        held,
        tuple(registry),
        tuple(names),
        tuple(answers),
    )


def _standard_user(user) -> bool:
    kind = user.__class__  # the user's own class, where a request's lazy user stands for it
    return all(
        getattr(kind, name, None) is getattr(PermissionsMixin, name) for name in _USER_METHODS
    )


def _standard_backend(backend) -> bool:
    kind = type(backend)
    return (
        getattr(kind, "has_perm", None) in _STANDARD_HAS_PERM
        and getattr(kind, "has_module_perms", None) in _STANDARD_HAS_MODULE_PERMS
    )
