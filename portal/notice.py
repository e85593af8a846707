"""The privacy notice's consent record: which version (settings.PRIVACY_NOTICE_VERSION) each
account accepted, and the re-reading a new version asks of signed-in agents and clients.

Whether the session's user accepted the current version is read once at sign-in and kept in
the session, like the second factor's stage: the account gate (portal.middleware) asks it on
every request without a query.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings

from .models import NoticeAcceptance

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import User

# {"version": the version checked, "accepted": whether the user accepted it}
SESSION_KEY = "alta_privacy_notice"
Source = NoticeAcceptance.Source


def current_version() -> str:
    """The version shown now: the one a new record of consent stores."""
    return str(settings.PRIVACY_NOTICE_VERSION)


def record_acceptance(
    *, user: User, source: str, version: str | None = None, accepted_at: datetime | None = None
) -> NoticeAcceptance:
    """Record that `user` accepted `version` (the current one unless given) at `source`."""
    acceptance = NoticeAcceptance(user=user, version=version or current_version(), source=source)
    if accepted_at is not None:
        acceptance.accepted_at = accepted_at
    acceptance.save()
    return acceptance


def has_accepted(user: User, version: str) -> bool:
    return NoticeAcceptance.objects.filter(user=user, version=version).exists()


def start_session(request: HttpRequest, user: User) -> None:
    """At sign-in (the user_logged_in signal): whether this account accepted the current
    version, looked up once for the session."""
    version = current_version()
    request.session[SESSION_KEY] = {"version": version, "accepted": has_accepted(user, version)}


def must_read(request: HttpRequest) -> bool:
    """Whether the signed-in user has yet to accept the current version (read from the
    session; looked up again only when the version changed since it was kept)."""
    user = request.user
    if not user.is_authenticated:
        return False
    version = current_version()
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("version") != version:
        start_session(request, user)
        kept = request.session[SESSION_KEY]
    return not kept["accepted"]


def accept(request: HttpRequest) -> None:
    """ "Acepto" on "Aviso de privacidad actualizado": recorded, and this session goes on."""
    user = request.user
    version = current_version()
    if not has_accepted(user, version):  # type: ignore[arg-type]
        record_acceptance(user=user, source=Source.UPDATE, version=version)  # type: ignore[arg-type]
    request.session[SESSION_KEY] = {"version": version, "accepted": True}
