"""The login lockout (django-axes): whose failures count where, and how a lock is lifted.

Back-office staff sign in only at /admin/, and its failures count for "admin:<username>":
the portals' forms, where a back-office account is unknown, never lock the back office, and
/admin/ never locks a portal account. /admin/ locks by account and address always, and by
account alone only when the account has no second factor; when it has one, past the
account's limit an address with no failures of its own is slowed but admitted, so many
addresses can lock themselves, never the owner.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.urls import reverse

if TYPE_CHECKING:
    from axes.models import AccessBase
    from django.db.models import QuerySet
    from django.http import HttpRequest

ADMIN_PREFIX = "admin:"
# A name typed on a portal's form that begins like an /admin/ key is counted under this one,
# so no portal form can write (or lift) the back office's count.
ESCAPE_PREFIX = "portal:"
_COLUMN = 255  # axes' username column: a longer "username" is cut, not a 500
_FACTOR_CACHE = "_alta_lockout_factor"  # per-request memo: axes asks several times a login


def is_admin_request(request: HttpRequest | None) -> bool:
    """Whether `request` is the back office's (/admin/ and everything under it)."""
    path = getattr(request, "path", "") or ""
    return path.startswith(reverse("admin:index"))


def portal_key(username: str) -> str:
    """The name the portals' failures for `username` count under (the bare name, as ever)."""
    key = (
        f"{ESCAPE_PREFIX}{username}"
        if username.startswith((ADMIN_PREFIX, ESCAPE_PREFIX))
        else username
    )
    return key[:_COLUMN]


def admin_key(username: str) -> str:
    """The name /admin/'s failures for `username` count under."""
    return f"{ADMIN_PREFIX}{username}"[:_COLUMN]


def _typed(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    source = credentials if credentials else getattr(request, "POST", {})
    typed = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return None if typed is None else str(typed).replace("\x00", "")


def username(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the typed username, under /admin/'s key on /admin/, cut to
    axes' column so that a 100 KB "username" gets the wrong-password page, not a 500."""
    typed = _typed(request, credentials)
    if typed is None:
        return None
    return admin_key(typed) if is_admin_request(request) else portal_key(typed)


def _has_second_factor(request: HttpRequest, typed: str) -> bool:
    from portal.accounts.mfa import has_second_factor

    memo: dict[str, bool] = request.__dict__.setdefault(_FACTOR_CACHE, {})
    if typed not in memo:
        user_model = get_user_model()
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: typed}).first()
        memo[typed] = user is not None and has_second_factor(user)
    return memo[typed]


def parameters(
    request_or_attempt: HttpRequest | AccessBase, credentials: dict[str, Any] | None = None
) -> list[str | list[str]]:
    """AXES_LOCKOUT_PARAMETERS: the "login" rules of portal.ratelimit (account, and account
    + address); on /admin/ an account with a second factor is locked by account + address
    only, since one account's lock from many addresses must not shut its owner out."""
    table: list[str | list[str]] = list(settings.LOGIN_LOCKOUT_PARAMETERS)
    from axes.models import AccessBase

    if isinstance(request_or_attempt, AccessBase):  # only axes' cache handler asks this way
        return table
    typed = _typed(request_or_attempt, credentials)
    if typed is None or not is_admin_request(request_or_attempt):
        return table
    if not _has_second_factor(request_or_attempt, typed):
        return table
    return [p for p in table if p not in ("username", ["username"])]


class Standing(enum.Enum):
    OPEN = "open"  # under the account's limit, or not an /admin/ account with a factor
    SPARED = "spared"  # past it, from an address with no failures of its own: slowed, admitted
    REFUSED = "refused"  # past it, from an address that failed: locked as axes would


def _failures(attempts: QuerySet[Any]) -> int:
    return int(attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)


def admin_standing(request: HttpRequest, typed: str | None) -> Standing:
    """Where an /admin/ sign-in of an account with a second factor stands against the
    account-wide limit axes no longer applies to it (`parameters`). Call after axes' own
    check, which sets the request's address and time."""
    if typed is None or not is_admin_request(request) or not _has_second_factor(request, typed):
        return Standing.OPEN
    from axes.attempts import get_cool_off_threshold
    from axes.models import AccessAttempt

    recent = AccessAttempt.objects.filter(
        username=admin_key(typed), attempt_time__gte=get_cool_off_threshold(request)
    )
    if _failures(recent) < settings.AXES_FAILURE_LIMIT:
        return Standing.OPEN
    own = recent.filter(ip_address=getattr(request, "axes_ip_address", None))
    return Standing.SPARED if _failures(own) == 0 else Standing.REFUSED


def unlock(username: str) -> int:
    """Lift every login lock of `username`, on the portals and on /admin/, from every
    address; returns how many attempt rows were removed."""
    from axes.utils import reset

    return sum(reset(username=key) for key in {portal_key(username), admin_key(username)})
