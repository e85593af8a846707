"""Back-office for the policy mirror and client invitations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.accounts.services import mask_email
from portal.links import email_base_url
from portal.masks import mask_rfc
from portal.record_access import RecordAccessMixin

from . import services
from .models import Person, PersonEmail, Policy, RegistrationKey

if TYPE_CHECKING:
    from portal.models import User


# Lists show the RFC and the emails masked: a list serves finding a record, and the full values
# are on the record's own page, for whoever may view it. Search still takes the full values.
@admin.display(description=_("cliente"), ordering="person__apellido_paterno")
def person_in_list(obj: Policy | PersonEmail | RegistrationKey) -> str:
    person = obj.person
    return f"{person.full_name} · {mask_rfc(person.rfc)}"


@admin.display(description=_("correo electrónico"), ordering="email")
def email_in_list(obj: PersonEmail | RegistrationKey) -> str:
    return mask_email(obj.email)


class PolicyInline(admin.TabularInline[Policy, Person]):
    model = Policy
    extra = 0
    fields = ["numero_poliza", "producto", "estatus"]


class PersonEmailInline(admin.TabularInline[PersonEmail, Person]):
    model = PersonEmail
    extra = 0


class RegistrationKeyInline(admin.TabularInline[RegistrationKey, Person]):
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
class PersonAdmin(RecordAccessMixin[Person]):  # each opening logged
    list_display = ["rfc_in_list", "nombre", "apellido_paterno", "apellido_materno",
                    "user_in_list", "account_blocked_at"]  # fmt: skip
    list_select_related = ["user"]
    search_fields = ["rfc", "nombre", "apellido_paterno", "apellido_materno", "emails__email",
                     "policies__numero_poliza"]  # fmt: skip
    readonly_fields = ["user", "account_blocked_at", "imported_at"]
    inlines = [PolicyInline, PersonEmailInline, RegistrationKeyInline]
    actions = ["send_invitation"]

    @admin.display(description=_("R.F.C."), ordering="rfc")
    def rfc_in_list(self, obj: Person) -> str:
        return mask_rfc(obj.rfc)

    # A client's username is their email.
    @admin.display(description=_("usuario del portal"), ordering="user__username")
    def user_in_list(self, obj: Person) -> str | None:
        return mask_email(obj.user.get_username()) if obj.user is not None else None

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
class PolicyAdmin(admin.ModelAdmin[Policy]):
    list_display = ["numero_poliza", "producto", "estatus", person_in_list]
    search_fields = ["numero_poliza", "person__rfc", "person__apellido_paterno"]
    list_select_related = ["person"]
    raw_id_fields = ["person"]


@admin.register(PersonEmail)
class PersonEmailAdmin(admin.ModelAdmin[PersonEmail]):
    list_display = [email_in_list, person_in_list]
    list_select_related = ["person"]
    search_fields = ["email", "person__rfc"]
    raw_id_fields = ["person"]


@admin.register(RegistrationKey)
class RegistrationKeyAdmin(admin.ModelAdmin[RegistrationKey]):
    """Invitations are created by the action on people; the key itself is never shown."""

    list_display = [person_in_list, email_in_list, "created_by", "sent_at", "expires_at",
                    "used_at"]  # fmt: skip
    list_select_related = ["person", "created_by"]
    list_filter = ["used_at"]
    search_fields = ["person__rfc", "email"]
    readonly_fields = ["person", "email", "created_by", "created_at", "sent_at", "expires_at",
                       "used_at"]  # fmt: skip
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
