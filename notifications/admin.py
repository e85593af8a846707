from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to", "template", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "template")
    search_fields = ("to",)
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Reintentar el envío")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        from .tasks import deliver

        ids = list(queryset.exclude(status=OutboxEmail.Status.SENT).values_list("pk", flat=True))
        queryset.filter(pk__in=ids).update(status=OutboxEmail.Status.PENDING, next_attempt_at=None)
        for pk in ids:
            deliver.delay(pk)
        self.message_user(request, f"{len(ids)} correo(s) en cola de nuevo.")
