"""The second factor of both portals and the back office: authenticator apps (TOTP, RFC
6238), passkeys (WebAuthn) and recovery codes, on django-otp and django-otp-webauthn.

Whether a kind of account is asked for one is a setting (AGENT_MFA, CLIENT_MFA, STAFF_MFA:
off, optional, required). Where a session stands is kept in the session itself, decided at
sign-in: `Stage.VERIFY` (a factor is enrolled and not yet shown in this session),
`Stage.ENROL` (required and none enrolled) or `Stage.DONE`; the account gate
(portal.middleware) keeps a session on the second-factor pages until it is DONE. The factor
is asked for every session: nothing remembers a browser.

Wrong codes are limited by the "second_factor" rule of portal.ratelimit (per account and
per address); django-otp's own per-device back-off is off (settings). Recovery codes are
kept as an HMAC: whoever reads the table cannot use them.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from notifications.services import queue_email
from portal import ratelimit

from . import configs

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from portal.models import SecondFactorReset, User

STAGE_SESSION_KEY = "alta_second_factor"
RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery"
# 10 characters of a 32-letter alphabet without look-alikes (50 bits), shown as two groups.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
_SETTING_BY_KIND = {"agent": "AGENT_MFA", "client": "CLIENT_MFA", "staff": "STAFF_MFA"}


class Policy(enum.StrEnum):
    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


class Stage(enum.StrEnum):
    VERIFY = "verify"  # a factor is enrolled: show it before anything else
    ENROL = "enrol"  # required and none enrolled: enrol before anything else
    DONE = "done"


class Check(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # past the "second_factor" limit: even a right code is refused now


@dataclass(frozen=True)
class Factor:
    """One enrolled factor, as "Administra tu Usuario" lists it."""

    kind: str  # "app" or "passkey"
    id: int
    name: str
    created_at: object  # datetime or None (django-otp's TOTP rows keep a creation time)
    last_used_at: object

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"


# --- Who is asked ----------------------------------------------------------------------------


def account_kind(user: User) -> str:
    """ "staff" for back-office accounts (whatever their `kind` says), else the user's kind."""
    if user.is_staff or user.is_superuser:
        return "staff"
    return str(user.kind)


def policy_for(user: User) -> Policy:
    return Policy(getattr(settings, _SETTING_BY_KIND.get(account_kind(user), "STAFF_MFA")))


def has_second_factor(user: User) -> bool:
    """Whether `user` has a confirmed authenticator app or passkey (recovery codes alone do
    not count: they are the way back when those are lost)."""
    return bool(
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def has_passkey(user: User) -> bool:
    return bool(WebAuthnCredential.objects.filter(user=user, confirmed=True).exists())


def offered(user: User) -> bool:
    """Whether `user`'s pages offer the second factor: the setting is not off for this kind
    of account, or they already have one (to see and remove it)."""
    return policy_for(user) is not Policy.OFF or has_second_factor(user)


def initial_stage(user: User) -> Stage:
    """Where a new session of `user` starts. An enrolled factor is asked even where the
    setting is now off: its owner chose it."""
    if has_second_factor(user):
        return Stage.VERIFY
    if policy_for(user) is Policy.REQUIRED:
        return Stage.ENROL
    return Stage.DONE


def stage(request: HttpRequest) -> Stage:
    """This session's stage (decided at sign-in, read from the session: no query)."""
    user = request.user
    if not user.is_authenticated:
        return Stage.DONE
    value = request.session.get(STAGE_SESSION_KEY)
    if value is None:  # a session that began before this code: decide now
        value = initial_stage(user)
        request.session[STAGE_SESSION_KEY] = str(value)
    return Stage(value)


def start_session(request: HttpRequest, user: User) -> None:
    """At sign-in (the user_logged_in signal): this session starts at `initial_stage`."""
    request.session[STAGE_SESSION_KEY] = str(initial_stage(user))


def offer_enrolment(user: User | AnonymousUser) -> bool:
    """Whether the first entry should offer a factor (optional, and none yet)."""
    return (
        user.is_authenticated
        and policy_for(user) is Policy.OPTIONAL
        and not has_second_factor(user)
    )


def mark_verified(request: HttpRequest, device: Device) -> None:
    """The session showed `device` (or enrolled it): django-otp's verified flag, and DONE."""
    otp_login(request, device)
    request.session[STAGE_SESSION_KEY] = str(Stage.DONE)
    # The key changes with the session's privilege, as at sign-in (ASVS 3.2.1).
    request.session.cycle_key()


def factor_enrolled(request: HttpRequest, user: User, device: Device, *, change: str) -> str:
    """A new factor of `user` was confirmed in this session (`change`: "app_added",
    "passkey_added"): the owner is told, the session counts as verified, and the URL to go
    next is returned: the recovery codes when there are none yet, else the factors' page."""
    from django.urls import reverse

    queue_factor_notice(user, change=change)
    mark_verified(request, device)
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    page = "mfa_recovery_codes" if recovery_codes_left(user) == 0 else "mfa_manage"
    return reverse(f"{namespace}:{page}")


def skip_enrolment(request: HttpRequest) -> bool:
    """ "Ahora no" on the optional offer; False where enrolment is required."""
    if stage(request) is Stage.ENROL:
        return False
    request.session[STAGE_SESSION_KEY] = str(Stage.DONE)
    return True


# --- Authenticator apps ----------------------------------------------------------------------


def start_app(user: User) -> TOTPDevice:
    """An unconfirmed TOTP key for `user` (a previous unconfirmed one is replaced)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="app", confirmed=False)


def pending_app(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def app_key_text(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32 in groups of four."""
    import base64

    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def app_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code, drawn on the server (no script, no CDN)."""
    qr = segno.make(device.config_url, error="m")
    return str(qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=True))


class _Wrong(Exception):
    pass


def _limited(
    request: HttpRequest, user: User, attempt: Callable[[], Device | None]
) -> Device | Check:
    """Run `attempt` under the "second_factor" limit (per account and per address): the
    device it accepted, or WRONG / LOCKED."""

    def checked() -> Device:
        device = attempt()
        if device is None:
            raise _Wrong
        return device

    try:
        return ratelimit.limit_failures(
            "second_factor", checked, failure=_Wrong,
            user=str(user.pk), ip=ratelimit.client_ip(request),
        )  # fmt: skip
    except _Wrong:
        return Check.WRONG
    except ratelimit.RateLimited:
        return Check.LOCKED


def limited_minutes() -> int:
    return max(r.window for r in ratelimit.RATE_LIMITS["second_factor"]) // 60


def failed_attempt(request: HttpRequest, user: User) -> Check:
    """Count a failed factor checked elsewhere (a passkey's assertion): WRONG, or LOCKED when
    the account or address is past the "second_factor" limit."""
    if ratelimit.exceeded("second_factor", user=str(user.pk), ip=ratelimit.client_ip(request)):
        return Check.LOCKED
    ratelimit.consume("second_factor", user=str(user.pk), ip=ratelimit.client_ip(request))
    return Check.WRONG


def second_factor_locked(request: HttpRequest, user: User) -> bool:
    return ratelimit.exceeded("second_factor", user=str(user.pk), ip=ratelimit.client_ip(request))


def _normalized_digits(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


def confirm_app(request: HttpRequest, user: User, code: str) -> Device | Check:
    """The first code from the app just added: the key is confirmed and returned (the view
    then calls `factor_enrolled`), or WRONG / LOCKED."""

    def attempt() -> Device | None:
        with transaction.atomic():
            device = (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, confirmed=False)
                .order_by("-pk")
                .first()
            )
            if device is None or not device.verify_token(_normalized_digits(code)):
                return None
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return device

    return _limited(request, user, attempt)


# --- Sign-in ---------------------------------------------------------------------------------


def _app_that_accepts(user: User, code: str) -> Device | None:
    """The enrolled app whose current 6-digit code `code` is (each code once: django-otp
    keeps the last time step), or None."""
    digits = _normalized_digits(code)
    if len(digits) != 6:
        return None
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(digits):
                return device
    return None


def verify_code(request: HttpRequest, user: User, code: str) -> Check:
    """A code from an enrolled app."""
    return _signed_in(request, _limited(request, user, partial(_app_that_accepts, user, code)))


def _signed_in(request: HttpRequest, found: Device | Check) -> Check:
    if isinstance(found, Check):
        return found
    mark_verified(request, found)
    return Check.OK


def normalized_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_digest(user: User, code: str) -> str:
    # StaticToken.token holds 16 characters: 64 bits of an HMAC keyed with SECRET_KEY.
    return salted_hmac(
        f"alta.recovery-code.{user.pk}", normalized_recovery_code(code), algorithm="sha256"
    ).hexdigest()[:16]


def _recovery_codes_that_accept(user: User, code: str) -> Device | None:
    """The recovery codes' device when `code` is one of them (it is used up), or None."""
    if len(normalized_recovery_code(code)) != RECOVERY_LENGTH:
        return None
    with transaction.atomic():
        device = StaticDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.verify_token(_recovery_digest(user, code)):
            return device
    return None


def verify_recovery_code(request: HttpRequest, user: User, code: str) -> Check:
    """One of the ten recovery codes; each works once."""
    attempt = partial(_recovery_codes_that_accept, user, code)
    result = _signed_in(request, _limited(request, user, attempt))
    if result is Check.OK:
        queue_factor_notice(user, change="recovery_used")
    return result


def check_current_factor(request: HttpRequest, user: User, code: str) -> Check:
    """Before a change of the factors: an app's code or a recovery code (used up), under the
    same limit as at sign-in; the session is not changed."""
    is_app_code = len(_normalized_digits(code)) == 6 and not any(ch.isalpha() for ch in code)
    check = _app_that_accepts if is_app_code else _recovery_codes_that_accept
    found = _limited(request, user, partial(check, user, code))
    return found if isinstance(found, Check) else Check.OK


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user).count())


def issue_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes (the old ones stop working), to show once: only their HMAC is
    kept."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(
            StaticToken(device=device, token=_recovery_digest(user, code)) for code in codes
        )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


# --- "Administra tu Usuario" -----------------------------------------------------------------


def factors(user: User) -> list[Factor]:
    apps = [
        Factor("app", d.pk, str(d.name), d.created_at, d.last_used_at)
        for d in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    ]
    passkeys = [
        Factor("passkey", c.pk, str(c.name), c.created_at, c.last_used_at)
        for c in WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")
    ]
    return apps + passkeys


def remove_factor(request: HttpRequest, user: User, key: str) -> bool:
    """Remove one factor of `user` (after the view checked the password and a current
    factor); the last one takes the recovery codes with it. False when there is no such
    factor."""
    kind, _, pk = key.partition("-")
    model = {"app": TOTPDevice, "passkey": WebAuthnCredential}.get(kind)
    if model is None or not pk.isdigit():
        return False
    with transaction.atomic():
        deleted, _ = model.objects.filter(user=user, pk=int(pk)).delete()
        if not deleted:
            return False
        if not has_second_factor(user):
            StaticDevice.objects.filter(user=user).delete()
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            request.session[STAGE_SESSION_KEY] = str(initial_stage(user))
        queue_factor_notice(user, change="removed")
    return True


def reset_factors(user: User) -> int:
    """Every factor and recovery code of `user` deleted (a lost phone); returns how many
    factors (apps, passkeys, the set of recovery codes) went."""
    count = 0
    for model in (TOTPDevice, WebAuthnCredential, StaticDevice):
        _, by_model = model.objects.filter(user=user).delete()
        count += by_model.get(model._meta.label, 0)
    return count


# --- Notices ---------------------------------------------------------------------------------


def queue_factor_notice(user: User, *, change: str) -> None:
    """Tell the account's address about a change of its second factor (added, removed,
    recovery codes used or renewed, reset by the back office): if it was not the owner,
    this is how they learn."""
    if not user.email:
        return
    config = configs().get(str(user.kind))
    queue_email(
        user.email,
        "segundo_factor",
        {
            "full_name": user.get_full_name(),
            "portal": config.display_name if config and account_kind(user) != "staff" else "",
            "change": change,
            "changed_at": date_format(timezone.localtime(), "DATETIME_FORMAT"),
        },
    )


# --- A lost factor ---------------------------------------------------------------------------


def may_reset(actor: User | None, user: User) -> bool:
    """Who may reset `user`'s factors: a superuser anyone's; a reviewer (the "add" permission
    of SecondFactorReset) an agent's or a client's, never staff's; the operator's command
    line (no actor) anyone's."""
    if actor is None or actor.is_superuser:
        return True
    return account_kind(user) != "staff" and actor.has_perm("portal.add_secondfactorreset")


def reset_second_factor(*, user: User, reason: str, reset_by: User | None) -> SecondFactorReset:
    """Delete every factor of `user` (a lost phone or key), record who did it and why
    (append-only), tell the owner and end their sessions: the next sign-in enrols again."""
    from django.core.exceptions import PermissionDenied

    from portal.models import SecondFactorReset

    from .services import end_other_sessions

    if not may_reset(reset_by, user):
        raise PermissionDenied
    with transaction.atomic():
        removed = reset_factors(user)
        record = SecondFactorReset.objects.create(
            user=user, reason=reason.strip(), reset_by=reset_by, factors_removed=removed
        )
        queue_factor_notice(user, change="reset")
    end_other_sessions(user, keep_session_key=None)
    return record
