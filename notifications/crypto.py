"""Sealing an outbox row's secrets: the values a secret provider made for a row are kept
encrypted (Fernet) until the row is sent, so every copy of the email carries the same, valid
secret and none sits in the database in clear."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "seal", "unseal"]

# Binds the derived key to this one use: the same SECRET_KEY signs sessions and tokens.
_KDF_INFO = b"alta.notifications.outbox-secrets.v1"


@cache
def _fernet(material: str) -> Fernet:
    """The Fernet key derived (HKDF-SHA256) from `material`, made once per process."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO).derive(
        material.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _cipher() -> Fernet:
    # OUTBOX_SECRETS_KEY lets the key live apart from SECRET_KEY (rotated on its own); by
    # default it is derived from SECRET_KEY, so a deployment needs no new variable.
    return _fernet(settings.OUTBOX_SECRETS_KEY or settings.SECRET_KEY)


class _Encoder(json.JSONEncoder):
    # Providers hand templates datetimes (an invitation's expiry): kept as such, not as text,
    # so `{{ expires|date }}` renders the same from a sealed value as from a fresh one.
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return {"__datetime__": o.isoformat()}
        if isinstance(o, date):
            return {"__date__": o.isoformat()}
        return super().default(o)


def _decode(value: dict[str, Any]) -> Any:
    if set(value) == {"__datetime__"}:
        return datetime.fromisoformat(value["__datetime__"])
    if set(value) == {"__date__"}:
        return date.fromisoformat(value["__date__"])
    return value


def seal(values: dict[str, Any]) -> str:
    """`values` encrypted and authenticated, as text for a TextField."""
    return _cipher().encrypt(json.dumps(values, cls=_Encoder).encode()).decode("ascii")


def unseal(token: str) -> dict[str, Any]:
    """The values `seal` was given; raises `InvalidToken` if the key changed or the text was
    altered."""
    values: dict[str, Any] = json.loads(
        _cipher().decrypt(token.encode("ascii")), object_hook=_decode
    )
    return values
