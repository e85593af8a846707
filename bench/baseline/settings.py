"""Settings of the baseline project: stock Django, django-formtools, django-simple-captcha
and django-allauth, DEBUG off, everything else from the environment (DATABASE_URL,
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, TRUSTED_PROXY_COUNT) with defaults fit for a
benchmark on loopback. Where Alta's settings make a choice a Django team would make too
(persistent database connections, Argon2, the password validators of `startproject`),
the baseline makes the same one, so that the comparison is of the pages' work."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from bench.baseline import SCHEMA

BASE_DIR = Path(__file__).resolve().parent

# A benchmark's own key on loopback, never a deployment's: Alta's settings refuse a default.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "baseline-bench-" + "k" * 50)
DEBUG = False
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "formtools",
    "captcha",
    "allauth",
    "allauth.account",
    "bench.baseline.apps.AgentModelsConfig",
]
# Alta's migrations made the agent tables (and depend on Alta's other apps): the baseline
# only reads and writes them.
MIGRATION_MODULES = {"agents": None}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "bench.baseline.urls"
WSGI_APPLICATION = "bench.baseline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",  # allauth needs it
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# No default: a baseline on SQLite would not compare with Alta on PostgreSQL. DATABASE_URL
# is Alta's database: the baseline's own tables live in the schema SCHEMA, first on the
# search path, and the agent tables are read from `public`, where Alta keeps them (same
# rows, same indexes). Its migrations run with SCHEMA alone on the path (BASELINE_MIGRATE,
# bench/baseline/serve.py), so they neither see nor touch Alta's tables of the same names
# (django_migrations, django_session, captcha_captchastore...).
_search_path = SCHEMA if os.environ.get("BASELINE_MIGRATE") else f"{SCHEMA},public"
DATABASES = {
    "default": {
        **dj_database_url.parse(
            os.environ["DATABASE_URL"],
            conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        ),
        "OPTIONS": {"options": f"-c search_path={_search_path}"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Stock database sessions (django.contrib.sessions.backends.db, Django's default engine).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Alta's hashers, so that an account's password costs the same here as there.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# `startproject`'s validators.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# allauth's rate limits stay on (signup: 20 a minute per address); the client address is
# read behind as many proxies as Alta trusts (the bench's scripted visitors each send one).
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# allauth's confirmation email goes to the console (the bench discards it): written, not
# delivered, as Alta's pages queue theirs for the worker.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

LANGUAGE_CODE = "es-mx"
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
