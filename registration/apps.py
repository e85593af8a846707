from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Clientes")  # the admin's section, in the reviewer's language

    def ready(self) -> None:
        from notifications import secret_providers
        from notifications.signals import email_refused
        from portal.accounts.services import password_link_provider
        from portal.codes import mark_undeliverable

        from . import services

        # In every process that sends email (the workers): what makes each email's secret.
        secret_providers.register("cliente_registro", password_link_provider)
        secret_providers.register("cliente_correo_nuevo", services.block_link_for_email)
        secret_providers.register("invitacion_registro", services.generate_key_for_email)

        # In every process that sends email (the workers): a refused address marks its code,
        # and the client's code step asks for another address.
        email_refused.connect(mark_undeliverable, dispatch_uid="registration.undeliverable")
