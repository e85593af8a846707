"""Agent usernames: four letters from the name and four digits (XAVIER SEMPERE PARRA → SPXA1234)."""

from __future__ import annotations

import secrets
import unicodedata

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from agents.models import Agent

SURNAME_PARTICLES = {"DA", "DAS", "DE", "DEL", "DI", "DOS", "LA", "LAS", "LOS", "MC", "MAC",
                     "VAN", "VON", "Y"}  # fmt: skip
COMPANY_STOPWORDS = {"DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "E", "EN", "SA", "CV", "SC",
                     "SAB", "SAPI", "RL", "SRL", "AC", "RS"}  # fmt: skip


class NoUsernameLeft(Exception):
    """All ten thousand usernames of a prefix are taken; the message names the prefix."""


def _words(text: str) -> list[str]:
    """Upper-case ASCII words: accents stripped, Ñ → N, anything but letters splits words."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in plain if not unicodedata.combining(c)).upper()
    return "".join(c if "A" <= c <= "Z" else " " for c in plain).split()


def _significant(words: list[str], skip: set[str]) -> list[str]:
    kept = [w for w in words if w not in skip]
    return kept or words


def username_prefix(agent: Agent) -> str:
    """The four letters of the username; "X" stands in for any missing letter."""
    if agent.is_company:
        name = agent.nombre_razon_social or agent.nombre
        words = [w for w in _words(name) if len(w) > 1 and w not in COMPANY_STOPWORDS]
        if not words:
            return "XXXX"
        # Initials of up to four words, completed with the first word's next letters.
        prefix = "".join(w[0] for w in words[:4])
        prefix += words[0][1 : 1 + 4 - len(prefix)]
        return prefix.ljust(4, "X")
    surnames = [
        _significant(words, SURNAME_PARTICLES)
        for words in (_words(agent.apellido_paterno), _words(agent.apellido_materno))
        if words
    ]
    initials = "".join(words[0][0] for words in surnames).ljust(2, "X")
    first_name = _words(agent.nombre)
    return initials + (first_name[0][:2] if first_name else "").ljust(2, "X")


def generate_username(agent: Agent) -> str:
    """A username not yet taken (any case): the prefix and four random digits."""
    prefix = username_prefix(agent)
    taken = {
        u.upper()
        for u in get_user_model()
        .objects.filter(username__istartswith=prefix)
        .values_list("username", flat=True)
    }
    for _attempt in range(20):
        candidate = f"{prefix}{secrets.randbelow(10_000):04d}"
        if candidate not in taken:
            return candidate
    free = [f"{prefix}{n:04d}" for n in range(10_000) if f"{prefix}{n:04d}" not in taken]
    if not free:
        raise NoUsernameLeft(
            _("No quedan usuarios disponibles para %(prefix)s.") % {"prefix": prefix}
        )
    return secrets.choice(free)
