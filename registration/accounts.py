"""The client portal's accounts: the email is the username, and changing it asks for the
password and adds the address to the person's emails on file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from portal.accounts import AccountConfig

if TYPE_CHECKING:
    from portal.models import User


def _remember_email(user: User, email: str) -> None:
    from .models import Person, PersonEmail

    person = Person.objects.select_for_update().filter(user=user).first()
    if person is not None:
        PersonEmail.objects.get_or_create(person=person, email=email)


def _personal_data(user: User) -> list[tuple[Any, list[Any]]]:
    """ "Mis datos": the client's person record, emails on file, policies and invitations."""
    from .models import Person, PersonEmail, Policy, RegistrationKey

    people = list(Person.objects.filter(user=user))
    return [
        (_("Tus datos como cliente"), people),
        (_("Tus correos registrados"), list(PersonEmail.objects.filter(person__in=people))),
        (_("Tus pólizas"), list(Policy.objects.filter(person__in=people))),
        (_("Tus invitaciones"), list(RegistrationKey.objects.filter(person__in=people))),
    ]


CLIENTS = AccountConfig(
    user_kind="client",
    namespace="registration",
    display_name=gettext_noop("Clientes"),
    login_by_email=True,
    email_changed=_remember_email,
    personal_data=_personal_data,
)
