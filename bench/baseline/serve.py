"""How the benchmark serves the baseline: `prepare(env)` migrates its database and
`gunicorn_command(port)` is the argv to start it with, Alta's bench flags (`-w 2`, loopback).

Run alone (`python -m bench.baseline.serve`) it checks itself: a throwaway PostgreSQL, the
`baseline` database, gunicorn, both pages answered with a form and a CSRF token, and a short
load on each (BENCH_SECONDS, BENCH_THREADS as bench/web_capacity.py reads them).
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS = "bench.baseline.settings"
PAGES = ("/login/", "/accounts/signup/")


def prepare(env: dict[str, str]) -> None:
    """Create the baseline's tables in the database DATABASE_URL of `env` names (which must
    exist); raises RuntimeError with migrate's output when it fails."""
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "django", "migrate", "--noinput", "--settings", SETTINGS],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": SETTINGS},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"baseline migrate failed:\n{done.stdout}\n{done.stderr}")


def gunicorn_command(port: int) -> list[str]:
    """The argv that serves the baseline on 127.0.0.1:`port`, the same flags as Alta's bench
    run (bench/web_capacity.py). Start it with cwd=ROOT, so gunicorn reads the same
    gunicorn.conf.py as Alta's, and an environment holding the baseline's DATABASE_URL."""
    from bench.servers import gunicorn_command as command

    return command("bench.baseline.wsgi:application", port)


def fetch(port: int, path: str) -> tuple[int, str]:
    """GET `path` from the server on `port`: status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "es-MX"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def main() -> None:
    """Serve the baseline against a throwaway PostgreSQL and print what each page answers."""
    sys.path.insert(0, str(ROOT))
    from bench.web_capacity import hammer, print_load
    from tests.services import Services, free_port, stop_processes, wait_for_port

    services = Services()
    services.start()
    gunicorn = None
    try:
        assert services.postgres, "ALTA_TEST_DATABASE_URL is set: no server of our own"
        services.postgres.create_database("baseline")
        env = {
            **os.environ,
            "DATABASE_URL": services.postgres.url.rsplit("/", 1)[0] + "/baseline",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        }
        prepare(env)
        port = free_port()
        gunicorn = subprocess.Popen(  # noqa: S603 - our own command line
            gunicorn_command(port),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port)
        for path in PAGES:
            status, body = fetch(port, path)
            has_form = "<form" in body and re.search(r'name="csrfmiddlewaretoken"', body)
            print(f"{path:20} GET {status}  form+csrf={'yes' if has_form else 'NO'}")
            assert status == 200 and has_form, body[:2000]
        for path in PAGES:
            print_load(path, hammer(port, path))
    finally:
        stop_processes([gunicorn] if gunicorn else [])
        services.stop()


if __name__ == "__main__":
    main()
