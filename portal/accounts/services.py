"""Account decisions shared by both portals: passwords, set-password links, email changes
with a code, contact data. Plain typed functions; the views and other apps call them."""

from __future__ import annotations

import enum
import time
from datetime import datetime, timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate, get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode

from notifications import secret_providers
from notifications.services import queue_email
from portal import codes, ratelimit
from portal.models import OneTimeCode

from . import AccountConfig, config_for, configs

if TYPE_CHECKING:
    from django.http import HttpRequest

    from notifications.models import OutboxEmail
    from portal.models import User

EMAIL_CHANGE = "email-change"  # the purpose of the codes that verify a new address


class EmailInUse(Exception):
    """Another account already uses the address."""


class EmailUnavailable(Exception):
    """Past the "email_taken" limit: refused without saying whether another account has it."""


class NoEmailChangePending(Exception):
    """No code was sent (or it was voided): start the change again."""


class PasswordCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # past the login limit: even the right password is refused


# --- Who signs in where --------------------------------------------------------------------


def is_back_office(user: User) -> bool:
    """Staff and superusers, whatever their `kind`: they sign in only at /admin/."""
    return user.kind == user.Kind.STAFF or user.is_staff or user.is_superuser


def portal_accounts(config: AccountConfig) -> QuerySet[User]:
    """The accounts that exist for `config`'s portal: its kind, no back-office account (to
    its login, reset and code forms any other is an unknown name)."""
    return get_user_model().objects.filter(
        kind=config.user_kind, is_staff=False, is_superuser=False
    )


def signs_in_elsewhere(*, username: str, user_kind: str) -> bool:
    """True when `username` (exactly, as ModelBackend looks it up) names an account that
    does not sign in to the portal of `user_kind`: a back-office one, or another portal's."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    return user is not None and (user.kind != user_kind or is_back_office(user))


# --- Passwords -----------------------------------------------------------------------------


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


# --- Set-password links ("aquí", "¿Olvidaste tu contraseña?") -------------------------------


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


# --- Email ---------------------------------------------------------------------------------


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


def end_other_sessions(user: User, *, keep_session_key: str | None) -> int:
    """Delete every stored session of `user` except `keep_session_key`; returns how many.
    A thief's session must not outlive the change; sessions are kept in the database
    (Django's db or cached_db engine), whose rows are read here."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    model = store.get_model_class()
    ended = 0
    for row in model.objects.filter(expire_date__gt=timezone.now()).iterator():
        if row.session_key == keep_session_key:
            continue
        if str(row.get_decoded().get(SESSION_KEY)) == str(user.pk):
            store(session_key=row.session_key).delete()  # clears the cache copy too
            ended += 1
    return ended


# --- Contact data --------------------------------------------------------------------------


def update_phone(user: User, phone: str) -> None:
    user.phone = phone.strip()
    user.save(update_fields=["phone"])


def confirm_contact(user: User) -> None:
    """The user confirmed (or updated) email and phone: no longer asked at every entry."""
    user.contact_confirmed_at = timezone.now()
    user.save(update_fields=["contact_confirmed_at"])
