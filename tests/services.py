"""Throwaway PostgreSQL and Redis servers for the suite (a pytest plugin: `-p tests.services`).

They start before Django reads its settings (DATABASE_URL and REDIS_URL point at them) and
stop when pytest ends. PostgreSQL refuses to run as root, so as root it runs as `postgres`
(DESIGN, "Known traps"). Fault tests stop and start them through the `services` fixture.

Set ALTA_TEST_DATABASE_URL and ALTA_TEST_REDIS_URL to use servers of your own instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def stop_processes(processes: list[subprocess.Popen]) -> None:
    """Ask each process still running to stop (SIGTERM), then wait for all; one that takes
    more than 15 s is killed."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def launch_chromium(playwright):
    """Debian's headless Chromium through Playwright, without the background connections
    this machine's closed network refuses (updates, sync, QUIC)."""
    return playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-quic"],
    )  # fmt: skip


class Postgres:
    def __init__(self, root: Path):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs it).")
        self.bin = Path(found[-1]).parent
        self.dir = root / "pg"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c max_connections=200 -c synchronous_commit=off"
        self._run("pg_ctl", "-D", str(self.dir), "-o", options, "-l", str(self.dir / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-m", mode, "-w", "stop", check=False)

    def create_database(self, name: str = "alta") -> None:
        """The tests' database is made by pytest-django; scripts (bench) call this."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/alta"


class Redis:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if not executable:
            raise RuntimeError("redis-server is not installed: run `make test` (it installs it).")
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def pause(self) -> None:
        """Hang the server (SIGSTOP): connections are still accepted, nothing is answered."""
        assert self.process is not None and self.process.poll() is None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Undo `pause` (SIGCONT)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Services:
    """The servers of one test session."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="alta-tests-"))
        self.postgres: Postgres | None = None
        self.redis: Redis | None = None

    def start(self) -> None:
        if not os.environ.get("ALTA_TEST_DATABASE_URL"):
            self.postgres = Postgres(self.root)
            self.postgres.init()
        if not os.environ.get("ALTA_TEST_REDIS_URL"):
            self.redis = Redis()
            self.redis.start()
        os.environ["DATABASE_URL"] = os.environ.get("ALTA_TEST_DATABASE_URL") or self.postgres.url
        os.environ["REDIS_URL"] = os.environ.get("ALTA_TEST_REDIS_URL") or self.redis.url
        os.environ.setdefault("DJANGO_DEBUG", "0")
        os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-" + "x" * 40)
        os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
        os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
        os.environ.setdefault("DJANGO_SSL_REDIRECT", "0")
        # Links in emails name the test client's host; browser tests point them at the live
        # server (tests/conftest.py, open_page).
        os.environ.setdefault("PORTAL_BASE_URL", "http://testserver")
        # The privacy notice's responsible party (required with DEBUG off): fictional.
        os.environ.setdefault("PRIVACY_RESPONSIBLE_NAME", "Aseguradora Ejemplo Alta, S.A. de C.V.")
        os.environ.setdefault(
            "PRIVACY_RESPONSIBLE_ADDRESS", "Avenida Ejemplo 123, Ciudad de México"
        )
        os.environ.setdefault("PRIVACY_CONTACT_EMAIL", "privacidad@alta.test")
        # Pages are served from a checkout, with no collectstatic run (production's manifest).
        os.environ.setdefault("DJANGO_STATIC_MANIFEST", "0")
        # Production settings without an SMTP provider: each test gives its own sink.
        os.environ.setdefault("ALLOW_MAIL_CATCHER", "1")
        # Staff sign in with a password alone unless a test asks for the production default
        # (required): tests/portal/test_second_factor.py does, through the settings fixture.
        os.environ.setdefault("STAFF_MFA", "optional")
        os.environ["ALTA_VAR_DIR"] = str(self.root / "var")

    def stop(self) -> None:
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


_services: Services | None = None


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # A wrapper runs before pytest-django's hook, which reads the settings.
    global _services
    if _services is None and not os.environ.get("ALTA_TESTS_NO_SERVICES"):
        _services = Services()
        _services.start()
    return (yield)


def pytest_unconfigure(config):
    global _services
    if _services is not None:
        _services.stop()
        _services = None


@pytest.fixture(scope="session")
def services() -> Services:
    assert _services is not None, "the suite's servers did not start"
    return _services
