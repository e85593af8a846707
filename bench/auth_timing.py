"""`make bench`: does a login or a password-reset request take the same time whether or
not the account exists? (issue 5 §5: an attacker must not enumerate accounts by timing.)

Starts its own PostgreSQL and Redis (tests/services.py), migrates, creates one agent and
one client, then times alternating hit/miss requests through Django's test client and
prints medians and their ratio. Figures, not a pass/fail: machines are noisy.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
_ips = count(1)


def next_ip() -> str:
    n = next(_ips)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def timed(client, url: str, data: dict) -> float:
    start = time.perf_counter()
    response = client.post(url, data, REMOTE_ADDR=next_ip())
    elapsed = time.perf_counter() - start
    assert response.status_code < 500, (url, response.status_code)
    return elapsed


def main() -> None:
    import warnings

    from tests.services import Services

    os.environ.setdefault("LOG_LEVEL", "WARNING")
    warnings.filterwarnings("ignore", message="No directory at")

    services = Services()
    services.start()
    try:
        services.postgres.create_database()
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        django.setup()
        run()
    finally:
        services.stop()


def run() -> None:
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from portal.models import User

    setup_test_environment()  # locmem mail, testserver host
    call_command("migrate", verbosity=0)
    User.objects.create_user("SOPX1234", "agente@ejemplo.test", "Clave-Segura-2026",
                             kind=User.Kind.AGENT, password_changed_at=None)  # fmt: skip
    User.objects.create_user("cliente@ejemplo.test", "cliente@ejemplo.test", "Clave-Segura-2026",
                             kind=User.Kind.CLIENT)  # fmt: skip
    client = Client()
    cases = {
        "agent login, wrong password": (
            "/agentes/ingresar/", {"username": "SOPX1234", "password": "nope-nope-nope"},
            {"username": "NOEX9999", "password": "nope-nope-nope"},
        ),
        "client login, wrong password": (
            "/clientes/ingresar/", {"username": "cliente@ejemplo.test", "password": "nope-nope"},
            {"username": "nadie@ejemplo.test", "password": "nope-nope"},
        ),
        "agent password reset": (
            "/agentes/contrasena/olvide/", {"email": "agente@ejemplo.test"},
            {"email": "nadie@ejemplo.test"},
        ),
        "client password reset": (
            "/clientes/contrasena/olvide/", {"email": "cliente@ejemplo.test"},
            {"email": "nadie@ejemplo.test"},
        ),
    }  # fmt: skip
    print(f"Alta auth timing, {ROUNDS} rounds each, hashers {settings.PASSWORD_HASHERS[0]}")
    print(f"{'case':32} {'hit ms':>8} {'miss ms':>8} {'miss/hit':>9}")
    for name, (url, hit, miss) in cases.items():
        hits, misses = [], []
        timed(client, url, hit), timed(client, url, miss)  # warm up
        for _ in range(ROUNDS):
            AccessAttempt.objects.all().delete()  # stay under the lockout: time the check
            cache.clear()
            hits.append(timed(client, url, hit))
            misses.append(timed(client, url, miss))
        h, m = statistics.median(hits) * 1000, statistics.median(misses) * 1000
        print(f"{name:32} {h:8.1f} {m:8.1f} {m / h:9.2f}")
    locked_timing(client)


def locked_timing(client) -> None:
    """A locked account against a wrong password and an unknown user: the lock must not be
    told by time (the lockout backend hashes once, as a wrong password costs)."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.core.cache import cache

    url, wrong = "/agentes/ingresar/", "nope-nope-nope"
    cases = {
        "wrong password": {"username": "SOPX1234", "password": wrong},
        "unknown user": {"username": "NOEX9999", "password": wrong},
        "locked account": {"username": "SOPX1234", "password": "Clave-Segura-2026"},
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        AccessAttempt.objects.all().delete()
        cache.clear()
        times["wrong password"].append(timed(client, url, cases["wrong password"]))
        times["unknown user"].append(timed(client, url, cases["unknown user"]))
        for _attempt in range(settings.AXES_FAILURE_LIMIT):  # lock SOPX1234
            timed(client, url, cases["wrong password"])
        times["locked account"].append(timed(client, url, cases["locked account"]))
    base = statistics.median(times["wrong password"]) * 1000
    print(f"\nagent login, {ROUNDS} rounds    {'ms':>8} {'/wrong':>8}")
    for name, values in times.items():
        ms = statistics.median(values) * 1000
        print(f"{name:32} {ms:8.1f} {ms / base:8.2f}")


if __name__ == "__main__":
    main()
