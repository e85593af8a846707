"""The 6-digit code that verifies the chosen email (portal.codes, with the registration's
own purpose and the person as its subject)."""

from __future__ import annotations

from portal import codes
from registration.models import Person

CODE_PURPOSE = "client-registration"


def send_registration_code(person: Person, email: str, *, session_key: str, ip: str) -> int:
    """Email a 6-digit code for `email` and return its row's id; raises codes.SendRefused
    during the cooldown or past the "code_mail" limits of the session, the person or the IP."""
    return codes.send_code(
        CODE_PURPOSE,
        f"person:{person.pk}",
        email,
        "codigo",
        {"full_name": person.full_name},
        session_key=session_key,
        ip=ip,
    ).pk


def check_registration_code(person: Person, email: str, code: str) -> codes.Check:
    """Check the code sent for (`person`, `email`); a success uses it up."""
    return codes.check_code(CODE_PURPOSE, f"person:{person.pk}", email, code)


def registration_code_undeliverable(person: Person, email: str) -> bool:
    """Whether the mail server refused `email` for the person's newest code."""
    return codes.undeliverable(CODE_PURPOSE, f"person:{person.pk}", email)


def seconds_until_next_code(email: str) -> int:
    """0 when a new code may be sent to `email` now."""
    return codes.seconds_until_next_send(email)
