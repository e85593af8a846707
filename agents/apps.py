from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agentes")  # the admin's section, in the reviewer's language

    def ready(self) -> None:
        from notifications import secret_providers
        from notifications.signals import email_refused
        from portal import dashboard_charts
        from portal.accounts.services import password_link_provider

        from . import dashboard
        from .receivers import mark_request_undeliverable
        from .services import review, status

        # In every process that sends email (the workers): what makes each email's secret.
        secret_providers.register("contrasena_generada", review.temporary_password_provider)
        secret_providers.register("enlace_contrasena_agente", password_link_provider)
        # The status link (a capability): made when sent, never stored in the outbox.
        secret_providers.register("solicitud_recibida", status.status_link_provider)
        secret_providers.register(status.STATUS_LINK_TEMPLATE, status.status_link_provider)

        # In every process that sends email (the workers): a refused address marks its request.
        email_refused.connect(mark_request_undeliverable, dispatch_uid="agents.undeliverable")

        # The requests' charts on the back-office dashboard (the shared package names no app).
        dashboard_charts.register(dashboard.SECTION)
