"""Account services shared by the agent and the client portals: passwords, email, phone.

How to reuse them (the client portal, issue 4):
- Password change: `portal.views.PasswordChangeView.as_view(template_name=…, done_url=…)`
  (form `portal.forms.PasswordChangeForm`); a forced change (temporary or too old password)
  logs the user out and shows the manual's "Contraseña cambiada exitosamente. Es necesario
  reingresar al portal". Any password set goes through `set_password()`.
- Email change: `portal.views.EmailChangeView` (new address, twice) → `start_email_change()`
  emails a 6-digit code to the NEW address (`portal.codes`) → `portal.views.EmailChangeConfirmView`
  → `confirm_email_change()` stores it. Both views take `template_name`, `confirm_url` /
  `success_url`, and `base_template` (the page layout the account templates extend).
- Phone: `portal.views.PhoneChangeView`; first-entry contact confirmation:
  `portal.views.ConfirmContactView` (email + phone, with the email re-verified when changed).
- "¿Olvidaste tu contraseña?": `portal.views.PasswordResetView` and friends; the email goes
  through the outbox with `queue_password_reset()`, the uid+token link made at send time by
  `password_reset_link_provider` (never stored). Pass `user_kind` to limit who may reset.
- The page a user must see first: `settings.ACCOUNT_GATES` (see `portal.middleware`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications.services import queue_email

from . import codes

EMAIL_CHANGE = "email-change"


class EmailInUse(Exception):
    """Another account already uses the address."""


class NoEmailChangePending(Exception):
    """No code was sent (or it was voided): start the change again."""


# --- Passwords ---------------------------------------------------------------------------


def set_password(user, raw_password: str) -> None:
    """Store a password the user chose: no longer temporary, its age starts now.

    The session hash changes with the password, so Django ends the user's other sessions.
    """
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
    try:
        from axes.utils import reset as axes_reset

        axes_reset(username=user.get_username())  # a new password lifts a lockout
    except Exception:  # noqa: BLE001, S110  # nosec B110  # axes bookkeeping must not block it
        pass


def password_expires_at(user):
    """When the user's chosen password reaches `PASSWORD_MAX_AGE_DAYS` (None: no limit)."""
    max_age = getattr(settings, "PASSWORD_MAX_AGE_DAYS", 0)
    if not max_age or user.password_changed_at is None:
        return None
    return user.password_changed_at + timedelta(days=max_age)


def password_needs_change(user) -> bool:
    """A temporary password, or one past its maximum age, only opens "Cambio de contraseña"."""
    if user.password_expired:
        return True
    expires = password_expires_at(user)
    return expires is not None and expires <= timezone.now()


def days_until_password_reset(user) -> int | None:
    """Days left before the password must be changed, when inside the warning window."""
    expires = password_expires_at(user)
    if expires is None:
        return None
    left = expires - timezone.now()
    if left > timedelta(days=settings.PASSWORD_RESET_WARNING_DAYS):
        return None
    return max(0, left.days)


def temporary_password_expired(user) -> bool:
    """The account still has a temporary password and its time ran out (login refuses it)."""
    return bool(user.password_expired) and not user.temporary_password_is_valid()


# --- Email -------------------------------------------------------------------------------


def _subject(user) -> str:
    return f"user:{user.pk}"


def email_in_use(user, email: str) -> bool:
    User = get_user_model()
    return User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()


def start_email_change(user, new_email: str):
    """Email a 6-digit code to `new_email`; raises EmailInUse or codes.SendRefused."""
    new_email = new_email.strip().lower()
    if email_in_use(user, new_email):
        raise EmailInUse(new_email)
    return codes.send_code(
        EMAIL_CHANGE,
        _subject(user),
        new_email,
        "codigo",
        {"full_name": user.get_full_name()},
    )


def pending_email_change(user) -> str | None:
    """The new address awaiting its code, if a change was started and not finished."""
    row = (
        codes.OneTimeCode.objects.filter(
            purpose=EMAIL_CHANGE, subject=_subject(user), voided=False, used_at=None
        )
        .order_by("-created_at")
        .first()
    )
    return row.email if row else None


def confirm_email_change(user, code: str) -> codes.Check:
    """Check the code sent to the new address; on success the address becomes the user's."""
    new_email = pending_email_change(user)
    if new_email is None:
        raise NoEmailChangePending
    with transaction.atomic():
        result = codes.check_code(EMAIL_CHANGE, _subject(user), new_email, code)
        if result is codes.Check.OK:
            user.email = new_email
            user.save(update_fields=["email"])
    return result


# --- Contact data ------------------------------------------------------------------------


def update_phone(user, phone: str) -> None:
    user.phone = phone.strip()
    user.save(update_fields=["phone"])


def confirm_contact(user) -> None:
    """The user confirmed (or updated) email and phone: no longer asked at every entry."""
    user.contact_confirmed_at = timezone.now()
    user.save(update_fields=["contact_confirmed_at"])


# --- "¿Olvidaste tu contraseña?" ------------------------------------------------------------


def queue_password_reset(user, *, base_url: str, confirm_url_name: str) -> None:
    """Queue the reset email; the link's token is made when it is sent, never stored."""
    queue_email(
        user.email,
        "restablecer_contrasena",
        {
            "user_id": user.pk,
            "full_name": user.get_full_name(),
            "username": user.get_username(),
            "base_url": base_url,
            "confirm_url_name": confirm_url_name,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
        secret_provider="portal.services.password_reset_link_provider",  # noqa: S106
    )


def queue_unknown_account_notice(email: str, *, portal: str) -> None:
    """A reset asked for an address with no account: tell its owner (as allauth does).

    The miss then does the same work as the hit (one outbox row, one queued task), so
    neither the answer nor its timing tells a guesser whether the account exists.
    """
    queue_email(email, "restablecer_sin_cuenta", {"portal": portal})


def password_reset_link_provider(outbox_email) -> dict:
    """Outbox secret provider: the single-use uid+token link (Django's token generator)."""
    context = outbox_email.context
    user = get_user_model().objects.get(pk=context["user_id"])
    path = reverse(
        context["confirm_url_name"],
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return {"reset_url": context["base_url"].rstrip("/") + path}
