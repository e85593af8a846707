"""An account registered on an address not on file: every address on file is told, with a
signed link that blocks the account until back office hears from the person."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from notifications.services import queue_email
from portal.accounts.services import mask_email
from registration.models import Person

if TYPE_CHECKING:
    from notifications.models import OutboxEmail
    from portal.models import User


# The "Bloquear la cuenta" link in the notice to the addresses on file: its own salt, so no
# other signed value of the project can stand for it, and a week to read the email.
BLOCK_LINK_SALT = "alta.registration.block-account"
BLOCK_LINK_LIFETIME = timedelta(days=7)


class BadBlockLink(Exception):
    """The block link is not one we signed, or it expired."""


def queue_new_email_notices(person: Person, user: User, *, to: list[str], base_url: str) -> None:
    """One notice per address on file: who registered, on which (masked) address, when, and a
    link to block the account. Written in the registration's transaction."""
    # To the addresses on file, whose owner may not be who registered: the portal's language
    # (the date's word order included), not the one the registering person chose.
    with translation.override(settings.LANGUAGE_CODE):
        when = date_format(timezone.localtime(), "DATETIME_FORMAT")
    for address in to:
        queue_email(
            address,
            "cliente_correo_nuevo",
            {
                "full_name": person.full_name,
                "new_email": mask_email(user.email),
                "when": when,
                "user_id": user.pk,
                "person_id": person.pk,
                "base_url": base_url,
                "days": BLOCK_LINK_LIFETIME.days,
            },
            language=settings.LANGUAGE_CODE,
        )


def make_block_token(person: Person, user: User) -> str:
    """A signed, expiring token that blocks `user`'s account of `person` and nothing else."""
    return signing.dumps({"person": person.pk, "user": user.pk}, salt=BLOCK_LINK_SALT)


def block_link_for_email(outbox_email: OutboxEmail) -> dict[str, Any]:
    """Outbox secret provider: the block link is signed when sent, so none sits in the outbox."""
    context = outbox_email.context
    person = Person.objects.get(pk=context["person_id"])
    user = get_user_model().objects.get(pk=context["user_id"])
    path = reverse("registration:block_account", kwargs={"token": make_block_token(person, user)})
    return {"link": context["base_url"].rstrip("/") + path}


def person_for_block_token(token: str) -> Person:
    """The person whose account the token blocks; raises BadBlockLink."""
    try:
        data = signing.loads(token, salt=BLOCK_LINK_SALT, max_age=BLOCK_LINK_LIFETIME)
        person = Person.objects.select_related("user").get(
            pk=int(data["person"]), user_id=int(data["user"])
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, Person.DoesNotExist):
        raise BadBlockLink() from None
    return person


def block_account(*, token: str) -> Person:
    """Block the account the token names until back-office hears from the person: the user
    can no longer sign in and its open sessions stop working. Idempotent: once blocked, the
    link does nothing more, so it cannot undo back-office lifting the block."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person_for_block_token(token).pk)
        user = person.user
        if user is None:  # unlinked by back-office since the email was sent
            raise BadBlockLink()
        if person.account_blocked_at is not None:
            return person
        person.account_blocked_at = timezone.now()
        person.save(update_fields=["account_blocked_at"])
        # An inactive user is refused by the login and by every session's user lookup.
        user.is_active = False
        user.save(update_fields=["is_active"])
    return person
