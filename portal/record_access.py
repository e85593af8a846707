"""Who looked at a record: opening a person's or an agent's page in admin (and any export of
one) writes an append-only `RecordAccess` row: who, when, which record (model and key),
never the values shown. Superusers read the log in admin; nobody adds, changes or deletes.

A ModelAdmin logs its records' openings by listing `RecordAccessMixin` first among its bases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .models import RecordAccess

if TYPE_CHECKING:
    from .models import User

_ModelT = TypeVar("_ModelT", bound=Model)


def record_access_log(
    *, viewer: User, model: type[Model], object_pk: Any, action: str = RecordAccess.Action.VIEW
) -> RecordAccess:
    """Write who looked at (or exported) the record `model` `object_pk`, now."""
    return RecordAccess.objects.create(
        viewer=viewer, action=action, model=model._meta.label_lower, object_pk=str(object_pk)
    )


class RecordAccessMixin(admin.ModelAdmin[_ModelT]):
    """Logs every opening of a record's own page (change or view form) by whoever opened it.

    Only a page actually shown counts: a missing record or a refusal (302, 403, 404) does
    not, and saving the form (POST) is the change's own history, not a reading."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            # Admin pages are only served to signed-in staff.
            viewer: User = request.user  # type: ignore[assignment]
            record_access_log(viewer=viewer, model=self.model, object_pk=unquote(object_id))
        return response


def _superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


@admin.register(RecordAccess)
class RecordAccessAdmin(admin.ModelAdmin[RecordAccess]):
    """The log, read-only and for superusers alone: knowing who looked at whom is itself
    something to keep from those who look."""

    list_display = ["accessed_at", "viewer", "action", "record"]
    list_filter = ["action"]
    list_select_related = ["viewer"]
    search_fields = ["viewer__username", "object_pk"]
    fields = ("accessed_at", "viewer", "action", "record")
    readonly_fields = fields
    date_hierarchy = "accessed_at"

    @admin.display(description=_("expediente"), ordering="model")
    def record(self, obj: RecordAccess) -> str:
        try:
            name = apps.get_model(obj.model)._meta.verbose_name
        except (LookupError, ValueError):  # a model since removed
            name = obj.model
        return f"{name} {obj.object_pk}"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
