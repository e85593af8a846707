"""The SAA mirror (read-only copy of the insurer's agent system) and access requests."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Promotoria(models.Model):
    clave = models.CharField(_("clave promotoría"), max_length=20, unique=True)
    nombre = models.CharField(_("nombre promotoría"), max_length=200)

    class Meta:
        verbose_name = _("promotoría")
        verbose_name_plural = _("promotorías")
        ordering = ["clave"]

    def __str__(self) -> str:
        return f"{self.clave} · {self.nombre}"


class Channel(models.Model):
    """A sales channel an agent may request access for ("Canales Disponibles")."""

    name = models.CharField(_("canal"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("canal")
        verbose_name_plural = _("canales")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A "Rol Deseado" an agent may request; data, editable in admin."""

    code = models.CharField(_("clave"), max_length=30, unique=True)
    name = models.CharField(_("nombre"), max_length=100)
    active = models.BooleanField(_("disponible"), default=True)
    order = models.PositiveIntegerField(_("orden"), default=0)

    class Meta:
        verbose_name = _("rol")
        verbose_name_plural = _("roles")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    """One agent or promotor as the SAA knows them ("Datos generales")."""

    clave_agente = models.CharField(_("clave de agente"), max_length=20, unique=True)
    tipo_agente = models.CharField(_("tipo de agente"), max_length=50, blank=True)
    nombre = models.CharField(_("nombre"), max_length=100)
    apellido_paterno = models.CharField(_("apellido paterno"), max_length=100, blank=True)
    apellido_materno = models.CharField(_("apellido materno"), max_length=100, blank=True)
    email = models.EmailField(_("correo electrónico"), blank=True)
    rfc = models.CharField(_("R.F.C."), max_length=13)
    tipo_cedula = models.CharField(_("tipo de cédula"), max_length=20, blank=True)
    numero_cedula = models.CharField(_("número de cédula"), max_length=50, blank=True)
    tipo_razon_social = models.CharField(_("tipo de razón social"), max_length=20, blank=True)
    nombre_razon_social = models.CharField(_("nombre razón social"), max_length=200, blank=True)
    nombre_apoderado_legal = models.CharField(
        _("nombre apoderado legal"), max_length=200, blank=True
    )
    direccion = models.CharField(_("dirección solicitante"), max_length=300, blank=True)
    clave_promotor = models.CharField(_("clave promotor"), max_length=20, blank=True)
    nombre_promotor = models.CharField(_("nombre promotor"), max_length=200, blank=True)
    promotoria = models.ForeignKey(
        Promotoria, on_delete=models.PROTECT, related_name="agents", verbose_name=_("promotoría")
    )
    domicilio_fiscal = models.CharField(_("domicilio fiscal"), max_length=300, blank=True)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    mercado = models.CharField(_("mercado"), max_length=100, blank=True)
    en_vigor = models.BooleanField(_("en vigor"), default=True)
    channels = models.ManyToManyField(Channel, blank=True, verbose_name=_("canales"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent",
        verbose_name=_("usuario del portal"),
    )
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agente (SAA)")
        verbose_name_plural = _("agentes (SAA)")
        ordering = ["clave_agente"]
        # The keys are matched in any case (identification, "Búsqueda de Agentes"): without
        # this index each match reads the whole SAA table.
        indexes = [models.Index(Upper("clave_agente"), name="agent_clave_upper")]

    def __str__(self) -> str:
        return f"{self.clave_agente} · {self.full_name}"

    @property
    def full_name(self) -> str:
        parts = [self.nombre, self.apellido_paterno, self.apellido_materno]
        return " ".join(p for p in parts if p)

    @property
    def is_company(self) -> bool:
        return self.tipo_razon_social.strip().upper() == "MORAL"


class AccessRequest(models.Model):
    """A request for access to the agents' portal, reviewed in back-office."""

    class Status(models.TextChoices):
        PENDING = "pendiente", _("pendiente")
        APPROVED = "aprobada", _("aprobada")
        REJECTED = "rechazada", _("rechazada")

    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="requests", verbose_name=_("agente")
    )
    channels = models.ManyToManyField(Channel, verbose_name=_("canales"))
    role = models.ForeignKey(Role, on_delete=models.PROTECT, verbose_name=_("rol deseado"))
    email = models.EmailField(_("correo electrónico"))
    # Set when the request is filed: a typed email other than the SAA's is how someone who
    # knows an agent's semi-public keys would take the account, so it is reviewed apart.
    email_differs_from_saa = models.BooleanField(_("correo distinto del SAA"), default=False)
    status = models.CharField(
        _("estatus"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("enviada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)
    decided_at = models.DateTimeField(_("decidida"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decidida por"),
    )
    rejection_reason = models.TextField(_("motivo de rechazo"), blank=True)
    # The language the agent filed in: the emails a reviewer's decision sends go in it, not
    # in the reviewer's. "" (requests filed before it was kept) is settings.LANGUAGE_CODE.
    # db_default: the previous release's pods, still serving during an upgrade, insert rows
    # without this column.
    language = models.CharField(_("idioma"), max_length=16, blank=True, default="", db_default="")
    # Set when the mail server refused the request's address for good (a 5xx): the reviewer
    # sees it in the queue and rejects, or the agent files again with a working address.
    email_undeliverable_at = models.DateTimeField(_("correo no entregable"), null=True, blank=True)
    # The privacy notice's version shown when the request was filed (the consent record); ""
    # for requests filed before it was kept (db_default: the previous release still inserts).
    privacy_notice_version = models.CharField(
        _("versión del aviso de privacidad"), max_length=40, blank=True, default="", db_default=""
    )
    # Set when the reviewers were emailed that the request went overdue (agents.alerts): that
    # alert goes once per request. Nullable: the previous release's pods insert without it.
    overdue_alerted_at = models.DateTimeField(_("aviso de vencida enviado"), null=True, blank=True)

    class Meta:
        verbose_name = _("solicitud de acceso")
        verbose_name_plural = _("solicitudes de acceso")
        ordering = ["created_at"]
        permissions = [("review_accessrequest", _("Puede aprobar o rechazar solicitudes"))]
        # The review queue: a status (pending by default), oldest first, one page at a time;
        # with the id last the index gives the page without sorting the whole table.
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="request_queue"),
            models.Index(fields=["created_at", "id"], name="request_queue_all"),
            # The dashboard: decisions in a date range, and the requests undecided at its end.
            models.Index(fields=["decided_at"], name="request_decided"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agent"],
                condition=Q(status="pendiente"),
                name="one_pending_request_per_agent",
            )
        ]

    def __str__(self) -> str:
        return f"Solicitud {self.pk} · {self.agent.clave_agente} ({self.get_status_display()})"


class ReviewDigest(models.Model):
    """A day whose morning digest was queued to the reviewers: the unique day keeps a second
    beat, a retry or a second run from sending it twice (written with the emails)."""

    day = models.DateField(_("día"), unique=True)
    created_at = models.DateTimeField(_("enviado"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("destinatarios"))
    pending = models.PositiveIntegerField(_("pendientes"))

    class Meta:
        verbose_name = _("resumen diario de revisión")
        verbose_name_plural = _("resúmenes diarios de revisión")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Resumen {self.day.isoformat()}"


class Decision(models.Model):
    """Append-only audit of back-office decisions: who, when, what, why."""

    class Kind(models.TextChoices):
        APPROVE = "aprobada", _("aprobada")
        REJECT = "rechazada", _("rechazada")
        # Not a decision on the request (it stays approved): the audit of a resend.
        RESEND_CREDENTIALS = "reenvio", _("credenciales reenviadas")

    request = models.ForeignKey(
        AccessRequest,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("solicitud"),
    )
    decision = models.CharField(_("decisión"), max_length=10, choices=Kind.choices)
    reason = models.TextField(_("motivo"), blank=True)
    # The reviewer ticked "Confirmo que verifiqué…" to approve a request whose email is not
    # the SAA's: who vouched for that address is part of the audit.
    email_override_confirmed = models.BooleanField(
        _("correo distinto del SAA confirmado"), default=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decidida por"),
    )
    decided_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        verbose_name = _("decisión")
        verbose_name_plural = _("decisiones")
        ordering = ["decided_at"]

    def __str__(self) -> str:
        return f"Solicitud {self.request_id}: {self.get_decision_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionDenied("Las decisiones registradas no se modifican.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("Las decisiones registradas no se eliminan.")


class Announcement(models.Model):
    """The "Novedades" on the agent portal's home, written by back-office in admin."""

    title = models.CharField(_("título"), max_length=200)
    body = models.TextField(_("texto"))
    published_at = models.DateTimeField(_("publicada desde"), default=timezone.now)
    active = models.BooleanField(_("visible"), default=True)

    class Meta:
        verbose_name = _("novedad")
        verbose_name_plural = _("novedades")
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title
