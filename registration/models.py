"""The policy mirror (read-only copy of the insurer's policies) and client invitations."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

INVITATION_LIFETIME = timedelta(days=30)


class Person(models.Model):
    """A policyholder, identified by RFC."""

    rfc = models.CharField(_("R.F.C."), max_length=13, unique=True)
    nombre = models.CharField(_("nombre"), max_length=100)
    apellido_paterno = models.CharField(_("apellido paterno"), max_length=100)
    apellido_materno = models.CharField(_("apellido materno"), max_length=100, blank=True)
    fecha_nacimiento = models.DateField(_("fecha de nacimiento"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("usuario del portal"),
    )
    # Set when someone with an address on file blocked the account from the notice that an
    # account was created on another address; back-office lifts it after the Call Center
    # confirms who the person is.
    account_blocked_at = models.DateTimeField(_("cuenta bloqueada"), null=True, blank=True)
    # The privacy notice's version shown when the client registered (the consent record; the
    # account's later versions are portal.NoticeAcceptance rows); "" before it was kept.
    privacy_notice_version = models.CharField(
        _("versión del aviso de privacidad"), max_length=40, blank=True, default="", db_default=""
    )
    imported_at = models.DateTimeField(_("importado"), auto_now=True)

    class Meta:
        verbose_name = _("cliente")
        verbose_name_plural = _("clientes")
        ordering = ["apellido_paterno", "apellido_materno", "nombre"]
        # An invitation puts a registration key in someone's mailbox: not for every viewer.
        permissions = [("send_invitation", _("Puede enviar invitaciones de registro"))]

    def __str__(self) -> str:
        return f"{self.full_name} · {self.rfc}"

    @property
    def full_name(self) -> str:
        parts = [self.nombre, self.apellido_paterno, self.apellido_materno]
        return " ".join(p for p in parts if p)


class Policy(models.Model):
    """A product the person holds, listed when they choose their email."""

    numero_poliza = models.CharField(_("número de póliza"), max_length=30, unique=True)
    producto = models.CharField(_("producto"), max_length=200)
    estatus = models.CharField(_("estatus"), max_length=50, blank=True)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="policies", verbose_name=_("cliente")
    )
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("póliza")
        verbose_name_plural = _("pólizas")
        ordering = ["numero_poliza"]

    def __str__(self) -> str:
        return f"{self.numero_poliza} · {self.producto}"


class PersonEmail(models.Model):
    """An email the insurer has on file for the person: the registration offers them."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="emails", verbose_name=_("cliente")
    )
    email = models.EmailField(_("correo electrónico"))

    class Meta:
        verbose_name = _("correo registrado")
        verbose_name_plural = _("correos registrados")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["person", "email"], name="one_email_row_per_person")
        ]

    def __str__(self) -> str:
        return self.email


class RegistrationKey(models.Model):
    """An invitation's "clave de registro". Only its HMAC is kept.

    The row is created when back-office sends the invitation; the key itself is generated
    when the email is delivered (`registration.services.generate_key_for_email`).
    """

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="registration_keys",
        verbose_name=_("cliente"),
    )
    key_hash = models.CharField(max_length=128, blank=True, db_index=True)
    email = models.EmailField(_("enviada a"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enviada por"),
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    sent_at = models.DateTimeField(_("enviada"), null=True, blank=True)
    expires_at = models.DateTimeField(_("vence"))
    used_at = models.DateTimeField(_("usada"), null=True, blank=True)
    # The privacy notice's version shown when the invitation was accepted (set with used_at).
    privacy_notice_version = models.CharField(
        _("versión del aviso de privacidad"), max_length=40, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("invitación de registro")
        verbose_name_plural = _("invitaciones de registro")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.person} · {self.email}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.expires_at is None:
            self.expires_at = timezone.now() + INVITATION_LIFETIME
        super().save(*args, **kwargs)

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and bool(self.key_hash) and timezone.now() < self.expires_at
