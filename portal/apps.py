from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Connects the lockout counter to django-axes' signal in every process, before any
        # login, not only once /metricas/ has been imported by the URLconf.
        from notifications import secret_providers

        from . import checks, codes, metrics  # noqa: F401
        from .accounts import receivers  # noqa: F401
        from .accounts.services import password_link_provider

        # In every process that sends email (the workers): what makes each email's secret.
        secret_providers.register("codigo", codes.generate_for_email)
        secret_providers.register("restablecer_contrasena", password_link_provider)


class AltaAdminConfig(admin_apps.AdminConfig):
    """Django admin, with `admin.site` asking staff for the second factor."""

    default = False
    default_site = "portal.admin_site.AltaAdminSite"
