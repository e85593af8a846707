"""The client's account: created for the identified person on the verified email, with the
"aquí" email that lets them choose a password. All or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import notice
from portal.accounts.services import queue_password_link
from registration.models import Person, PersonEmail, RegistrationKey

from .blocking import queue_new_email_notices
from .emails import EmailTaken, NewEmailNotAllowed, email_taken, emails_on_file, new_email_allowed
from .identification import AlreadyRegistered

if TYPE_CHECKING:
    from portal.models import User


def register_client(
    person_id: int, email: str, *, base_url: str, invitation_id: int | None = None
) -> User:
    """Create the client's account (username = email, no usable password yet), link it to
    the person, spend the invitation and queue the "aquí" email. All or nothing.

    An address not on file: every address on file is told, with a link to block the account.
    Raises AlreadyRegistered, EmailTaken or NewEmailNotAllowed; two concurrent claims of one
    email give one account (the person row is locked and `username` is unique).
    """
    User = get_user_model()
    email = email.strip().lower()
    try:
        with transaction.atomic():
            person = Person.objects.select_for_update().get(pk=person_id)
            if person.user_id is not None:
                raise AlreadyRegistered()
            if email_taken(email):
                raise EmailTaken()
            user = User(
                username=email,
                email=email,
                first_name=person.nombre,
                last_name=f"{person.apellido_paterno} {person.apellido_materno}".strip(),
                kind=User.Kind.CLIENT,
            )
            on_file = emails_on_file(person)
            if email not in on_file and not new_email_allowed(person):
                raise NewEmailNotAllowed()
            user.set_unusable_password()
            user.save()
            person.user = user
            # The notice shown beside the identification step: the registration's consent.
            person.privacy_notice_version = notice.current_version()
            person.save(update_fields=["user", "privacy_notice_version"])
            notice.record_acceptance(
                user=user,
                source=notice.Source.INVITATION if invitation_id else notice.Source.REGISTRATION,
            )
            PersonEmail.objects.get_or_create(person=person, email=email)
            if email not in on_file:
                queue_new_email_notices(person, user, to=on_file, base_url=base_url)
            if invitation_id is not None:
                updated = RegistrationKey.objects.filter(
                    pk=invitation_id, person=person, used_at=None
                ).update(used_at=timezone.now(), privacy_notice_version=notice.current_version())
                if not updated:
                    raise AlreadyRegistered()
            # The person's other invitations are no longer needed.
            RegistrationKey.objects.filter(person=person, used_at=None).update(
                expires_at=timezone.now()
            )
            queue_password_link(user, base_url=base_url, template="cliente_registro")
    except IntegrityError:
        # Another registration took this username between our check and our insert.
        raise EmailTaken() from None
    return user
