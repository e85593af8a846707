"""Every rate limit in the product: one table, and the functions that apply it by name.

Counters live in the shared cache (Redis, or the database cache when embedded) so every
process shares them; keys are hashed so no RFC, email or IP sits there in clear. While Redis
does not answer they count in the database's cache (portal.redis_health): a limit never
switches off, since an attacker may be the one who caused the outage. Login lockout and code
attempts live in the database anyway.
"""

from __future__ import annotations

import enum
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.core.cache import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.db import connection, transaction
from django.http import HttpRequest
from ipware import get_client_ip

from .redis_health import with_shared_cache

T = TypeVar("T")

MINUTE = 60
HOUR = 60 * MINUTE


@dataclass(frozen=True)
class Rule:
    """At most `limit` attempts per `window` seconds for one value of `key`.

    `spares_clean_ip`: past the limit, an address with no failure of its own on this action
    still gets its attempt, after settings.RATE_LIMIT_CLEAN_IP_DELAY seconds, up to `ceiling`
    times the limit.
    A per-person rule needs it: otherwise anyone can lock a person out for the whole window
    with a few wrong tries from other addresses (targeted denial)."""

    key: str
    limit: int
    window: int
    spares_clean_ip: bool = False
    ceiling: int = 5


RATE_LIMITS: dict[str, tuple[Rule, ...]] = {
    # Failed logins lock the account, and the account from one address: django-axes applies
    # them (settings.py), for /admin/ too. One limit and window for both (axes takes one).
    "login": (Rule("username", 10, HOUR), Rule("username_ip", 10, HOUR)),
    # Failed logins from one address, whatever the account: far higher, since a promotoría
    # office shares one IP, and counted on the two portals' login forms only, so a guesser
    # there never locks /admin/ for the reviewers behind the same address.
    "login_ip": (Rule("ip", 100, HOUR),),
    # Failed identifications: guessing an agent's keys and RFC, or a client's policy data.
    "identify_agent": (Rule("ip", 20, HOUR), Rule("agent", 10, HOUR, spares_clean_ip=True)),
    "identify_client": (Rule("ip", 20, HOUR), Rule("policy", 5, HOUR, spares_clean_ip=True)),
    # "¿Olvidaste tu contraseña?": past the address's limit the form says so...
    "reset_password": (Rule("ip", 20, HOUR),),
    # ...past the email's limit nothing more is sent, silently: no mail bombing, no probing.
    "reset_password_email": (Rule("email", 3, HOUR),),
    # Each refresh makes a new challenge; an unlimited supply lets a solver pick easy ones.
    "captcha_refresh": (Rule("ip", 30, HOUR),),
    # Each spoken challenge runs a flite process: plenty to listen again, not a load to abuse.
    "captcha_audio": (Rule("ip", 60, HOUR),),
    # Each image is drawn anew (simple-captcha keeps none): room for everyone behind one office
    # address to load the step, answer wrong and use every refresh above, not a free renderer.
    "captcha_image": (Rule("ip", 120, HOUR),),
    # One-time codes count from their rows in the database (portal.codes), not the cache:
    # sends per address (with a cooldown between two), wrong tries per code and per subject
    # across codes (3 codes × 5 tries would otherwise allow 15).
    "code_send": (Rule("email", 3, HOUR),),
    "code_check": (Rule("code", 5, 10 * MINUTE), Rule("subject", 10, HOUR)),
    # Code emails per browser session, per person and per address (cache counters): one
    # session must not mail codes to many addresses, nor one person be mailed from many.
    "code_mail": (Rule("session", 5, HOUR), Rule("person", 5, HOUR), Rule("ip", 20, HOUR)),
    # "This email is taken" tells whether an address has an account: past these, the answer
    # no longer says so (a generic refusal), so the step cannot be used to probe addresses.
    "email_taken": (Rule("session", 10, HOUR), Rule("ip", 10, HOUR)),
    # Wrong captcha answers: past these the step refuses until the window ends, whatever
    # /captcha/refresh/ answered (a fresh image is not a fresh allowance).
    "captcha": (Rule("session", 5, HOUR), Rule("ip", 20, HOUR)),
    # Wrong second factors (app codes, recovery codes, passkey assertions) after a right
    # password (ASVS 2.8): 10 an hour per account leaves a 6-digit code a 1-in-100,000 guess;
    # per address for whoever holds several accounts' passwords.
    "second_factor": (Rule("user", 10, HOUR), Rule("ip", 30, HOUR)),
    # The agent's request status link sent again from step 1 (to the request's own address):
    # whoever knows an agent's keys may ask, so a few a day per request, and per address.
    "request_status_link": (Rule("request", 3, 24 * HOUR), Rule("ip", 10, HOUR)),
    # ARCO requests from "Mis datos": each one is a case for the back office and an email.
    "arco_request": (Rule("user", 5, 24 * HOUR), Rule("ip", 20, 24 * HOUR)),
}
CODE_RESEND_COOLDOWN = MINUTE


class RateLimited(Exception):
    """The action is over one of its limits."""


def rule(action: str, key: str) -> Rule:
    """The rule of `action` that counts by `key`."""
    return next(r for r in RATE_LIMITS[action] if r.key == key)


def _cache_key(action: str, key: str, value: str) -> str:
    digest = hashlib.sha256(f"{action}:{key}:{value}".encode()).hexdigest()[:40]
    return f"rl:{action}:{key}:{digest}"


def _rules(action: str, keys: dict[str, str]) -> list[tuple[Rule, str]]:
    unknown = set(keys) - {r.key for r in RATE_LIMITS[action]}
    if unknown:
        raise ValueError(f"{action} is not limited by {sorted(unknown)}")
    return [(r, str(keys[r.key])) for r in RATE_LIMITS[action] if r.key in keys]


def _read_all(action: str, rules: list[tuple[Rule, str]]) -> list[int]:
    """The counts of `rules` in one round trip to the shared cache."""
    names = [_cache_key(action, r.key, value) for r, value in rules]
    found = with_shared_cache(lambda cache: cache.get_many(names))
    return [int(found.get(name) or 0) for name in names]


def count(action: str, **keys: str) -> int:
    """The highest count among the given keys of `action`."""
    return max(_read_all(action, _rules(action, keys)), default=0)


def exceeded(action: str, **keys: str) -> bool:
    """True when any given key of `action` has used up its limit (nothing is counted)."""
    rules = _rules(action, keys)
    return any(n >= r.limit for (r, _), n in zip(rules, _read_all(action, rules), strict=True))


def _hit(cache: BaseCache, cache_key: str, window: int) -> int:
    if not isinstance(cache, DatabaseCache):
        return _add_or_incr(cache, cache_key, window)
    # Not the database cache's incr: a read then a write (two attempts at once would both
    # write n + 1), which also resets the entry to the cache's default timeout (300 s), so an
    # hour's count would start again 5 minutes after the last attempt. Each count is taken
    # under a lock on its key, held until commit, and the window's end is kept beside it.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            lock = int(hashlib.sha256(cache_key.encode()).hexdigest()[:15], 16)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock])
        end_key = f"{cache_key}:end"
        found = cache.get_many([cache_key, end_key])
        now = time.time()
        if cache_key not in found or found.get(end_key, now + window) <= now:
            hits, end = 1, now + window
        else:
            hits, end = int(found[cache_key]) + 1, found.get(end_key, now + window)
        cache.set_many({cache_key: hits, end_key: end}, end - now)
        return hits


def _add_or_incr(cache: BaseCache, cache_key: str, window: int) -> int:
    if cache.add(cache_key, 1, window):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, window)
        return 1


def consume(action: str, **keys: str) -> bool:
    """Count one attempt of `action` for each given key; False when this attempt is past
    any of their limits (the attempt must then be refused)."""
    allowed = True
    for r, value in _rules(action, keys):
        key = _cache_key(action, r.key, value)
        hits = with_shared_cache(partial(_hit, cache_key=key, window=r.window))
        allowed = hits <= r.limit and allowed
    return allowed


class _Standing(enum.Enum):
    OPEN = "open"  # every rule under its limit
    SPARED = "spared"  # only `spares_clean_ip` rules over (below their ceiling), clean address
    REFUSED = "refused"


def _standing(action: str, keys: dict[str, str]) -> _Standing:
    """Where an attempt stands, from one read of every rule's count."""
    rules = _rules(action, keys)
    counts = [(r, n) for (r, _), n in zip(rules, _read_all(action, rules), strict=True)]
    over = [(r, n) for r, n in counts if n >= r.limit]
    if not over:
        return _Standing.OPEN
    if not all(r.spares_clean_ip for r, _ in over) or "ip" not in keys:
        return _Standing.REFUSED
    if any(n >= r.limit * r.ceiling for r, n in over):
        return _Standing.REFUSED
    ip_failures = next(n for r, n in counts if r.key == "ip")
    return _Standing.SPARED if ip_failures == 0 else _Standing.REFUSED


def limit_failures(action: str, attempt: Callable[[], T], *, failure: type[Exception],
                   **keys: str) -> T:  # fmt: skip
    """Run `attempt` unless `action` is over a limit (raise RateLimited); only a `failure`
    it raises is counted, so people who get it right are never slowed down. A person's
    rule locked by others' failures still admits a clean address, slowly (Rule)."""
    standing = _standing(action, keys)
    if standing is _Standing.REFUSED:
        raise RateLimited(action)
    if standing is _Standing.SPARED:
        time.sleep(settings.RATE_LIMIT_CLEAN_IP_DELAY)
    try:
        return attempt()
    except failure:
        consume(action, **keys)
        if standing is _Standing.SPARED:
            raise RateLimited(action) from None  # the same answer as a refusal: nothing learnt
        raise


def client_ip(request: HttpRequest) -> str:
    """The address our limits and django-axes (AXES_CLIENT_IP_CALLABLE) count a request by."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        # Each trusted proxy appends the address it was reached from and the last one is
        # REMOTE_ADDR, so the client is the N-th entry from the right of X-Forwarded-For;
        # whatever a client wrote further left is ignored. ipware counts the proxies that
        # appear in the header, hence N - 1.
        ip, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if ip:
            return ip
    # No trusted proxy (or a request that bypassed it): X-Forwarded-For is whatever the
    # client wrote, so only the socket's address counts.
    return request.META.get("REMOTE_ADDR", "") or NO_ADDRESS


NO_ADDRESS = "unknown"  # a request with none (a test client's force_login): one shared key


def axes_client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: client_ip, with None for no address (axes' column is inet)."""
    ip = client_ip(request)
    return None if ip == NO_ADDRESS else ip
