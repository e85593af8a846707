from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """One account for every kind of person: agents, clients and back-office staff."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Back-office")
        AGENT = "agent", _("Agente")
        CLIENT = "client", _("Cliente")

    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices, default=Kind.STAFF)
    phone = models.CharField(_("teléfono de contacto"), max_length=30, blank=True)
    # A temporary password (001 §4) can only be used to reach "Cambio de contraseña".
    password_expired = models.BooleanField(_("contraseña expirada"), default=False)
    temporary_password_expires_at = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    contact_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")

    def temporary_password_is_valid(self) -> bool:
        return (
            self.temporary_password_expires_at is not None
            and timezone.now() < self.temporary_password_expires_at
        )
