"""Back-office for the policy mirror and client invitations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.links import email_base_url

from . import services
from .models import Person, PersonEmail, Policy, RegistrationKey

if TYPE_CHECKING:
    from portal.models import User


class PolicyInline(admin.TabularInline):
    model = Policy
    extra = 0
    fields = ["numero_poliza", "producto", "estatus"]


class PersonEmailInline(admin.TabularInline):
    model = PersonEmail
    extra = 0


class RegistrationKeyInline(admin.TabularInline):
    model = RegistrationKey
    extra = 0
    fields = readonly_fields = (
        "email",
        "created_by",
        "created_at",
        "sent_at",
        "expires_at",
        "used_at",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["rfc", "nombre", "apellido_paterno", "apellido_materno", "user",
                    "account_blocked_at"]  # fmt: skip
    search_fields = ["rfc", "nombre", "apellido_paterno", "apellido_materno", "emails__email",
                     "policies__numero_poliza"]  # fmt: skip
    readonly_fields = ["user", "account_blocked_at", "imported_at"]
    inlines = [PolicyInline, PersonEmailInline, RegistrationKeyInline]
    actions = ["send_invitation"]

    def has_send_invitation_permission(self, request: HttpRequest) -> bool:
        # Its own permission: viewing the clients must not be enough to mail them keys.
        return request.user.has_perm("registration.send_invitation")

    @admin.action(description=_("Enviar invitación de registro"), permissions=["send_invitation"])
    def send_invitation(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        sent = skipped_registered = skipped_no_email = 0
        base_url = email_base_url(request)
        for person in queryset:
            try:
                # Admin actions are only run by signed-in staff.
                services.invite(person, by=cast("User", request.user), base_url=base_url)
            except services.AlreadyRegistered:
                skipped_registered += 1
            except services.NoEmailOnFile:
                skipped_no_email += 1
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "Se envió %(n)d invitación de registro.",
                    "Se enviaron %(n)d invitaciones de registro.",
                    sent,
                )
                % {"n": sent},
                messages.SUCCESS,
            )
        if skipped_registered:
            self.message_user(
                request,
                _("%(n)d ya tienen cuenta en el portal; no se les envió invitación.")
                % {"n": skipped_registered},
                messages.WARNING,
            )
        if skipped_no_email:
            self.message_user(
                request,
                _("%(n)d no tienen correo electrónico registrado; no se les envió invitación.")
                % {"n": skipped_no_email},
                messages.WARNING,
            )


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["numero_poliza", "producto", "estatus", "person"]
    search_fields = ["numero_poliza", "person__rfc", "person__apellido_paterno"]
    list_select_related = ["person"]
    raw_id_fields = ["person"]


@admin.register(PersonEmail)
class PersonEmailAdmin(admin.ModelAdmin):
    list_display = ["email", "person"]
    search_fields = ["email", "person__rfc"]
    raw_id_fields = ["person"]


@admin.register(RegistrationKey)
class RegistrationKeyAdmin(admin.ModelAdmin):
    """Invitations are created by the action on people; the key itself is never shown."""

    list_display = ["person", "email", "created_by", "sent_at", "expires_at", "used_at"]
    list_filter = ["used_at"]
    search_fields = ["person__rfc", "email"]
    readonly_fields = ["person", "email", "created_by", "created_at", "sent_at", "expires_at",
                       "used_at"]  # fmt: skip
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
