"""Alta settings: everything comes from environment variables.

With no variables set this is the embedded default: SQLite under var/, Celery tasks run
eagerly in-process, mail written to var/correo/ and shown at /dev/correo/ (DEBUG only). The
full mode (docker-compose.yml) sets DATABASE_URL, REDIS_URL and EMAIL_HOST.
"""

import os
import secrets
import shutil
import ssl
import tempfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.checks import production_problems, url_password
from portal.logging import console_logging
from portal.ratelimit import RATE_LIMITS

# Django's generic classes subscriptable at runtime (`ModelAdmin[Agent]`), as mypy asks.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ALTA_VAR_DIR", BASE_DIR / "var"))


_TRUE = ("1", "true", "yes", "on", "si", "sí")
_FALSE = ("0", "false", "no", "off")


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no variable; refuse anything else, so a typo ("ture") is not read as False."""
    value = os.environ.get(name, "")
    word = value.strip().lower()
    if word == "":
        return default
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of {', '.join(_TRUE + _FALSE)} (or empty); got {value!r}"
    )


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """Read one of `choices`; refuse anything else rather than fall back to the default."""
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def env_count(name: str, default: int = 0) -> int:
    """Read a whole number >= 0; refuse anything else ("1.5", "-1", "uno") rather than guess."""
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    if not value.isascii() or not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number >= 0 (or empty); got {value!r}")
    return int(value)


def env_date(name: str, default: str) -> date:
    """Read a date as YYYY-MM-DD; refuse anything else rather than guess the order."""
    value = os.environ.get(name, "").strip() or default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a date as YYYY-MM-DD; got {value!r}") from None


# --- Embedded defaults (used when the variable is absent) ---------------------------------
# No DATABASE_URL means the embedded mode on a developer's machine: DEBUG on unless told.
DEBUG = env_bool("DJANGO_DEBUG", not os.environ.get("DATABASE_URL"))
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'alta.sqlite3'}"
REDIS_URL = os.environ.get("REDIS_URL", "")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
PORTAL_BRAND = os.environ.get("PORTAL_BRAND", "MetLife")
# The portal's public address (https://alta.example.com): links in emails and the passkeys'
# relying party are built from it, never from a request's Host header. Required in production.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "").strip().rstrip("/")
# Proxies in front of the app that append to X-Forwarded-For (a TLS terminator: 1). With 0
# the header is the client's own words and ignored; read by portal.ratelimit.client_ip, for
# our limits and django-axes alike.
TRUSTED_PROXY_COUNT = env_count("TRUSTED_PROXY_COUNT", 0)
# -------------------------------------------------------------------------------------------


def _writable_var_dir() -> None:
    """Stop with one line naming the folder when var/ cannot be written (read-only, full, or
    a file in its place): otherwise the first write is a traceback, or a 500 on every page."""
    try:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=VAR_DIR, prefix=".write-test-") as probe:
            probe.write(b"x" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        raise SystemExit(
            f"Alta cannot write to its folder {VAR_DIR} ({error.strerror or error}): make it a "
            "writable folder with free space, or point ALTA_VAR_DIR at one."
        ) from None


# The embedded mode keeps its database, key and mail under var/; production writes nothing.
if DEBUG or DATABASE_URL.startswith(f"sqlite:///{VAR_DIR}"):
    _writable_var_dir()


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    if key:
        return key
    if not DEBUG:
        # A key made up on the spot would differ between web replicas and change on every
        # deploy (sessions and reset links dying at random): production must be given one.
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: with DJANGO_DEBUG off give it a random value of "
            "50+ characters, the same for web, worker and beat (docs/deploy.md)."
        )
    # Embedded mode: one random key per checkout (var/secret-key), shared by every process
    # started from it.
    path = VAR_DIR / "secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not ALLOWED_HOSTS:
    # Otherwise every request would be a bare 400 with the reason only in the log.
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set: with DJANGO_DEBUG off list the portal's host names, "
        "comma-separated (e.g. alta.example.com)."
    )

INSTALLED_APPS = [
    # Django admin whose `admin.site` asks staff for the second factor (portal.admin_site).
    "portal.apps.AltaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "formtools",
    "captcha",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "portal",
    "notifications",
    "agents",
    "registration",
]

MIDDLEWARE = [
    # First: its access line and request id cover every answer, redirects and 400s included.
    "portal.middleware.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.sessions.RenewIdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.AccountGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.brand",
            ],
        },
    },
]

# Django's renderer with `<input>` widgets written in Python: the template engine made them a
# third of a wizard step's rendering.
FORM_RENDERER = "portal.form_renderer.FormRenderer"

# Each gunicorn or Celery process keeps its connection (checked before reuse) instead of
# opening one per request: PostgreSQL starts a process for every new connection.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_count("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _redis_cache_url(broker_url: str) -> str:
    """The cache's Redis database: `REDIS_CACHE_URL`, else the broker's server with database
    `REDIS_CACHE_DB` (1). Refuses the broker's own database: `cache.clear()` is FLUSHDB, and
    on the broker's database it would empty the task queue."""
    url = os.environ.get("REDIS_CACHE_URL", "").strip()
    if not url:
        url = urlunsplit(urlsplit(broker_url)._replace(path=f"/{env_count('REDIS_CACHE_DB', 1)}"))

    def place(address: str) -> tuple[str | None, int | None, str]:
        parts = urlsplit(address)
        return parts.hostname, parts.port, parts.path.strip("/") or "0"

    if place(url) == place(broker_url):
        raise ImproperlyConfigured(
            "The cache and the Celery broker share one Redis database: set REDIS_CACHE_DB "
            "(or REDIS_CACHE_URL) to another database than REDIS_URL's."
        )
    return url


# Every Redis client (cache, broker, readiness) gives up on a call after this many seconds:
# by default they wait for ever, and one hung Redis would hold every request.
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "0.5"))
# After a failed call a process leaves that Redis alone this long (portal.redis_health).
REDIS_RETRY_SECONDS = float(os.environ.get("REDIS_RETRY_SECONDS", "30"))

# Shared state (rate limits, locks) must not live in one process: Redis when there is one,
# the database otherwise, and the database too while Redis does not answer ("fallback",
# portal.redis_health). Its table comes from migration portal 0005. Far more entries than
# Django's 300: past the maximum it deletes a third of them, rate-limit counters included.
_DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "alta_cache",
    "OPTIONS": {"MAX_ENTRIES": 200_000},
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_cache_url(REDIS_URL),
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        },
        "fallback": _DATABASE_CACHE,
    }
else:
    CACHES = {"default": _DATABASE_CACHE, "fallback": _DATABASE_CACHE}

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "portal.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "agents:login"

# 30-minute idle timeout: a session left open on a shared computer dies soon (OWASP ASVS 3.3.2).
SESSION_COOKIE_AGE = 30 * 60
# The timeout slides with each request, but a session that did not change is saved at most
# once a minute (portal.sessions), not on every request as SESSION_SAVE_EVERY_REQUEST would.
SESSION_ENGINE = "portal.sessions"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_AFTER_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Off only for a trial over plain http, which is also what lets PORTAL_BASE_URL be http://.
SECURE_COOKIES = env_bool("DJANGO_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = not DEBUG and SECURE_COOKIES
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): our own origin only, no inline script or style; the
# captcha image and audio come from /captcha/ on the same origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Spanish first; English from locale/en. LocaleMiddleware picks the switcher's cookie, else
# Accept-Language (es, es-ES… read as es-mx), else Spanish. Each language names itself: the
# switcher shows the other one's name to someone who may not read the current one.
LANGUAGE_CODE = "es-mx"
LANGUAGES = [("es-mx", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as each language writes them ("5 de enero de 2027", "January 5, 2027"), ahead of
# Django's own formats: pages and emails name a format (DATE_FORMAT…), never a pattern.
FORMAT_MODULE_PATH = ["portal.formats"]
# The switcher's cookie with the session cookie's flags: HTTPS only in production, out of
# scripts' reach, and not sent by other sites' forms.
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# Production serves what `collectstatic` put in STATIC_ROOT (done in the image): names with
# a content hash, so browsers may cache them for ever, and gzip copies. Off (the embedded
# mode, and the suite's processes, which run from a checkout with nothing collected): files
# are served straight from the app folders, no collectstatic needed.
STATIC_MANIFEST = env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- Mail -----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{PORTAL_BRAND} <no-reply@alta.test>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
else:
    EMAIL_BACKEND = "notifications.backends.DevInboxBackend"
DEV_INBOX_DIR = VAR_DIR / "correo"
# Seconds per socket operation of one SMTP conversation (Django's SMTP backend applies it to
# each connect, read and write, not to the whole conversation: see OUTBOX_ATTEMPT_SECONDS).
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "20"))

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task, whatever
# CONN_MAX_AGE says, unless it may reuse it (here: closes every 1000 tasks); portal.celery
# then keeps or drops it by DATABASES' CONN_MAX_AGE and health check, as for a request.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_RETRY = True
# The worker reconnects to the broker forever (Celery's default gives up after 100 tries,
# about 45 minutes of Redis outage, and the worker stays up consuming nothing). kombu waits
# 2 s, 4 s, 6 s … then every 30 s between tries (Connection.ensure_connection's defaults).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task held by a worker that was killed comes back only after this; beat's `send_pending`
# re-queues its row sooner, from the row's own `next_attempt_at`.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 60 * 60,
    "socket_timeout": REDIS_TIMEOUT,
    "socket_connect_timeout": REDIS_TIMEOUT,
    # A publish that finds no connection tries to make one once, not for 4 s of retries
    # (broker_connection_timeout); the worker's own reconnecting is not bound by this.
    "max_retries": 0,
}
# A publish that fails is not retried in the request: the outbox row stays pending and
# beat's `send_pending` queues it again (each retry would cost another timeout).
CELERY_TASK_PUBLISH_RETRY = False
# kombu takes rediss:// without TLS options as "accept any certificate" (CERT_NONE): the
# broker's password would go to whoever answers for the host. The cache's redis-py checks it.
if urlsplit(CELERY_BROKER_URL).scheme == "rediss":
    CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# What the "Revisores" group is emailed about the queue (agents.alerts): "off"; "digest", a
# morning digest each business day (pending count, the oldest, the overdue, links to the
# queue), the default, since it names every overdue request daily and nobody is left in the
# dark; "digest+overdue", also one email per request the moment it goes overdue (at the local
# midnight that starts a business day). Any other value stops the start.
REVIEW_ALERTS = env_choice("REVIEW_ALERTS", ("off", "digest", "digest+overdue"), "digest")
# The digest's hour, local time (TIME_ZONE), 0 to 23.
REVIEW_DIGEST_HOUR = env_count("REVIEW_DIGEST_HOUR", 8)
if REVIEW_DIGEST_HOUR > 23:
    raise ImproperlyConfigured(f"REVIEW_DIGEST_HOUR must be 0 to 23; got {REVIEW_DIGEST_HOUR}")
CELERY_BEAT_SCHEDULE = {
    "resend-pending-outbox": {
        "task": "notifications.tasks.send_pending",
        "schedule": float(os.environ.get("OUTBOX_RESEND_SECONDS", "60")),
    },
    # Daily: everything past RETENTION_DAYS, expired sessions included (portal.retention).
    "purge-personal-data": {
        "task": "notifications.tasks.purge_personal_data",
        "schedule": crontab(hour=3, minute=15),
    },
    # Every 15 minutes; the task sends once a day, from REVIEW_DIGEST_HOUR on, on business
    # days, unless REVIEW_ALERTS is "off": a missed run is made up by the next one.
    "review-digest": {
        "task": "agents.tasks.send_review_digest",
        "schedule": crontab(minute="*/15"),
    },
    # A request goes overdue at a local midnight: reviewers hear of it within 15 minutes
    # (the task does nothing unless REVIEW_ALERTS is "digest+overdue").
    "overdue-review-alerts": {
        "task": "agents.tasks.alert_overdue_requests",
        "schedule": crontab(minute="*/15"),
    },
}
# --- Retention (LFPDPPP: kept no longer than its purpose needs; portal.retention) -----------
# Days each kind of record keeps its personal data once its purpose is over, counted from the
# moment named. Enforced daily by beat, by `manage.py purge_personal_data` and at `make run`.
RETENTION_DAYS = {
    # Rejected access requests (from the decision): the typed email and the reason are
    # anonymised; a year answers the agent's questions, complaints or a new request about it.
    # The request and its Decision (append-only audit: who, when, what) are kept.
    "rejected_access_requests": 365,
    # Used, expired or voided one-time codes (from use or expiry): they hold the email in
    # clear and prove nothing once spent; 30 days covers the hourly send limits and support.
    "one_time_codes": 30,
    # Sent outbox rows (from sending): recipient, context (names, links) and last error
    # wiped; the row stays for the sent count. Failed rows (from creation) are deleted: their
    # codes and links expired long ago, so sending them again would help nobody.
    "outbox_emails": 90,
    # django-axes' attempts, login logs and failure logs (from the attempt): IP addresses and
    # usernames; 90 days to look into an attack or a person's "I was locked out".
    "login_attempts": 90,
    "login_logs": 90,
    "login_failures": 90,
    # Expired sessions (from expiry): formtools keeps the wizards' typed data (policy number,
    # name, birth date) in them; no reason to keep any after it expired.
    "sessions": 0,
}
# A row's next attempt is stored on it (the only retry schedule): after attempt n it waits
# between half and all of min(BASE * 2**(n-1), MAX) seconds. With 30 s, one hour and 36
# attempts, a row is given up (failed, logged at ERROR) 14.5 to 29 hours after it was
# first tried, so an SMTP outage of a night loses nothing.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "36"))
OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "30"))
OUTBOX_RETRY_MAX_SECONDS = float(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", "3600"))
# One attempt's SMTP conversation is cut at OUTBOX_ATTEMPT_SECONDS (the connection is closed
# under it): by default every step may take EMAIL_TIMEOUT — connect, greeting, EHLO, STARTTLS,
# TLS handshake, EHLO, AUTH (2), MAIL, RCPT, DATA, the message, end of data, QUIT: 14 — so
# a slow server that answers each step in time is never cut, and a trickling one is.
OUTBOX_ATTEMPT_SECONDS = float(os.environ.get("OUTBOX_ATTEMPT_SECONDS", str(14 * EMAIL_TIMEOUT)))
# A claimed row is not tried again before this (its lease): longer than the longest attempt
# plus rendering and the two database writes around it, so beat never re-queues a row that
# is still being sent (a slow server once made 1 email in 4 go out twice).
OUTBOX_LEASE_SECONDS = OUTBOX_ATTEMPT_SECONDS + float(
    os.environ.get("OUTBOX_LEASE_MARGIN_SECONDS", "30")
)
# A worker's attempt takes the other rows ready then, up to this many in all, over one SMTP
# connection (a burst of emails is not one connection each); 1: one row per connection.
OUTBOX_BATCH_SIZE = max(1, int(os.environ.get("OUTBOX_BATCH_SIZE", "20")))
# The key that seals a row's secrets until it is sent; empty: derived from SECRET_KEY.
OUTBOX_SECRETS_KEY = os.environ.get("OUTBOX_SECRETS_KEY", "")
# `/metricas/` answers only `Authorization: Bearer <METRICS_TOKEN>`; unset: the page is a 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Captcha (django-simple-captcha) --------------------------------------------------------
CAPTCHA_TEST_MODE = env_bool("CAPTCHA_TEST_MODE", False)
if CAPTCHA_TEST_MODE and not DEBUG:
    raise ImproperlyConfigured("CAPTCHA_TEST_MODE may only be used with DJANGO_DEBUG on.")
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10  # minutes
# Made for people to read (issue 12): a large image, one dark colour on white, little
# rotation, a few light lines behind the letters instead of dots and arcs across them, and
# no look-alike characters (portal.captcha).
CAPTCHA_CHALLENGE_FUNCT = "portal.captcha.legible_challenge"
CAPTCHA_IMAGE_SIZE = (240, 80)
CAPTCHA_FONT_SIZE = 44
CAPTCHA_LETTER_ROTATION = (-10, 11)
CAPTCHA_FOREGROUND_COLOR = "#1d2530"
CAPTCHA_BACKGROUND_COLOR = "#ffffff"
CAPTCHA_NOISE_FUNCTIONS = ("portal.captcha.noise_lines",)
CAPTCHA_FILTER_FUNCTIONS: tuple[str, ...] = ()  # smoothing only blurs the letters
CAPTCHA_2X_IMAGE = False  # with a fixed CAPTCHA_IMAGE_SIZE its letters overflow the image
# The spoken challenge (/captcha/audio/<key>.wav) when flite is installed; the variable
# names another binary, or turns the audio off when empty.
_flite = os.environ.get("CAPTCHA_FLITE_PATH")
CAPTCHA_FLITE_PATH = shutil.which("flite") if _flite is None else (_flite or None)
if CAPTCHA_FLITE_PATH and not os.access(CAPTCHA_FLITE_PATH, os.X_OK):
    raise ImproperlyConfigured(f"CAPTCHA_FLITE_PATH={CAPTCHA_FLITE_PATH} is not an executable.")

# A person's identification locked by others' wrong tries still admits an address with no
# failures of its own, after this pause (portal.ratelimit.Rule.spares_clean_ip).
RATE_LIMIT_CLEAN_IP_DELAY = 2.0

# --- Login throttling (django-axes), from the "login" rules of portal.ratelimit -------------
# The IP-only rule ("login_ip") is not axes': it would lock /admin/ too (portal.accounts).
_LOGIN_RULES = {rule.key: rule for rule in RATE_LIMITS["login"]}
_AXES_PARAMETERS = {"username": ["username"], "username_ip": ["username", "ip_address"]}
if len({(r.limit, r.window) for r in _LOGIN_RULES.values()}) != 1:
    raise ImproperlyConfigured("django-axes takes one limit and window for every login rule.")
if not set(_LOGIN_RULES) <= set(_AXES_PARAMETERS):
    raise ImproperlyConfigured(f"django-axes locks by {sorted(_AXES_PARAMETERS)} only.")
AXES_FAILURE_LIMIT = _LOGIN_RULES["username"].limit
AXES_COOLOFF_TIME = timedelta(seconds=_LOGIN_RULES["username"].window)
LOGIN_LOCKOUT_PARAMETERS = [_AXES_PARAMETERS[key] for key in _LOGIN_RULES]
# The table's parameters, per attempt: on /admin/ an account with a second factor is locked
# by account + address only (one account's lock from many addresses slows its owner, never
# shuts them out), and /admin/'s failures count apart from the portals' (portal.lockout).
AXES_LOCKOUT_PARAMETERS = "portal.lockout.parameters"
# The same address as our own limits, so TRUSTED_PROXY_COUNT means one thing everywhere.
AXES_CLIENT_IP_CALLABLE = "portal.ratelimit.axes_client_ip"
AXES_RESET_ON_SUCCESS = True
# More tries during a lock do not restart it: whoever keeps guessing cannot hold another
# person's account locked for ever, and "retry in N minutes" stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "portal/locked.html"
AXES_VERBOSE = False
# A locked-out login says so and when to retry, the same page whether or not the account
# exists: a guesser learns nothing.
AXES_LOCKOUT_CALLABLE = "portal.views.lockout_response"
# "admin:<username>" on /admin/: the portals' forms never lock the back office (portal.lockout).
AXES_USERNAME_CALLABLE = "portal.lockout.username"
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field in both portals
# Axes stores the failing request's POST: "Contraseña actual" is checked through it too, so
# the new passwords typed on "Cambio de contraseña" must be masked, not kept in clear.
AXES_SENSITIVE_PARAMETERS = [
    "username", "ip_address", "old_password", "new_password1", "new_password2",
]  # fmt: skip

# --- Second factor (portal.accounts.mfa) -----------------------------------------------------
# Per kind of account: "off" (no second factor offered), "optional" (offered after the first
# entry, and asked at every sign-in once enrolled), "required" (no page before enrolment).
# Production asks it of staff; the embedded demo (DEBUG) opts out so its printed logins work
# with a password alone (STAFF_MFA=required make run tries the production way).
MFA_CHOICES = ("off", "optional", "required")
AGENT_MFA = env_choice("AGENT_MFA", MFA_CHOICES, "optional")
STAFF_MFA = env_choice("STAFF_MFA", MFA_CHOICES, "optional" if DEBUG else "required")
CLIENT_MFA = env_choice("CLIENT_MFA", MFA_CHOICES, "off")
# Our rate-limit table ("second_factor") limits wrong codes; django-otp's own per-device
# back-off would be a second, different rule for the same thing.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = f"{PORTAL_BRAND} Alta"
# Passkeys are a second factor here, never a login of their own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = f"{PORTAL_BRAND} Alta"
# A refused passkey is counted by our limit and told to the person; the library would also
# log each one at ERROR with a traceback.
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""
# A passkey belongs to one site (its relying party, a host name: never an IP address) and is
# accepted from its origins only. The embedded mode's is http://localhost:PORT.
# (Browsers only allow passkeys on https:// or http://localhost.)
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    PORTAL_BASE_URL
    if PORTAL_BASE_URL.startswith(("https://", "http://localhost"))
    else f"http://localhost:{env_count('PORT', 8000)}"
]
OTP_WEBAUTHN_RP_ID = urlsplit(OTP_WEBAUTHN_ALLOWED_ORIGINS[0]).hostname or "localhost"

# --- Product rules --------------------------------------------------------------------------
REVIEW_SLA_BUSINESS_DAYS = 3
# How long the link to an agent's request status (in "Solicitud recibida") opens the page.
REQUEST_STATUS_LINK_DAYS = env_count("REQUEST_STATUS_LINK_DAYS", 30)
TEMPORARY_PASSWORD_HOURS = int(os.environ.get("TEMPORARY_PASSWORD_HOURS", "72"))
# How an approved agent gets a first password: the agent manual's expired temporary password
# (default), or a single-use set-password link, which puts no password in an email.
AGENT_CREDENTIALS = os.environ.get("AGENT_CREDENTIALS", "temporary_password")
if AGENT_CREDENTIALS not in {"temporary_password", "link"}:
    raise ImproperlyConfigured("AGENT_CREDENTIALS must be 'temporary_password' or 'link'.")
# The Call Center as people read it (pages, emails, form errors) and as a phone dials it (the
# tel: link beside it): Mexico dropped the "01" of toll-free numbers in 2019 and a keypad
# cannot dial letters. The default is a fictional number; portal/checks.py refuses a
# CALL_CENTER_TEL with anything but digits and a leading "+".
CALL_CENTER_PHONE = os.environ.get("CALL_CENTER_PHONE", "800 MetLife (800 638 5433)")
CALL_CENTER_TEL = os.environ.get("CALL_CENTER_TEL", "+528006385433")
# The privacy notice (LFPDPPP): who is responsible for the data, where, and the address for
# privacy matters, shown on /privacidad/ and beside each form that collects data. The
# defaults are fictional: an operator sets the insurer's (docs/deploy.md). A new
# PRIVACY_NOTICE_VERSION asks each signed-in agent and client to read it again once.
PRIVACY_RESPONSIBLE_NAME = os.environ.get(
    "PRIVACY_RESPONSIBLE_NAME", "Aseguradora Ejemplo Alta, S.A. de C.V."
)
PRIVACY_RESPONSIBLE_ADDRESS = os.environ.get(
    "PRIVACY_RESPONSIBLE_ADDRESS",
    "Avenida Ejemplo 123, piso 4, Colonia Ficticia, 06600, Ciudad de México, México",
)
PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "privacidad@alta.test")
PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-1").strip()
# Production refuses to start on the fictional defaults (portal.checks, alta.W007).
PRIVACY_UNSET = [
    name
    for name in ("PRIVACY_RESPONSIBLE_NAME", "PRIVACY_RESPONSIBLE_ADDRESS", "PRIVACY_CONTACT_EMAIL")
    if not os.environ.get(name, "").strip()
]
PRIVACY_NOTICE_DATE = env_date("PRIVACY_NOTICE_DATE", "2026-12-07")
# Whether a client whose person has emails on file may register on a new address ("o ingresa
# uno nuevo", as the client guide shows). Policy data are printed on every policy, so off
# means only an address on file can become the username; on, the addresses on file are told.
CLIENT_NEW_EMAIL_WHEN_ON_FILE = env_bool("CLIENT_NEW_EMAIL_WHEN_ON_FILE", True)
# A client identified by policy data with no email on file: "allow" lets them type one (as
# the client guide shows; whoever holds the printed policy can then register it on their own
# address), "invitation" sends them to the Call Center for an invitation to an address the
# insurer puts on file.
CLIENT_WITHOUT_EMAIL_ON_FILE = env_choice(
    "CLIENT_WITHOUT_EMAIL_ON_FILE", ("allow", "invitation"), "allow"
)
# Passwords: maximum age, and how early home shows the "Reset de Contraseña" alert.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "90"))
PASSWORD_RESET_WARNING_DAYS = int(os.environ.get("PASSWORD_RESET_WARNING_DAYS", "10"))
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60  # "¿Olvidaste tu contraseña?" links live one day
# The portals whose accounts portal.accounts serves, one AccountConfig each.
ACCOUNT_CONFIGS = ["agents.accounts.AGENTS", "registration.accounts.CLIENTS"]

# A trial (compose with Mailpit, the suite's servers) may send production's mail to a catcher.
ALLOW_MAIL_CATCHER = env_bool("ALLOW_MAIL_CATCHER", False)
if not DEBUG:
    # Values copied from our examples would start a portal anyone can sign cookies for, or
    # read the metrics of, a forgotten EMAIL_HOST would send every code to a catcher, and
    # without PORTAL_BASE_URL the links in emails would have no address of the portal's own.
    _problems = production_problems(
        secret_key=SECRET_KEY,
        metrics_token=METRICS_TOKEN,
        url_passwords={
            "DATABASE_URL": url_password(DATABASE_URL),
            "REDIS_URL": url_password(REDIS_URL),
        },
        email_host=EMAIL_HOST,
        email_port=EMAIL_PORT if EMAIL_HOST else 0,
        allow_mail_catcher=ALLOW_MAIL_CATCHER,
        portal_base_url=PORTAL_BASE_URL,
        plain_http_trial=not SECURE_COOKIES,
        allowed_hosts=ALLOWED_HOSTS,
        privacy_unset=PRIVACY_UNSET,
    )
    if _problems:
        raise ImproperlyConfigured(_problems[0][1])

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Logs: one JSON object a line on stderr, in UTC, with the request id (portal.logging);
# LOG_FORMAT=text for a developer's terminal (the embedded mode's default).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text'; got {LOG_FORMAT!r}")
LOGGING = {
    **console_logging(LOG_FORMAT, root_level=os.environ.get("LOG_LEVEL", "INFO")),
    "loggers": {
        # Django's defaults give "django" a plain-text handler of its own (with DEBUG) and
        # mail to ADMINS: its lines go to ours only, once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # Django's own line per request (runserver) and per 4xx/5xx: ours (portal.access)
        # says the same once, with the request id; errors (5xx) still come through.
        "django.server": {"level": "ERROR"},
        "django.request": {"level": "ERROR"},
    },
}
# Celery's worker and beat log through LOGGING above instead of replacing the root logger's
# handlers with their own (local-time, plain-text) ones.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
