"""What production refuses to start with (portal/settings.py) and `check --deploy` reports
where the settings did start (DEBUG on): placeholder secrets, mail sent to a catcher and links
in emails without the portal's own address."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.http.request import validate_host

# The placeholders and example values our own files show (secret.yaml, docs/deploy.md,
# README.md, docker-compose.yml): copied as they are, they would start a guessable portal.
_PLACEHOLDER_WORDS = ("replace-me", "replace_me", "replaceme", "change-me", "changeme", "change_me")
_EXAMPLE_VALUES = {
    "secret", "password", "token", "none", "null", "todo", "xxx", "random",
    "the-provider-password",
}  # fmt: skip
# Mail catchers keep every message for whoever opens their page: none of them delivers.
_CATCHER_HOSTS = ("mailpit", "mailhog", "smtp4dev", "mailcatcher", "maildev", "mailtrap")
_CATCHER_PORT = 1025  # the catchers' usual SMTP port; on loopback nothing else listens there
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}
# What a tel: link dials: digits, with "+" and the country code first ("+528006385433").
_DIALABLE = re.compile(r"\+?[0-9]+")


def is_placeholder(value: str) -> bool:
    """Whether a secret's value is a placeholder, empty-looking or one of our examples."""
    word = value.strip().strip("\"'").strip().lower()
    if not word or (word.startswith("<") and word.endswith(">")):
        return True
    return word in _EXAMPLE_VALUES or any(part in word for part in _PLACEHOLDER_WORDS)


def is_mail_catcher(host: str, port: int) -> bool:
    """Whether EMAIL_HOST:EMAIL_PORT is a catcher (Mailpit, MailHog…), not a real server."""
    name = host.strip().lower()
    if any(name == catcher or name.startswith(f"{catcher}.") for catcher in _CATCHER_HOSTS):
        return True
    return name in _LOOPBACK and port == _CATCHER_PORT


def production_problems(
    *,
    secret_key: str,
    metrics_token: str,
    url_passwords: dict[str, str],
    email_host: str,
    email_port: int,
    allow_mail_catcher: bool,
    portal_base_url: str,
    plain_http_trial: bool,
    allowed_hosts: list[str],
    privacy_unset: list[str] | None = None,
) -> list[tuple[str, str]]:
    """(check id, one line) per reason these values must not serve the public (empty: none)."""
    problems = []
    if is_placeholder(secret_key):
        problems.append(
            (
                "alta.W001",
                "DJANGO_SECRET_KEY is a placeholder or an example value: give it a random value of "
                "50+ characters, the same for web, worker and beat (docs/deploy.md).",
            )
        )
    # Unset is allowed: /metricas/ is then a 404; a placeholder would open it to anyone.
    if metrics_token and is_placeholder(metrics_token):
        problems.append(
            (
                "alta.W002",
                "METRICS_TOKEN is a placeholder or an example value: give it a random value, or "
                "leave it unset to turn /metricas/ off.",
            )
        )
    for name, password in url_passwords.items():
        if password and any(part in password.lower() for part in _PLACEHOLDER_WORDS):
            problems.append(("alta.W003", f"{name} carries a placeholder password."))
    if not allow_mail_catcher:
        if not email_host:
            problems.append(
                (
                    "alta.W004",
                    "EMAIL_HOST is not set: with DJANGO_DEBUG off give your SMTP provider's host "
                    "(ALLOW_MAIL_CATCHER=1 only for a trial with a mail catcher).",
                )
            )
        elif is_mail_catcher(email_host, email_port):
            problems.append(
                (
                    "alta.W005",
                    f"EMAIL_HOST={email_host}:{email_port} is a mail catcher, which delivers "
                    "nothing: give your SMTP provider's host (ALLOW_MAIL_CATCHER=1 for a trial).",
                )
            )
    base_url = base_url_problem(
        portal_base_url, plain_http_trial=plain_http_trial, allowed_hosts=allowed_hosts
    )
    if base_url:
        problems.append(("alta.W006", base_url))
    if privacy_unset:
        # The notice at /privacidad/ and beside every form would name the fictional insurer.
        problems.append(
            (
                "alta.W007",
                f"{', '.join(privacy_unset)} not set: the privacy notice must give the "
                "insurer's legal name, address and privacy contact (docs/deploy.md).",
            )
        )
    return problems


def base_url_problem(url: str, *, plain_http_trial: bool, allowed_hosts: list[str]) -> str:
    """Why PORTAL_BASE_URL cannot start every link in an email ("" when it can). Plain http
    only where the cookies are not Secure (DJANGO_SECURE_COOKIES=0): a trial over plain http,
    where an https link would not open at all."""
    if not url:
        return (
            "PORTAL_BASE_URL is not set: with DJANGO_DEBUG off give the portal's public "
            "address, e.g. https://alta.example.com (links in emails are built from it, never "
            "from a request's Host header)."
        )
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number up to 65535
    except ValueError:
        parts = urlsplit("")
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        # Not repeated: a user:password@ in it would go to the logs.
        return (
            "PORTAL_BASE_URL is not a site's address: give its scheme and host only, e.g. "
            "https://alta.example.com (no path, query or user)."
        )
    if parts.scheme == "http" and not plain_http_trial:
        return (
            f"PORTAL_BASE_URL={url} is plain http: give its https:// address (http:// only for "
            "a trial over plain http, with DJANGO_SECURE_COOKIES=0)."
        )
    if not validate_host(parts.hostname, allowed_hosts):
        return (
            f"PORTAL_BASE_URL={url} names a host DJANGO_ALLOWED_HOSTS does not list: every "
            "link in an email would answer 400."
        )
    return ""


def url_password(url: str) -> str:
    """The password in a DATABASE_URL or REDIS_URL ("" when none or unreadable)."""
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


@checks.register(checks.Tags.security, deploy=True)
def check_production_values(**_: Any) -> list[checks.CheckMessage]:
    """`check --deploy`: what a production start would refuse, reported where DEBUG let the
    settings load."""
    problems = production_problems(
        secret_key=settings.SECRET_KEY,
        metrics_token=settings.METRICS_TOKEN,
        url_passwords={
            "DATABASE_URL": url_password(settings.DATABASE_URL),
            "REDIS_URL": url_password(settings.REDIS_URL),
        },
        email_host=settings.EMAIL_HOST,
        email_port=int(settings.EMAIL_PORT),
        allow_mail_catcher=settings.ALLOW_MAIL_CATCHER,
        portal_base_url=settings.PORTAL_BASE_URL,
        plain_http_trial=not settings.SECURE_COOKIES,
        allowed_hosts=settings.ALLOWED_HOSTS,
        privacy_unset=settings.PRIVACY_UNSET,
    )
    return [checks.Warning(problem, id=check_id) for check_id, problem in problems]


@checks.register()
def check_call_center_tel(**_: Any) -> list[checks.CheckMessage]:
    """CALL_CENTER_TEL is what every page's tel: link dials: letters, spaces or dashes there
    would make a link that a phone cannot call, or dials a wrong number."""
    if _DIALABLE.fullmatch(settings.CALL_CENTER_TEL):
        return []
    return [
        checks.Error(
            f"CALL_CENTER_TEL={settings.CALL_CENTER_TEL!r} is not dialable: digits only, "
            "with a leading '+' and the country code (e.g. +528006385433).",
            id="alta.E001",
        )
    ]
