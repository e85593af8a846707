"""Rows added to `django_session` per 1,000 anonymous first-page GETs (issue 11).

Starts its own PostgreSQL and Redis (tests/services.py), migrates, and sends each page
`BENCH_SESSION_GETS` (default 1,000) GETs in-process through Django's test client, each
from a new client, i.e. a visitor without cookies, the way a crawler or a campaign
click-through arrives. The whole middleware stack runs as under gunicorn; only the socket
is missing, which has nothing to do with sessions. Prints, per page, the rows added and
how many answers set a `sessionid` cookie. Figures, not pass/fail (the test that holds
the line is tests/system/test_session_writes.py).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    ("/", "inicio"),
    ("/agentes/ingresar/", "agent login"),
    ("/clientes/ingresar/", "client login"),
    ("/agentes/solicitud/", "agent wizard step 1"),
    ("/clientes/registro/", "client wizard step 1"),
    ("/clientes/registro/clave/", "client wizard step 1 (key)"),
]


def main() -> None:
    import warnings

    from tests.services import Services

    warnings.filterwarnings("ignore", message="No directory at")  # static files: not built

    gets = int(os.environ.get("BENCH_SESSION_GETS", "1000"))
    services = Services()
    services.start()
    try:
        assert services.postgres
        services.postgres.create_database()
        import django
        from django.core.management import call_command

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        django.setup()
        call_command("migrate", verbosity=0)
        # One access line per GET would bury the table.
        logging.getLogger("portal.access").setLevel(logging.WARNING)

        from django.conf import settings
        from django.contrib.sessions.models import Session
        from django.test import Client

        cookie = settings.SESSION_COOKIE_NAME
        print(f"{gets} anonymous GETs per page, each from a new client (PostgreSQL)")
        print(f"{'page':<30} {'status':>6} {'rows added':>10} {'Set-Cookie ' + cookie:>22}"
              f" {'s':>6}")  # fmt: skip
        for path, name in PAGES:
            before = Session.objects.count()
            statuses: set[int] = set()
            cookies = 0
            started = time.perf_counter()
            for _ in range(gets):
                response = Client().get(path)
                statuses.add(response.status_code)
                cookies += cookie in response.cookies
            elapsed = time.perf_counter() - started
            added = Session.objects.count() - before
            status = ",".join(str(s) for s in sorted(statuses))
            print(f"{name:<30} {status:>6} {added:>10} {cookies:>22} {elapsed:>6.1f}")
    finally:
        services.stop()


if __name__ == "__main__":
    main()
