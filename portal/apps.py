from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Connects the lockout counter to django-axes' signal in every process, before any
        # login, not only once /metricas/ has been imported by the URLconf.
        from . import checks, metrics  # noqa: F401
