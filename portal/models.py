from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Upper
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
    # Set while the password is a temporary one: it only opens "Cambio de contraseña".
    password_expired = models.BooleanField(_("contraseña expirada"), default=False)
    temporary_password_expires_at = models.DateTimeField(
        _("la contraseña temporal vence"), null=True, blank=True
    )
    password_changed_at = models.DateTimeField(_("contraseña cambiada"), null=True, blank=True)
    contact_confirmed_at = models.DateTimeField(
        _("datos de contacto confirmados"), null=True, blank=True
    )

    class Meta:
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")
        # Emails and usernames are matched in any case (email taken, password reset, login
        # by email): these keep each match an index lookup however many accounts there are.
        indexes = [
            models.Index(Upper("email"), name="user_email_upper"),
            models.Index(Upper("username"), name="user_username_upper"),
        ]

    def temporary_password_is_valid(self) -> bool:
        return (
            self.temporary_password_expires_at is not None
            and timezone.now() < self.temporary_password_expires_at
        )


class OneTimeCode(models.Model):
    """A 6-digit code emailed to prove control of an address (client registration, email
    changes).

    The code is generated when its email is sent and only its HMAC is kept, so neither the
    outbox nor this table holds a usable code; `portal.codes` issues and checks it.
    """

    purpose = models.CharField(_("propósito"), max_length=40)
    subject = models.CharField(_("sujeto"), max_length=200)  # what it proves, e.g. "person:12"
    email = models.EmailField(_("correo"))
    code_hash = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    voided = models.BooleanField(default=False)
    # Set when the mail server refused the address for good (a 5xx): the code step asks the
    # person to correct the address instead of waiting for a code that cannot arrive.
    undeliverable_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("código de verificación")
        verbose_name_plural = _("códigos de verificación")
        indexes = [
            models.Index(fields=["purpose", "subject"]),
            models.Index(Upper("email"), "created_at", name="code_email_upper_created"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} · {self.email}"


class SecondFactorReset(models.Model):
    """Append-only audit of a lost second factor reset by the back office (or by the
    operator's `manage.py reset_second_factor`, with no reviewer): who, whose, when, why."""

    user = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("cuenta")
    )
    reason = models.TextField(_("motivo"))
    factors_removed = models.PositiveSmallIntegerField(_("factores eliminados"), default=0)
    # Empty when the operator reset it from the command line (the last superuser's way back).
    reset_by = models.ForeignKey(
        "portal.User",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("restablecido por"),
    )
    reset_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        verbose_name = _("restablecimiento de segundo factor")
        verbose_name_plural = _("restablecimientos de segundo factor")
        ordering = ["-reset_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.reset_at:%Y-%m-%d %H:%M}"


class ArcoRequest(models.Model):
    """A request to exercise an ARCO right (LFPDPPP): access, rectification, cancellation or
    opposition, filed by a signed-in person from "Mis datos"; answered within 20 business
    days (`due_on`) by an `ArcoDecision`."""

    class Kind(models.TextChoices):
        ACCESS = "acceso", _("Acceso")
        RECTIFICATION = "rectificacion", _("Rectificación")
        CANCELLATION = "cancelacion", _("Cancelación")
        OPPOSITION = "oposicion", _("Oposición")

    user = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("cuenta")
    )
    kind = models.CharField(_("derecho"), max_length=20, choices=Kind.choices)
    details = models.TextField(_("detalle"), blank=True)
    filed_at = models.DateTimeField(_("recibida"), auto_now_add=True)
    due_on = models.DateField(_("fecha límite de respuesta"))
    language = models.CharField(max_length=10, blank=True, db_default="")

    class Meta:
        verbose_name = _("solicitud ARCO")
        verbose_name_plural = _("solicitudes ARCO")
        ordering = ["due_on", "pk"]
        permissions = [("decide_arcorequest", _("Puede resolver solicitudes ARCO"))]

    def __str__(self) -> str:
        return f"ARCO-{self.pk:06d}" if self.pk else "ARCO"


class ArcoDecision(models.Model):
    """Append-only answer to an ARCO request: who, when, what and why (a PostgreSQL trigger
    refuses UPDATE and DELETE, as for agents' decisions)."""

    class Outcome(models.TextChoices):
        GRANTED = "procedente", _("procedente")
        DENIED = "improcedente", _("improcedente")

    request = models.OneToOneField(
        ArcoRequest, on_delete=models.PROTECT, related_name="decision",
        verbose_name=_("solicitud ARCO"),
    )  # fmt: skip
    outcome = models.CharField(_("resolución"), max_length=20, choices=Outcome.choices)
    reason = models.TextField(_("motivo"))
    decided_by = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("resuelta por")
    )
    decided_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        verbose_name = _("resolución ARCO")
        verbose_name_plural = _("resoluciones ARCO")

    def __str__(self) -> str:
        return f"{self.request} · {self.get_outcome_display()}"


class NoticeAcceptance(models.Model):
    """Append-only proof that an account read and accepted a version of the privacy notice:
    at its registration, access request or invitation, or on "Aviso de privacidad
    actualizado" after a new version. Rows rather than a field on User: each version
    accepted, and when, stays provable after the next one."""

    class Source(models.TextChoices):
        REGISTRATION = "registro", _("registro de cliente")
        INVITATION = "invitacion", _("invitación")
        ACCESS_REQUEST = "solicitud", _("solicitud de acceso")
        UPDATE = "actualizacion", _("aviso actualizado")

    user = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("cuenta")
    )
    version = models.CharField(_("versión del aviso"), max_length=40)
    source = models.CharField(_("dónde"), max_length=20, choices=Source.choices)
    accepted_at = models.DateTimeField(_("aceptado"), default=timezone.now)

    class Meta:
        verbose_name = _("aceptación del aviso de privacidad")
        verbose_name_plural = _("aceptaciones del aviso de privacidad")
        indexes = [models.Index(fields=["user", "version"], name="notice_user_version")]

    def __str__(self) -> str:
        return f"{self.user} · {self.version}"


class RecordAccess(models.Model):
    """Append-only log of who opened a person's or an agent's record in admin, or exported
    one: who, when, which record (model and key), never the personal values themselves. A
    PostgreSQL trigger refuses UPDATE and DELETE; only superusers read it (portal.record_access)."""

    class Action(models.TextChoices):
        VIEW = "consulta", _("consulta")
        EXPORT = "exportacion", _("exportación")

    viewer = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("quién")
    )
    action = models.CharField(_("acción"), max_length=20, choices=Action.choices)
    model = models.CharField(_("tipo de expediente"), max_length=100)  # e.g. "agents.agent"
    object_pk = models.CharField(_("clave del expediente"), max_length=64)
    accessed_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        verbose_name = _("consulta de expediente")
        verbose_name_plural = _("consultas de expedientes")
        ordering = ["-accessed_at", "-pk"]
        # "Who looked at this record?": one record's rows, newest first.
        indexes = [
            models.Index(fields=["model", "object_pk", "accessed_at"], name="record_access_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.object_pk} · {self.accessed_at:%Y-%m-%d %H:%M}"


class FunnelCount(models.Model):
    """How many visitors passed a wizard's step (or finished it) on a day: counts only, no
    session, address, account or anything typed (portal.funnel). Its Meta also carries the
    dashboard's permission (portal.dashboard_views)."""

    wizard = models.CharField(_("asistente"), max_length=40)  # the wizard's app: "agents"
    step = models.CharField(_("paso"), max_length=40)  # a step's name, or funnel.FINISHED
    day = models.DateField(_("día"))  # local date (TIME_ZONE)
    count = models.PositiveIntegerField(_("visitantes"), default=0)

    class Meta:
        verbose_name = _("conteo del embudo")
        verbose_name_plural = _("conteos del embudo")
        # Written only by the wizards' counter, read only by the dashboard: no admin rights.
        default_permissions = ()
        permissions = [("view_dashboard", _("Puede ver el tablero"))]
        # The upsert's conflict target, and the dashboard's range scan (by wizard, by day).
        constraints = [
            models.UniqueConstraint(fields=["wizard", "day", "step"], name="funnel_count_key")
        ]

    def __str__(self) -> str:
        return f"{self.wizard} · {self.step} · {self.day}: {self.count}"
