"""Client registration decisions: identify a policyholder (by policy data or an invitation's
key), verify an email, issue an account with a set-password link, and invitations. Plain
functions; the views and the admin call them."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.formats import date_format
from django.utils.translation import pgettext

from notifications.services import queue_email
from portal import codes, notice, ratelimit
from portal.accounts.services import (
    EmailInUse,
    EmailUnavailable,
    check_new_email,
    email_in_use,
    login_url,
    mask_email,
    queue_password_link,
)

from .accounts import CLIENTS
from .models import INVITATION_LIFETIME, Person, PersonEmail, Policy, RegistrationKey
from .policies import normalize_policy_number

if TYPE_CHECKING:
    from notifications.models import OutboxEmail
    from portal.models import User

CODE_PURPOSE = "client-registration"
KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from an email
KEY_LENGTH = 12
# The "Bloquear la cuenta" link in the notice to the addresses on file: its own salt, so no
# other signed value of the project can stand for it, and a week to read the email.
BLOCK_LINK_SALT = "alta.registration.block-account"
BLOCK_LINK_LIFETIME = timedelta(days=7)


class IdentificationError(Exception):
    """Base for the reasons a person cannot go on with the registration."""


class NoMatch(IdentificationError):
    """The data do not match a policyholder, or the key is wrong, used or expired."""


class AlreadyRegistered(IdentificationError):
    """The person already has a client account."""


class EmailTaken(Exception):
    """The email is already another account's username or email."""


class NoEmailOnFile(Exception):
    """The insurer has no email for the person: an invitation cannot be sent."""


class NewEmailNotAllowed(Exception):
    """The person has emails on file and settings allow only those as the username."""


class EmailRefused(Exception):
    """Past the email-taken limit: the address is refused without saying whether it is taken."""


class BadBlockLink(Exception):
    """The block link is not one we signed, or it expired."""


# --- identify: by policy data, or by an invitation's key ------------------------------------
def normalize_name(value: str) -> str:
    """Case, accents and extra spaces do not matter: "  José  Núñez" is "jose nunez"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def normalize_key(value: str) -> str:
    """A registration key as typed, without dashes or spaces, upper-case."""
    return "".join(c for c in (value or "").upper() if c.isalnum())


def identify_by_policy(
    numero_poliza: str, nombre: str, apellido_paterno: str, fecha_nacimiento: date, *, ip: str
) -> Person:
    """The person holding the policy, if name, surname and birth date match.
    Failures count per IP and per policy number (RATE_LIMITS["identify_client"])."""
    numero = normalize_policy_number(numero_poliza)

    def match() -> Person:
        policy = Policy.objects.select_related("person").filter(numero_poliza=numero).first()
        person = policy.person if policy else None
        if (
            person is None
            or normalize_name(person.nombre) != normalize_name(nombre)
            or normalize_name(person.apellido_paterno) != normalize_name(apellido_paterno)
            or person.fecha_nacimiento != fecha_nacimiento
        ):
            raise NoMatch()
        return person

    person = ratelimit.limit_failures(
        "identify_client", match, failure=NoMatch, ip=ip, policy=numero
    )
    if person.user_id is not None:
        raise AlreadyRegistered()
    return person


def _key_hash(key: str) -> str:
    return salted_hmac("alta.registration-key", normalize_key(key), algorithm="sha256").hexdigest()


def identify_by_key(key: str, numero_poliza: str, *, ip: str) -> tuple[Person, RegistrationKey]:
    """The invited person, if the key is theirs, unused, unexpired, and they hold
    the policy. Failures count as in `identify_by_policy`."""
    numero = normalize_policy_number(numero_poliza)
    digest = _key_hash(key)

    def match() -> RegistrationKey:
        invitation = (
            RegistrationKey.objects.select_related("person")
            .filter(key_hash=digest, person__policies__numero_poliza=numero)
            .first()
        )
        if (
            invitation is None
            or not constant_time_compare(invitation.key_hash, digest)
            or not invitation.is_usable
        ):
            raise NoMatch()
        return invitation

    invitation = ratelimit.limit_failures(
        "identify_client", match, failure=NoMatch, ip=ip, policy=numero
    )
    if invitation.person.user_id is not None:
        raise AlreadyRegistered()
    return invitation.person, invitation


# --- products and email ----------------------------------------------------------------------
def email_taken(email: str, person: Person | None = None) -> bool:
    """True when `email` already identifies an account other than `person`'s."""
    return email_in_use(email, by_other_than=person.user if person is not None else None)


def emails_on_file(person: Person) -> list[str]:
    """The addresses the insurer has for the person, lower-case."""
    return [e.lower() for e in person.emails.order_by("pk").values_list("email", flat=True)]


def masked_emails(emails: list[str]) -> list[str]:
    """The addresses as the email step shows them (`mask_email`); two that mask alike are
    numbered by position, so the person can still tell them apart."""
    masks = [mask_email(e) for e in emails]
    return [
        f"{mask} ({n})" if masks.count(mask) > 1 else mask for n, mask in enumerate(masks, start=1)
    ]


def new_email_allowed(person: Person | None) -> bool:
    """Whether "o ingresa uno nuevo" is offered. Nothing on file: as
    CLIENT_WITHOUT_EMAIL_ON_FILE says ("invitation" sends the person to the Call Center).
    Addresses on file: as CLIENT_NEW_EMAIL_WHEN_ON_FILE says (policy data alone must not put
    the account on any address)."""
    if person is None or not person.emails.exists():
        return bool(settings.CLIENT_WITHOUT_EMAIL_ON_FILE == "allow")
    return bool(settings.CLIENT_NEW_EMAIL_WHEN_ON_FILE)


def check_chosen_email(
    *, person: Person | None, email: str, typed: bool, session: str, ip: str
) -> None:
    """Raise NewEmailNotAllowed, EmailRefused or EmailTaken when `email` cannot be the
    username. "Taken" answers to typed addresses count per session and IP; past the limit
    every typed address gets the same refusal, so the step cannot probe who has an account."""
    on_file = person is not None and email in emails_on_file(person)
    if typed and not on_file and not new_email_allowed(person):
        raise NewEmailNotAllowed()
    if not typed:
        # An address on file: the person's own, not a probe of strangers' addresses.
        if email_taken(email, person):
            raise EmailTaken()
        return
    owner = person.user if person is not None else None
    try:
        check_new_email(email=email, by_other_than=owner, session_key=session, ip=ip)
    except EmailUnavailable:
        raise EmailRefused() from None
    except EmailInUse:
        raise EmailTaken() from None


# --- the code that verifies the email --------------------------------------------------------
def send_registration_code(person: Person, email: str, *, session_key: str, ip: str) -> None:
    """Email a 6-digit code for `email`; raises codes.SendRefused during the cooldown or
    past the "code_mail" limits of the session, the person or the IP."""
    codes.send_code(
        CODE_PURPOSE,
        f"person:{person.pk}",
        email,
        "codigo",
        {"full_name": person.full_name},
        session_key=session_key,
        ip=ip,
    )


def check_registration_code(person: Person, email: str, code: str) -> codes.Check:
    """Check the code sent for (`person`, `email`); a success uses it up."""
    return codes.check_code(CODE_PURPOSE, f"person:{person.pk}", email, code)


def registration_code_undeliverable(person: Person, email: str) -> bool:
    """Whether the mail server refused `email` for the person's newest code."""
    return codes.undeliverable(CODE_PURPOSE, f"person:{person.pk}", email)


def seconds_until_next_code(email: str) -> int:
    """0 when a new code may be sent to `email` now."""
    return codes.seconds_until_next_send(email)


# --- the account -----------------------------------------------------------------------------
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
                _queue_new_email_notices(person, user, to=on_file, base_url=base_url)
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


# --- an account on an address not on file: tell the addresses on file -------------------------
def _queue_new_email_notices(person: Person, user: User, *, to: list[str], base_url: str) -> None:
    """One notice per address on file: who registered, on which (masked) address, when, and a
    link to block the account. Written in the registration's transaction."""
    # To the addresses on file, whose owner may not be who registered: the portal's language
    # (the date's word order included), not the one the registering person chose.
    with translation.override(settings.LANGUAGE_CODE):
        when = date_format(
            timezone.localtime(),
            pgettext("email date and time format", "j \\d\\e F \\d\\e Y, H:i"),
        )
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


# --- invitations -----------------------------------------------------------------------------
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
    invitation.key_hash = _key_hash(key)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["key_hash", "sent_at"])
    shown = "-".join(key[i : i + 4] for i in range(0, KEY_LENGTH, 4))
    path = reverse("registration:register_key")
    return {
        "key": shown,
        "link": outbox_email.context["base_url"].rstrip("/") + path,
        "expires": timezone.localtime(invitation.expires_at),
    }
