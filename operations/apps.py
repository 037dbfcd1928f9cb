from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Workers record each periodic task's runs (telemetry, not a business rule): the
        # operations page and /metrics read when each beat job last succeeded.
        from . import signals

        signals.connect()
