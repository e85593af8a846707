"""How every benchmark serves a Django project: the same gunicorn command line and the same
production settings, so that figures of one run, and of two benches, compare."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gunicorn_command(app: str, port: int) -> list[str]:
    """gunicorn serving the WSGI `app` on 127.0.0.1:`port` with 2 sync workers; started with
    cwd=ROOT it reads the project's gunicorn.conf.py."""
    return [str(ROOT / ".venv/bin/gunicorn"), app, "-w", "2", "--bind", f"127.0.0.1:{port}"]


def production_env(**variables: str) -> dict[str, str]:
    """This process's environment with production settings (DEBUG off, a secret key, hashed
    collected static files) over plain http on loopback, and `variables`."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Required with DEBUG off; no bench follows a link from an email.
        "PORTAL_BASE_URL": "http://127.0.0.1",
        "PRIVACY_RESPONSIBLE_NAME": "Aseguradora Ejemplo Alta, S.A. de C.V.",
        "PRIVACY_RESPONSIBLE_ADDRESS": "Avenida Ejemplo 123, Ciudad de México",
        "PRIVACY_CONTACT_EMAIL": "privacidad@alta.test",
        "DJANGO_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        # No SMTP provider: mail goes to the dev inbox or the bench's own sink.
        "ALLOW_MAIL_CATCHER": "1",
        **variables,
    }
    env.pop("DJANGO_STATIC_MANIFEST", None)  # production's default: hashed, collected
    return env
