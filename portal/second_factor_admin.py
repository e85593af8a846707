"""Back-office: reset a lost second factor. Adding a record is the reset (it deletes the
account's factors, emails the owner and ends their sessions); records are never changed or
deleted. Reviewers reset agents' and clients' factors, superusers anyone's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .accounts import mfa
from .models import SecondFactorReset, User

# The factors themselves are not edited in admin (a key typed in there would skip the owner's
# enrolment, and their pages are the libraries' English): a lost one is reset below.
for _model in admin.site._registry.copy():
    if _model._meta.app_label in {"otp_totp", "otp_static", "django_otp_webauthn"}:
        admin.site.unregister(_model)


class SecondFactorResetForm(forms.ModelForm[SecondFactorReset]):
    class Meta:
        model = SecondFactorReset
        fields = ["user", "reason"]
        help_texts = {
            "reason": _("Cómo confirmaste la identidad de la persona (llamada, folio…)."),
        }


@admin.register(SecondFactorReset)
class SecondFactorResetAdmin(admin.ModelAdmin[SecondFactorReset]):
    form = SecondFactorResetForm
    list_display = ["user", "reset_at", "reset_by", "factors_removed"]
    list_select_related = ["user", "reset_by"]
    search_fields = ["user__username"]
    readonly_fields = ["factors_removed", "reset_by", "reset_at"]

    def get_field_queryset(
        self, db: Any, db_field: Any, request: HttpRequest
    ) -> QuerySet[Any] | None:
        if db_field.name == "user":
            accounts = User.objects.filter(is_active=True).order_by("username")
            if not request.user.is_superuser:  # a reviewer: agents' and clients' accounts
                accounts = accounts.exclude(Q(is_staff=True) | Q(is_superuser=True))
            return accounts
        return super().get_field_queryset(db, db_field, request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None:  # a record: nothing in it changes
            return ["user", "reason", "factors_removed", "reset_by", "reset_at"]
        return []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        record = mfa.reset_second_factor(
            user=obj.user,
            reason=obj.reason,
            reset_by=request.user,  # type: ignore[arg-type]
        )
        obj.pk = record.pk
        obj.__dict__.update(record.__dict__)
        self.message_user(
            request,
            _("Se restableció el segundo factor; avisamos a la persona por correo."),
            messages.SUCCESS,
        )
