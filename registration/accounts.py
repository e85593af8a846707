"""The client portal's accounts: the email is the username, and changing it asks for the
password and adds the address to the person's emails on file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from portal.accounts import AccountConfig

if TYPE_CHECKING:
    from portal.models import User


def _remember_email(user: User, email: str) -> None:
    from .models import Person, PersonEmail

    person = Person.objects.select_for_update().filter(user=user).first()
    if person is not None:
        PersonEmail.objects.get_or_create(person=person, email=email)


CLIENTS = AccountConfig(
    user_kind="client",
    namespace="registration",
    display_name="Clientes",
    base_template="registration/portal_base.html",
    login_template="registration/login.html",
    home_url_name="registration:home",
    account_url_name="registration:home",
    login_title=_("Ingresar al portal de clientes"),
    login_by_email=True,
    email_change_needs_password=True,
    email_changed=_remember_email,
)

ACCOUNT_PATHS = {
    "login": "ingresar/",
    "logout": "salir/",
    "password_change": "contrasena/cambiar/",
    "email_change": "correo/cambiar/",
    "email_confirm": "correo/cambiar/codigo/",
    "password_reset": "contrasena/olvide/",
    "password_reset_done": "contrasena/olvide/enviado/",
    "password_reset_complete": "contrasena/lista/",
    "password_reset_confirm": "contrasena/<uidb64>/<token>/",
}
