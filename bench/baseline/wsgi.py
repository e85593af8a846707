"""WSGI entry of the baseline project: `gunicorn bench.baseline.wsgi:application`."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

# Set, not setdefault: an environment copied from Alta's processes names portal.settings.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"
application = get_wsgi_application()
