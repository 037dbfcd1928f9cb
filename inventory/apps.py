from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Suppliers and Smart Metering Inventory"

    def ready(self) -> None:
        # The security log hears of logins, failures and lockouts through signals.
        from . import audit

        audit.connect_axes()
