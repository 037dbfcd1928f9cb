"""Personas and a clock for signing in, two-factor authentication and account management."""

import pytest
import time_machine

from tests.factories import UserFactory

from .helpers import START


@pytest.fixture
def clock():
    """Time stands still at START until a test moves it (``clock.shift(seconds)``): TOTP codes,
    django-axes' cool-off and session expiry all read it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mfa_required(settings):
    settings.SSI_MFA_REQUIRED = True


@pytest.fixture
def gaining_admin(gaining_supplier):
    return UserFactory(
        username="gainingadmin",
        email="admin@gaining.example",
        supplier=gaining_supplier,
        is_supplier_admin=True,
    )


@pytest.fixture
def other_admin(other_supplier):
    return UserFactory(
        username="otheradmin",
        email="admin@third.example",
        supplier=other_supplier,
        is_supplier_admin=True,
    )


@pytest.fixture
def helpdesk_with_every_permission(helpdesk_user):
    """The helpdesk persona holding every permission there is, django-otp's and auth's too."""
    from django.contrib.auth.models import Permission

    helpdesk_user.user_permissions.set(Permission.objects.all())
    return helpdesk_user


@pytest.fixture
def helpdesk_admin_client(client, helpdesk_with_every_permission):
    client.force_login(helpdesk_with_every_permission)
    return client


@pytest.fixture
def operator(django_user_model):
    """A superuser who is not helpdesk staff: an operator of the portal."""
    return django_user_model.objects.create_superuser("root", "root@ops.example", "x" * 16)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client
