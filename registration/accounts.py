"""The client portal's accounts: the email is the username, and changing it asks for the
password and adds the address to the person's emails on file."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    login_by_email=True,
    email_changed=_remember_email,
)
