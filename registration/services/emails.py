"""Which address may be the account's username: one on file, or a typed one where settings
allow it, never another account's; "taken" answers to typed addresses are limited, so the
step cannot probe who has an account."""

from __future__ import annotations

from django.conf import settings

from portal.accounts.services import (
    EmailInUse,
    EmailUnavailable,
    check_new_email,
    email_in_use,
    mask_email,
)
from registration.models import Person


class EmailTaken(Exception):
    """The email is already another account's username or email."""


class NewEmailNotAllowed(Exception):
    """The person has emails on file and settings allow only those as the username."""


class EmailRefused(Exception):
    """Past the email-taken limit: the address is refused without saying whether it is taken."""


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
