"""The login lockout's authentication backend (first in AUTHENTICATION_BACKENDS)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, doing the password hashing a wrong password costs."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            super().authenticate(request, username, password, **kwargs)
        except AxesBackendPermissionDenied:
            # A refusal stops authenticate() before ModelBackend hashes anything, so a locked
            # account would answer in a fraction of a wrong password's time: hash once, as
            # ModelBackend does for an unknown username, so the lock is not told by timing.
            make_password(password)
            raise
