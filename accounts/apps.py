from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Suppliers and users"

    def ready(self) -> None:
        # The security log hears of logins, failures and lockouts through signals.
        from django.contrib.auth.signals import user_logged_in

        from . import audit
        from .middleware import stamp_session_at_login

        audit.connect_axes()
        user_logged_in.connect(stamp_session_at_login, dispatch_uid="accounts.session_stamp")
