from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = "Clientes"

    def ready(self) -> None:
        from notifications.signals import email_refused
        from portal.codes import mark_undeliverable

        # In every process that sends email (the workers): a refused address marks its code,
        # and the client's code step asks for another address.
        email_refused.connect(mark_undeliverable, dispatch_uid="registration.undeliverable")
