"""Invitations: back office emails a person a registration key, made (and only its HMAC
kept) when the email is sent."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.services import queue_email
from portal.accounts.services import login_url
from registration.accounts import CLIENTS
from registration.models import INVITATION_LIFETIME, Person, RegistrationKey

from .identification import AlreadyRegistered, hash_key

if TYPE_CHECKING:
    from notifications.models import OutboxEmail
    from portal.models import User

KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from an email
KEY_LENGTH = 12


class NoEmailOnFile(Exception):
    """The insurer has no email for the person: an invitation cannot be sent."""


def invite(person: Person, *, by: User, base_url: str) -> RegistrationKey:
    """Email the person a registration key; the key is generated at send time."""
    if person.user_id is not None:
        raise AlreadyRegistered()
    email = person.emails.order_by("pk").values_list("email", flat=True).first()
    if not email:
        raise NoEmailOnFile()
    with transaction.atomic():
        invitation = RegistrationKey.objects.create(person=person, email=email, created_by=by)
        queue_email(
            email,
            "invitacion_registro",
            {
                "invitation_id": invitation.pk,
                "full_name": person.full_name,
                "base_url": base_url,
                "login_url": login_url(CLIENTS, base_url=base_url),
                "days": INVITATION_LIFETIME.days,
            },
            # A reviewer's action, not the person's: the portal's language, not the reviewer's.
            language=settings.LANGUAGE_CODE,
        )
    return invitation


def generate_key_for_email(outbox_email: OutboxEmail) -> dict[str, Any]:
    """Outbox secret provider: make the key now and keep only its HMAC."""
    invitation = RegistrationKey.objects.select_for_update().get(
        pk=outbox_email.context["invitation_id"]
    )
    key = "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))
    invitation.key_hash = hash_key(key)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["key_hash", "sent_at"])
    shown = "-".join(key[i : i + 4] for i in range(0, KEY_LENGTH, 4))
    path = reverse("registration:register_key")
    return {
        "key": shown,
        "link": outbox_email.context["base_url"].rstrip("/") + path,
        "expires": timezone.localtime(invitation.expires_at),
    }
