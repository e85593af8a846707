"""Where a new session stands with the second factor, decided once at sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from . import mfa


@receiver(user_logged_in, dispatch_uid="alta-second-factor-stage")
def second_factor_stage(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mfa.start_session(request, user)
