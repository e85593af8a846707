from __future__ import annotations

from email.utils import make_msgid, parseaddr
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def make_message_id() -> str:
    """A new Message-ID in the sender's domain, e.g. `<1733…@alta.test>`."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] or "alta.invalid"
    return make_msgid(domain=domain)


class OutboxEmail(models.Model):
    """An email to send, written in the same transaction as the change that causes it.

    The body is rendered when the email is sent, never stored. A secret (a temporary
    password, a code) is produced by the provider registered for the row's template
    (notifications.secret_providers) once, at the row's first attempt, and kept in
    `sealed_secrets` encrypted until the row is sent or fails for good: every copy of the
    email (a retry after a crash that followed the server's "250") carries the same valid
    secret and the same `message_id`, and no secret sits in the outbox in clear.
    """

    class Status(models.TextChoices):
        PENDING = "pendiente", _("pendiente")
        SENT = "enviado", _("enviado")
        FAILED = "fallido", _("fallido")

    # The previous release stored these English spellings, and its pods keep writing them
    # while this release's migrations run and its pods roll out (0007 converts the rows that
    # exist when it runs, not those written after). Every read takes both spellings
    # (PENDING_SPELLINGS and the others, below). Delete in the release after this one, whose
    # migration converts the rows the previous release wrote during the rollout.
    LEGACY_STATUSES: ClassVar[dict[str, OutboxEmail.Status]] = {
        "pending": Status.PENDING,
        "sent": Status.SENT,
        "failed": Status.FAILED,
    }

    to = models.EmailField(_("para"))
    template = models.CharField(_("plantilla"), max_length=100)
    context = models.JSONField(_("contexto"), default=dict, blank=True)
    # The dotted path of the template's provider, for the previous release's workers during an
    # upgrade: this release looks the provider up by `template` and never imports it.
    secret_provider = models.CharField(_("proveedor del secreto"), max_length=200, blank=True)
    # The RFC 5322 Message-ID of every copy sent, made with the row: mail systems drop
    # copies they already have, which turns an at-least-once resend into "once" for people.
    message_id = models.CharField(
        _("Message-ID"), max_length=250, unique=True, default=make_message_id
    )
    # The provider's values, Fernet-encrypted (notifications.crypto); wiped once sent/failed.
    sealed_secrets = models.TextField(blank=True, default="")
    status = models.CharField(
        _("estatus"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("intentos"), default=0)
    subject = models.CharField(_("asunto"), max_length=250, blank=True)
    # The language the email is written in (a code of settings.LANGUAGES), chosen when it is
    # queued: the request that caused it, or the person's own; "" is settings.LANGUAGE_CODE.
    # db_default: the previous release's pods, still serving during an upgrade, insert rows
    # without this column.
    language = models.CharField(_("idioma"), max_length=16, blank=True, default="", db_default="")
    last_error = models.TextField(_("último error"), blank=True)
    # The reply code of a permanent refusal of the address (a 5xx to RCPT or DATA): the row
    # failed because of the address, not of an outage, so it neither counts as failed in
    # readiness and metrics nor is re-queued after an outage.
    refused_code = models.PositiveSmallIntegerField(_("rechazo permanente"), null=True, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("próximo intento"), null=True, blank=True)
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)

    class Meta:
        verbose_name = _("correo")
        verbose_name_plural = _("correos (outbox)")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # The dashboard's emails per day of a date range (the outbox keeps millions).
            models.Index(fields=["created_at"], name="outbox_created"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to} ({self.current_status.label})"

    @classmethod
    def spellings(cls, status: OutboxEmail.Status) -> tuple[str, ...]:
        """Every stored value meaning `status`: its own and the previous release's."""
        return (status, *(old for old, new in cls.LEGACY_STATUSES.items() if new == status))

    @property
    def current_status(self) -> OutboxEmail.Status:
        """The row's status, whichever release's spelling it was written with."""
        return self.LEGACY_STATUSES.get(self.status) or self.Status(self.status)


# Each status as this release stores it or as the previous release's pods still write it
# during an upgrade (LEGACY_STATUSES): every read of a row's status takes both.
PENDING_SPELLINGS = OutboxEmail.spellings(OutboxEmail.Status.PENDING)
SENT_SPELLINGS = OutboxEmail.spellings(OutboxEmail.Status.SENT)
FAILED_SPELLINGS = OutboxEmail.spellings(OutboxEmail.Status.FAILED)
