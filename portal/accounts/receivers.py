"""Where a new session stands with the second factor and the privacy notice, decided once at
sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from portal import notice

from . import config_for, mfa


@receiver(user_logged_in, dispatch_uid="alta-second-factor-stage")
def second_factor_stage(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mfa.start_session(request, user)


@receiver(user_logged_in, dispatch_uid="alta-privacy-notice")
def privacy_notice_accepted(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Whether the current privacy notice was accepted, kept for the session (portals only:
    staff are not asked)."""
    if request is not None and hasattr(request, "session") and config_for(user) is not None:
        notice.start_session(request, user)
