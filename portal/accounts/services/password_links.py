"""Set-password links ("aquí", "¿Olvidaste tu contraseña?"): Django's single-use token, made
when the email is sent, so none sits in the outbox; a reset answers the same whether or not
an account has the address or username."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications import secret_providers
from notifications.services import queue_email
from portal import ratelimit
from portal.accounts import AccountConfig, configs

from .sign_in import portal_accounts

if TYPE_CHECKING:
    from notifications.models import OutboxEmail
    from portal.models import User


def login_url(config: AccountConfig, *, base_url: str) -> str:
    """The portal's login page as an absolute address for an email, from `base_url` (the
    address the request came in by, e.g. "https://host/"); "" when it is not known."""
    if not base_url:
        return ""
    return base_url.rstrip("/") + reverse(config.url_name("login"))


def queue_password_link(
    user: User,
    *,
    base_url: str,
    template: str,
    context: dict[str, Any] | None = None,
    language: str | None = None,
) -> None:
    """Queue `template` with a single-use link to choose a password (Django's token: it dies
    when the password, the email or the last login changes, and after a day). The link is
    made when the email is sent, so no token sits in the outbox. Written in `language`, by
    default the active one (queue_email)."""
    secret_providers.ensure(template, password_link_provider)
    queue_email(
        user.email,
        template,
        {
            **(context or {}),
            "user_id": user.pk,
            "full_name": user.get_full_name(),
            "username": user.get_username(),
            "base_url": base_url,
            "login_url": login_url(configs()[user.kind], base_url=base_url),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
        language=language,
    )


def password_link_provider(outbox_email: OutboxEmail) -> dict[str, str]:
    """Outbox secret provider: the uid+token link to the user's portal's set-password page."""
    user = get_user_model().objects.get(pk=outbox_email.context["user_id"])
    config = configs()[user.kind]
    path = reverse(
        config.url_name("password_reset_confirm"),
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return {"link": outbox_email.context["base_url"].rstrip("/") + path}


# An unknown username has no address to write to, so it would answer quicker than a known
# one, whose link is written to the outbox: a reset by username answers after this long
# whatever was found (far above that work: one lookup, one outbox row).
USERNAME_RESET_SECONDS = 0.1


def request_password_reset(config: AccountConfig, typed: str, *, base_url: str) -> None:
    """ "¿Olvidaste tu contraseña?" with an email or, in a portal that signs in by username,
    a username; the same answer whether or not an account has it."""
    typed = (typed or "").strip()
    if config.login_by_email or "@" in typed:  # generated usernames (SPXA1522) have no "@"
        _reset_by_email(config, typed.lower(), base_url=base_url)
    else:
        _reset_by_username(config, typed, base_url=base_url)


def _reset_by_email(config: AccountConfig, email: str, *, base_url: str) -> None:
    """A link to the portal's accounts with that email, or a notice that there is none (as
    allauth does), so the answer, the work and its timing are the same either way. Past the
    address's limit nothing more is sent, silently."""
    if not ratelimit.consume("reset_password_email", email=email):
        return
    users = portal_accounts(config).filter(is_active=True, email__iexact=email)
    found = False
    for user in users:
        found = True
        queue_password_link(user, base_url=base_url, template="restablecer_contrasena")
    if not found:
        queue_email(email, "restablecer_sin_cuenta", {"portal": config.display_name})


def _reset_by_username(config: AccountConfig, username: str, *, base_url: str) -> None:
    """A link to the account's address; an unknown username has none to tell, so nothing is
    sent, and the answer takes USERNAME_RESET_SECONDS either way."""
    started = time.monotonic()
    user = (
        portal_accounts(config)
        .filter(is_active=True, username__iexact=username)
        .exclude(email="")
        .first()
    )
    # Counted by the account's address, as when it is typed: typing the username and then
    # the email does not double the mails one account can be sent.
    if user is not None and ratelimit.consume("reset_password_email", email=user.email.lower()):
        queue_password_link(user, base_url=base_url, template="restablecer_contrasena")
    time.sleep(max(0.0, USERNAME_RESET_SECONDS - (time.monotonic() - started)))
