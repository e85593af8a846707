from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    """An email to send, written in the same transaction as the change that causes it.

    The body is rendered when the email is sent, never stored: a secret (a temporary
    password, a code) is produced by `secret_provider` at that moment, so no secret sits
    in the outbox in clear.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pendiente")
        SENT = "sent", _("enviado")
        FAILED = "failed", _("fallido")

    to = models.EmailField(_("para"))
    template = models.CharField(_("plantilla"), max_length=100)
    context = models.JSONField(_("contexto"), default=dict, blank=True)
    secret_provider = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    subject = models.CharField(_("asunto"), max_length=250, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("correo")
        verbose_name_plural = _("correos (outbox)")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.template} → {self.to} ({self.get_status_display()})"
