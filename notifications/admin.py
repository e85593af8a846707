from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import PENDING_SPELLINGS, OutboxEmail
from .recovery import requeue_emails


class StatusFilter(admin.SimpleListFilter):
    """The status, whichever spelling a row has: the previous release's pods keep writing
    theirs ("pending", "sent", "failed") during an upgrade."""

    title = _("estatus")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in OutboxEmail.Status.choices]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OutboxEmail]
    ) -> QuerySet[OutboxEmail]:
        value = self.value()
        if value not in OutboxEmail.Status.values:
            return queryset
        return queryset.filter(status__in=OutboxEmail.spellings(OutboxEmail.Status(value)))


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin[OutboxEmail]):
    list_display = (
        "created_at", "to", "template", "status_label", "attempts", "next_attempt_at",
        "last_error", "sent_at",
    )  # fmt: skip
    list_filter = (StatusFilter, "template")
    search_fields = ("to",)
    # The sealed secrets are ciphertext, of no use to a reader and not to be copied around.
    readonly_fields = [
        "status_label" if f.name == "status" else f.name
        for f in OutboxEmail._meta.fields
        if f.name != "sealed_secrets"
    ]
    exclude = ("sealed_secrets", "status")
    actions = ["requeue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A pending row is an email someone is waiting for: deleting it loses it silently.
        # Django's bulk `delete_selected` asks this for every selected row and refuses the
        # whole deletion when one is pending.
        if obj is not None and obj.status in PENDING_SPELLINGS:
            return False
        return super().has_delete_permission(request, obj)

    # Not the field itself: a row the previous release wrote has a value outside its choices,
    # which Django would show as "-".
    @admin.display(description=_("estatus"), ordering="status")
    def status_label(self, obj: OutboxEmail) -> str:
        return str(obj.current_status.label)

    @admin.action(description=_("Reenviar"), permissions=["change"])
    def requeue(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        count = requeue_emails(ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d correo en cola de nuevo, con todos sus intentos.",
                "%(count)d correos en cola de nuevo, con todos sus intentos.",
                count,
            )
            % {"count": count},
        )
