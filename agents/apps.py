from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agentes"

    def ready(self) -> None:
        from notifications.signals import email_refused

        from .receivers import mark_request_undeliverable

        # In every process that sends email (the workers): a refused address marks its request.
        email_refused.connect(mark_request_undeliverable, dispatch_uid="agents.undeliverable")
