"""Email addresses: whether another account has one (typed ones' "taken" answers limited),
how a notice shows one masked, and the change of address, verified with a code sent to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from notifications.services import queue_email
from portal import codes, ratelimit
from portal.accounts import config_for
from portal.models import OneTimeCode

from .sign_in import end_other_sessions

if TYPE_CHECKING:
    from portal.models import User

EMAIL_CHANGE = "email-change"  # the purpose of the codes that verify a new address


class EmailInUse(Exception):
    """Another account already uses the address."""


class EmailUnavailable(Exception):
    """Past the "email_taken" limit: refused without saying whether another account has it."""


class NoEmailChangePending(Exception):
    """No code was sent (or it was voided): start the change again."""


def _subject(user: User) -> str:
    return f"user:{user.pk}"


def email_in_use(email: str, *, by_other_than: User | None = None) -> bool:
    """True when `email` is already another account's username or email."""
    users = get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
    if by_other_than is not None:
        users = users.exclude(pk=by_other_than.pk)
    return users.exists()


def check_new_email(*, email: str, by_other_than: User | None, session_key: str, ip: str) -> None:
    """Raise EmailInUse when an account other than `by_other_than` has the typed `email`;
    past the "email_taken" limit of the session or address raise EmailUnavailable for every
    address, taken or not, so the page cannot be used to learn which addresses have one."""
    if ratelimit.exceeded("email_taken", session=session_key, ip=ip):
        raise EmailUnavailable(email)
    if email_in_use(email, by_other_than=by_other_than):
        if not ratelimit.consume("email_taken", session=session_key, ip=ip):
            raise EmailUnavailable(email)
        raise EmailInUse(email)


def start_email_change(user: User, new_email: str, *, session_key: str, ip: str) -> OneTimeCode:
    """Email a 6-digit code to `new_email`; raises EmailInUse, EmailUnavailable or
    codes.SendRefused."""
    new_email = new_email.strip().lower()
    check_new_email(email=new_email, by_other_than=user, session_key=session_key, ip=ip)
    return codes.send_code(
        EMAIL_CHANGE,
        _subject(user),
        new_email,
        "codigo",
        {"full_name": user.get_full_name()},
        session_key=session_key,
        ip=ip,
    )


def pending_email_change(user: User) -> str | None:
    """The new address awaiting its code, if a change was started and not finished."""
    row = (
        OneTimeCode.objects.filter(
            purpose=EMAIL_CHANGE, subject=_subject(user), voided=False, used_at=None
        )
        .order_by("-created_at")
        .first()
    )
    return row.email if row else None


def resend_email_change_code(user: User, *, session_key: str, ip: str) -> str:
    """A new code to the pending address; raises NoEmailChangePending, EmailInUse,
    EmailUnavailable or codes.SendRefused."""
    pending = pending_email_change(user)
    if pending is None:
        raise NoEmailChangePending
    start_email_change(user, pending, session_key=session_key, ip=ip)
    return pending


def cancel_email_change(user: User) -> None:
    """Void the pending change: its code no longer works."""
    OneTimeCode.objects.filter(purpose=EMAIL_CHANGE, subject=_subject(user), used_at=None).update(
        voided=True
    )


def confirm_email_change(user: User, code: str, *, current_session_key: str | None) -> codes.Check:
    """Check the code sent to the new address; on success the address becomes the user's
    (and the username too where it is the email), the old address is told, and every
    session but `current_session_key` ends. Raises NoEmailChangePending, or EmailInUse
    when another account took the address meanwhile."""
    new_email = pending_email_change(user)
    if new_email is None:
        raise NoEmailChangePending
    config = config_for(user)
    old_email = user.email
    try:
        with transaction.atomic():
            result = codes.check_code(EMAIL_CHANGE, _subject(user), new_email, code)
            if result is not codes.Check.OK:
                return result
            if email_in_use(new_email, by_other_than=user):
                raise EmailInUse(new_email)
            user.email = new_email
            fields = ["email"]
            if config is not None and config.login_by_email:
                user.username = new_email
                fields.append("username")
            user.save(update_fields=fields)
            if config is not None and config.email_changed is not None:
                config.email_changed(user, new_email)
            if old_email and old_email.lower() != new_email:
                queue_email_changed_notice(user, old_email=old_email, new_email=new_email)
            end_other_sessions(user, keep_session_key=current_session_key)
    except IntegrityError:  # another account took it as username between check and save
        raise EmailInUse(new_email) from None
    return result


def mask_email(email: str) -> str:
    """ "ana.lopez@ejemplo.com" → "an***@ej***.com": enough for the owner to recognise it,
    too little to hand the address to whoever reads the notice (short parts keep 1 letter)."""
    local, at, domain = email.strip().partition("@")
    if not at or not local:
        return "***"
    name, dot, tld = domain.rpartition(".")
    if not dot:
        name, tld = domain, ""

    def part(text: str) -> str:
        return f"{text[: 2 if len(text) > 3 else 1]}***"

    return f"{part(local)}@{part(name)}{dot}{tld}"


def queue_email_changed_notice(user: User, *, old_email: str, new_email: str) -> None:
    """Tell the address that is being replaced: if the change was not the owner's, this is
    the only mail that still reaches them (a reset link now goes to the new address)."""
    config = config_for(user)
    queue_email(
        old_email,
        "correo_cambiado",
        {
            "full_name": user.get_full_name(),
            "portal": config.display_name if config else "",
            "changed_at": date_format(timezone.localtime(), "DATETIME_FORMAT"),
            "new_email_masked": mask_email(new_email),
        },
    )
