"""The login lockout's authentication backend (first in AUTHENTICATION_BACKENDS)."""

from __future__ import annotations

import time
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import lockout


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """django-axes' lockout check, doing the password hashing a wrong password costs; the
    back office's spared and refused sign-ins (portal.lockout); and the portals' boundary:
    given `user_kind` (a portal's login form), an account that does not sign in there is
    refused as an unknown name would be."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        *,
        user_kind: str | None = None,
        **kwargs: Any,
    ) -> None:
        standing = lockout.Standing.OPEN
        try:
            super().authenticate(request, username, password, **kwargs)
            if request is not None and getattr(settings, "AXES_ENABLED", True):
                standing = lockout.admin_standing(request, username)
            if standing is lockout.Standing.REFUSED:
                # As axes' own refusal: the locked page, and this guess not recorded, so
                # guessing on does not extend the lock.
                request.axes_locked_out = True  # type: ignore[union-attr]
                raise AxesBackendPermissionDenied("locked for this address")
        except AxesBackendPermissionDenied:
            # A refusal stops authenticate() before ModelBackend hashes anything, so a locked
            # account would answer in a fraction of a wrong password's time: hash once, as
            # ModelBackend does for an unknown username, so the lock is not told by timing.
            make_password(password)
            raise
        if user_kind is not None and username is not None:
            from portal.accounts.services import signs_in_elsewhere

            if signs_in_elsewhere(username=username, user_kind=user_kind):
                # The password is never checked here: one hash, as for an unknown name, and
                # authenticate() then reports the failure, counted as an unknown name's is.
                make_password(password)
                raise PermissionDenied
        if standing is lockout.Standing.SPARED:
            time.sleep(settings.RATE_LIMIT_CLEAN_IP_DELAY)
