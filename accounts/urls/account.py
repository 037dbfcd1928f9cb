"""Signing in and one's own account. Mounted at /accounts/; the login and logout pages keep
their un-namespaced names (``login``, ``logout``) in ssi_portal/urls.py."""

from django.urls import path

from ..views import account as views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("login/code/", views.login_code, name="login_code"),
    path("password/", views.PortalPasswordChangeView.as_view(), name="password_change"),
    path("two-factor/set-up/", views.mfa_setup, name="mfa_setup"),
    path("two-factor/qr.svg", views.mfa_qr, name="mfa_qr"),
    path("two-factor/remove/", views.mfa_remove, name="mfa_remove"),
    path("two-factor/backup-codes/", views.mfa_backup_codes, name="mfa_backup_codes"),
    path(
        "set-password/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set_password",
    ),
]
