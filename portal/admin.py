"""Back-office for what every portal shares: users, groups and django-axes' lockouts.

Django's permissions and django-axes keep English texts no catalogue reaches (names stored
at migrate, method names as column headers, f-strings); they are given Spanish here.
"""

from __future__ import annotations

from typing import Any, TypeVar

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import ManyToManyField, Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import lockout
from .accounts.services import mask_email
from .models import User

_ModelT = TypeVar("_ModelT", bound=Model)

# Django writes "Can add <model>" into the database once, in English, at migrate.
DEFAULT_PERMISSION_VERBS = {
    "add": _("Puede agregar"),
    "change": _("Puede modificar"),
    "delete": _("Puede eliminar"),
    "view": _("Puede ver"),
}


def permission_label(permission: Permission) -> str:
    """A permission as `Agentes | solicitud de acceso | Puede ver`: the stored name for our
    own permissions (written in Spanish), a Spanish verb for Django's four default ones."""
    action, _sep, model_name = permission.codename.partition("_")
    verb = DEFAULT_PERMISSION_VERBS.get(action)
    name = verb if verb is not None and model_name == permission.content_type.model else None
    return f"{permission.content_type} | {name or permission.name}"


class PermissionChoiceField(forms.ModelMultipleChoiceField[Permission]):
    def label_from_instance(self, obj: Permission) -> str:
        return permission_label(obj)


class SpanishPermissionsMixin(admin.ModelAdmin[_ModelT]):
    """Lists permissions by `permission_label` in the group and user forms."""

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField[Any] | None:
        if db_field.remote_field.model is Permission:
            kwargs.setdefault("form_class", PermissionChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(SpanishPermissionsMixin[User], DjangoUserAdmin[User]):
    # Masked in the list (a client's username is an email); in full on the account's page.
    list_display = (
        "masked_username",
        "masked_email",
        "first_name",
        "last_name",
        "kind",
        "is_staff",
    )
    list_filter = ("kind", "is_staff", "is_active")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Alta",
            {
                "fields": (
                    "kind",
                    "phone",
                    "password_expired",
                    "temporary_password_expires_at",
                    "password_changed_at",
                    "contact_confirmed_at",
                )
            },
        ),
    )
    actions = ["unlock_login"]

    @admin.display(description=_("nombre de usuario"), ordering="username")
    def masked_username(self, obj: User) -> str:
        return mask_email(obj.username) if "@" in obj.username else obj.username

    @admin.display(description=_("correo electrónico"), ordering="email")
    def masked_email(self, obj: User) -> str:
        return mask_email(obj.email) if obj.email else ""

    @admin.action(description=_("Desbloquear el inicio de sesión"), permissions=["unlock"])
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Lift the selected accounts' login locks, on the portals and on /admin/, from every
        address (django-axes' rows); each is written to the account's history."""
        users = list(queryset)
        for user in users:
            lockout.unlock(user.get_username())
            self.log_change(request, user, gettext("Inicio de sesión desbloqueado."))
        self.message_user(
            request,
            ngettext(
                "Se desbloqueó el inicio de sesión de %(count)d usuario.",
                "Se desbloqueó el inicio de sesión de %(count)d usuarios.",
                len(users),
            )
            % {"count": len(users)},
        )

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        # A lock is what stops guessing: only a superuser lifts one before its time.
        return bool(request.user.is_superuser)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SpanishPermissionsMixin[Group], DjangoGroupAdmin):
    pass


# django-axes: its app and rows in Spanish. Its verbose names and fieldsets go through
# gettext and are translated in locale/es; the rest is replaced here.
apps.get_app_config("axes").verbose_name = _("Bloqueos de inicio de sesión")


def _when(moment: Any) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "—"


# Its rows name themselves with English f-strings ("Attempted Access: …"), which admin shows
# in titles, breadcrumbs, checkboxes' labels and confirmations.
def _attempt_str(self: Any) -> str:
    return gettext("Intentos de %(username)s desde %(ip)s, el último %(when)s") % {
        "username": self.username,
        "ip": self.ip_address,
        "when": _when(self.attempt_time),
    }


def _failure_str(self: Any) -> str:
    text = gettext("Acceso fallido de %(username)s desde %(ip)s, %(when)s") % {
        "username": self.username,
        "ip": self.ip_address,
        "when": _when(self.attempt_time),
    }
    return f"{text} ({gettext('causó bloqueo')})" if self.locked_out else text


def _log_str(self: Any) -> str:
    return gettext("Sesión de %(username)s, %(when)s") % {
        "username": self.username,
        "when": _when(self.attempt_time),
    }


AccessAttempt.__str__ = _attempt_str
AccessFailureLog.__str__ = _failure_str
AccessLog.__str__ = _log_str


class AccessAttemptAdmin(AxesAccessAttemptAdmin):  # type: ignore[misc]
    """django-axes' own, with the column and the action it leaves untranslatable."""

    @admin.display(description=_("estatus"))
    def status(self, obj: Any) -> str:
        remaining = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if remaining <= 0:
            return gettext("Bloqueado")
        return ngettext("%(count)d intento restante", "%(count)d intentos restantes", remaining) % {
            "count": remaining
        }

    @admin.action(description=_("Eliminar los intentos vencidos"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "Se eliminó %(count)d intento de acceso vencido.",
                "Se eliminaron %(count)d intentos de acceso vencidos.",
                count,
            )
            % {"count": count},
        )


if admin.site.is_registered(AccessAttempt):  # AXES_ENABLE_ADMIN
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)


# Modules of their own: the ARCO queue (answering a request is a form on its page), who
# looked at a record (the read log, superusers only, and the mixin that writes it), and the
# second factor's resets (adding one is the reset, not a list of rows).
from . import arco_admin, record_access, second_factor_admin  # noqa: E402, F401
