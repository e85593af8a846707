"""Rough requests/s of one web replica (gunicorn -w 2) against real PostgreSQL and Redis."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.report import percentile  # noqa: E402
from bench.servers import gunicorn_command, production_env  # noqa: E402
from tests.helpers import manage  # noqa: E402
from tests.services import Services, free_port, stop_processes, wait_for_port  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))


def hammer(port: int, path: str) -> tuple[float, int, dict[int, int], list[float]]:
    stop = time.monotonic() + SECONDS
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []

    def run() -> None:
        while time.monotonic() < stop:
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "es-MX"})
            response = conn.getresponse()
            response.read()
            conn.close()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                latencies.append(time.monotonic() - started)

    began = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    return elapsed, len(latencies), statuses, sorted(latencies)


def print_load(path: str, load: tuple[float, int, dict[int, int], list[float]]) -> None:
    """One line of `hammer`'s figures for `path`."""
    elapsed, count, statuses, latencies = load
    p50 = percentile(latencies, 0.50) * 1000
    p95 = percentile(latencies, 0.95) * 1000
    print(
        f"{path:22} {count / elapsed:7.1f} req/s  n={count} statuses={statuses} "
        f"p50={p50:.0f}ms p95={p95:.0f}ms threads={THREADS} {elapsed:.1f}s",
        flush=True,
    )


def main() -> None:
    services = Services()
    services.start()
    services.postgres.create_database()
    gunicorn = None
    try:
        env = production_env(PROMETHEUS_MULTIPROC_DIR=str(services.root / "prometheus"))
        (services.root / "prometheus").mkdir()
        for command in (("collectstatic", "--noinput"), ("migrate_locked", "--noinput")):
            done = manage(*command, env=env)
            assert done.returncode == 0, done.stderr
        port = free_port()
        gunicorn = subprocess.Popen(  # noqa: S603 - our own command line
            gunicorn_command("portal.wsgi:application", port),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port)
        hammer(port, "/salud/vivo/")  # warm-up (imports, first connections)
        for path in ("/agentes/ingresar/", "/salud/vivo/", "/salud/"):
            print_load(path, hammer(port, path))
    finally:
        stop_processes([gunicorn] if gunicorn else [])
        services.stop()


if __name__ == "__main__":
    main()
