"""Who is registering: the policyholder named by policy data, or by an invitation's key
(compared by its HMAC). Failures count per IP and per policy number
(RATE_LIMITS["identify_client"])."""

from __future__ import annotations

import unicodedata
from datetime import date

from django.utils.crypto import constant_time_compare, salted_hmac

from portal import ratelimit
from registration.models import Person, Policy, RegistrationKey
from registration.policies import normalize_policy_number


class IdentificationError(Exception):
    """Base for the reasons a person cannot go on with the registration."""


class NoMatch(IdentificationError):
    """The data do not match a policyholder, or the key is wrong, used or expired."""


class AlreadyRegistered(IdentificationError):
    """The person already has a client account."""


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


def hash_key(key: str) -> str:
    """What is stored of a registration key (its HMAC), whichever way it was typed."""
    return salted_hmac("alta.registration-key", normalize_key(key), algorithm="sha256").hexdigest()


def identify_by_key(key: str, numero_poliza: str, *, ip: str) -> tuple[Person, RegistrationKey]:
    """The invited person, if the key is theirs, unused, unexpired, and they hold
    the policy. Failures count as in `identify_by_policy`."""
    return identify_by_key_digest(hash_key(key), numero_poliza, ip=ip)


def identify_by_key_digest(
    digest: str, numero_poliza: str, *, ip: str
) -> tuple[Person, RegistrationKey]:
    """`identify_by_key` for a key known by its HMAC (`hash_key`): the one an invitation
    link brought, which the wizard keeps without the key itself."""
    numero = normalize_policy_number(numero_poliza)

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
