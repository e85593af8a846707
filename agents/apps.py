from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agentes"

    def ready(self) -> None:
        from notifications import secret_providers
        from notifications.signals import email_refused
        from portal.accounts.services import password_link_provider

        from .receivers import mark_request_undeliverable
        from .services import review

        # In every process that sends email (the workers): what makes each email's secret.
        secret_providers.register("contrasena_generada", review.temporary_password_provider)
        secret_providers.register("enlace_contrasena_agente", password_link_provider)

        # In every process that sends email (the workers): a refused address marks its request.
        email_refused.connect(mark_request_undeliverable, dispatch_uid="agents.undeliverable")
