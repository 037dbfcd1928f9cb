from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Suppliers and users"

    def ready(self) -> None:
        # The security log hears of logins, failures and lockouts through signals.
        from . import audit

        audit.connect_axes()
