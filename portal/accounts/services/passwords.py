"""Passwords: storing one the user chose, "Contraseña actual" checked as a login is, the
maximum age and the temporary password, and the login lock's length."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone

from portal.accounts import AccountConfig, config_for

from .sign_in import portal_accounts

if TYPE_CHECKING:
    from django.http import HttpRequest

    from portal.models import User


class PasswordCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # past the login limit: even the right password is refused


def set_password(user: User, raw_password: str) -> None:
    """Store a password the user chose: no longer temporary, its age starts now, and a login
    lockout is lifted. The session hash changes, so Django ends the user's other sessions."""
    user.set_password(raw_password)
    user.password_expired = False
    user.temporary_password_expires_at = None
    user.password_changed_at = timezone.now()
    user.save(
        update_fields=[
            "password",
            "password_expired",
            "temporary_password_expires_at",
            "password_changed_at",
        ]
    )
    from axes.utils import reset as axes_reset

    from portal.lockout import portal_key

    try:  # axes' bookkeeping must not block the change
        axes_reset(username=portal_key(user.get_username()))
    except Exception:  # noqa: BLE001, S110  # nosec B110
        pass


def lockout_minutes() -> int:
    """How long a login lock lasts (django-axes' cool-off; guesses during it do not extend
    it), for the "try again in N minutes" of the locked page and the password forms."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def verify_current_password(*, request: HttpRequest, user: User, password: str) -> PasswordCheck:
    """ "Contraseña actual" checked as a login is: django-axes' backend counts a wrong one
    toward the same lockout, and past it refuses even the right one (else a stolen session
    could guess the password here without limit)."""
    found = authenticate(request, username=user.get_username(), password=password)
    if found is not None and found.pk == user.pk:
        return PasswordCheck.OK
    if getattr(request, "axes_locked_out", False):
        return PasswordCheck.LOCKED
    return PasswordCheck.WRONG


def password_expires_at(user: User) -> datetime | None:
    """When the chosen password reaches `PASSWORD_MAX_AGE_DAYS` (None: it does not expire)."""
    config = config_for(user)
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if config is None or not config.forced_password_change or not max_age:
        return None
    if user.password_changed_at is None:
        return None
    return user.password_changed_at + timedelta(days=max_age)


def password_needs_change(user: User) -> bool:
    """A temporary password, or one past its maximum age, only opens "Cambio de contraseña"."""
    if user.password_expired:
        return True
    expires = password_expires_at(user)
    return expires is not None and expires <= timezone.now()


def days_until_password_reset(user: User) -> int | None:
    """Days left before the password must be changed, when inside the warning window."""
    expires = password_expires_at(user)
    if expires is None:
        return None
    left = expires - timezone.now()
    if left > timedelta(days=settings.PASSWORD_RESET_WARNING_DAYS):
        return None
    return max(0, left.days)


def temporary_password_expired(user: User) -> bool:
    """The account still has a temporary password and its time ran out (login refuses it)."""
    return bool(user.password_expired) and not user.temporary_password_is_valid()


def blocked_account_password(*, config: AccountConfig, username: str, password: str) -> bool:
    """True when `password` is right for this portal's inactive account `username`: only
    its owner is told the account is blocked; a wrong password keeps the usual answer."""
    accounts = portal_accounts(config).filter(is_active=False)
    user = accounts.filter(username=username).first()
    return user is not None and user.check_password(password)
