"""Invitations: back office emails a person a registration key, made (and only its HMAC
kept) when the email is sent, with a link that carries it: opening the link fills in the key
on the wizard's first page, so on a phone nobody copies it across apps."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.services import queue_email
from portal.accounts.services import login_url
from registration.accounts import CLIENTS
from registration.models import INVITATION_LIFETIME, Person, RegistrationKey

from .identification import AlreadyRegistered, hash_key, normalize_key

if TYPE_CHECKING:
    from notifications.models import OutboxEmail
    from portal.models import User

KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from an email
KEY_LENGTH = 12
INVITATION_LINK_SALT = "alta.registration.invitation-link"


class NoEmailOnFile(Exception):
    """The insurer has no email for the person: an invitation cannot be sent."""


class BadInvitationLink(Exception):
    """The link's token is not ours, was altered, or its key expired or was used."""


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
    base_url = outbox_email.context["base_url"].rstrip("/")
    # Made here with the key, so the link is sealed with it and never stored in clear.
    token = signing.dumps({"key": key}, salt=INVITATION_LINK_SALT)
    return {
        "key": show_key(key),
        "link": base_url + reverse("registration:register_key_link", kwargs={"token": token}),
        "key_page": base_url + reverse("registration:register_key"),
        "expires": timezone.localtime(invitation.expires_at),
    }


def show_key(key: str) -> str:
    """A key as the email prints it: in groups of four ("ZL6W-RAYU-2LJF")."""
    plain = normalize_key(key)
    return "-".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def key_from_link(token: str) -> str:
    """The key an invitation link carries, while it can still be used; BadInvitationLink for
    a token altered or not ours, past the key's expiry, or whose key was used or replaced."""
    try:
        # No link outlives a key: INVITATION_LIFETIME bounds the age of any token, and the
        # key's own expiry (is_usable, below) is the link's.
        payload = signing.loads(token, salt=INVITATION_LINK_SALT, max_age=INVITATION_LIFETIME)
        key = str(payload["key"])
    except (signing.BadSignature, KeyError, TypeError):
        raise BadInvitationLink() from None
    invitation = RegistrationKey.objects.filter(key_hash=hash_key(key)).first()
    if invitation is None or not invitation.is_usable:
        raise BadInvitationLink()
    return key
