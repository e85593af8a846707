"""Shared fixtures: small factories, a real SMTP sink, a real Celery worker, Chromium."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from stdnum.mx import rfc as rfc_number

from tests.services import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
_sequence = itertools.count(7000)


def valid_rfc(prefix: str = "PEMA", birth: str = "800101", homoclave: str = "AB") -> str:
    """A fictional RFC whose check digit passes `stdnum.mx.rfc`."""
    base = f"{prefix}{birth}{homoclave}"
    return base + rfc_number.calc_check_digit(base)


def run_together(functions) -> list[str]:
    """Run each function in its own thread, all released at once (concurrency tests on
    PostgreSQL). Returns the sorted outcomes: each return value, or the exception's class
    name, so an unexpected error shows up in the test's assertion."""
    barrier = threading.Barrier(len(functions))
    outcomes: list[str] = []

    def run(function):
        try:
            barrier.wait()
            outcomes.append(function())
        except Exception as exc:  # noqa: BLE001 - any other outcome fails the test
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.fixture(autouse=True)
def _isolation(request):
    """Each test starts with empty rate-limit counters and eager Celery (unless `worker`)."""
    from portal.celery import app

    cache.clear()
    app.conf.task_always_eager = "worker" not in request.keywords
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def make_agent(db):
    """Build an SAA agent: `make_agent(clave_agente="1076", en_vigor=False, canales=[...])`."""
    from agents.models import Agent, Channel, Promotoria

    def make(canales=("Individual Privado",), clave_promotoria="131", **fields) -> Agent:
        promotoria, _ = Promotoria.objects.get_or_create(
            clave=clave_promotoria, defaults={"nombre": f"PROMOTORIA {clave_promotoria}"}
        )
        number = next(_sequence)
        values = {
            "clave_agente": str(number),
            "tipo_agente": "AGENTE",
            "nombre": "XIMENA",
            "apellido_paterno": "SOTO",
            "apellido_materno": "PARDO",
            "email": f"agente{number}@ejemplo.test",
            "rfc": valid_rfc(),
            "tipo_cedula": "B",
            "numero_cedula": "B/123",
            "tipo_razon_social": "FISICA",
            "direccion": "AV. DE LOS ALAMOS 289 64020 MONTERREY NL",
            "clave_promotor": "9064",
            "nombre_promotor": "VICENTE ORDAZ RIVAS",
            "domicilio_fiscal": "AV. DE LOS ALAMOS 289 64020 MONTERREY NL",
            "sector": "SECTOR PRIVADO",
            "mercado": "INDIVIDUAL",
            "en_vigor": True,
            **fields,
        }
        agent = Agent.objects.create(promotoria=promotoria, **values)
        agent.channels.set([Channel.objects.get_or_create(name=n)[0] for n in canales])
        return agent

    return make


@pytest.fixture
def make_request(make_agent):
    """A pending access request: `make_request(agent=None, role_code="AGENTE", email=...)`."""
    from agents.models import AccessRequest, Role

    def make(agent=None, role_code="AGENTE", **fields) -> AccessRequest:
        agent = agent or make_agent()
        role, _ = Role.objects.get_or_create(code=role_code, defaults={"name": role_code})
        fields.setdefault("email", agent.email or "agente@ejemplo.test")
        request = AccessRequest.objects.create(agent=agent, role=role, **fields)
        request.channels.set(agent.channels.all())
        return request

    return make


@pytest.fixture
def make_reviewer(db):
    """Back-office staff: `make_reviewer("ana")` is in "Revisores"; `review=False` is not."""
    from django.contrib.auth.models import Group, Permission

    from portal.models import User

    def make(username="revisora", *, review=True, **fields) -> User:
        user = User.objects.create_user(
            username, f"{username}@back.test", "x", is_staff=True, kind=User.Kind.STAFF, **fields
        )
        if review:
            # The group comes from migration agents 0003; a transactional test flushes it.
            group, _ = Group.objects.get_or_create(name="Revisores")
            codenames = "review_accessrequest view_accessrequest view_agent view_decision".split()
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="agents", codename__in=codenames)
            )
            user.groups.add(group)
        return user

    return make


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.refuse = False  # answer 451 to every message
        self.delay = 0.0  # seconds to wait before accepting a message
        self.attempts = 0  # messages offered, accepted or not
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import asyncio
                import email

                sink.attempts += 1
                if sink.refuse:
                    return "451 Try again later"
                for _ in range(int(sink.delay * 10)):  # a slow server: the client may die
                    await asyncio.sleep(0.1)
                    if server.transport is None or server.transport.is_closing():
                        return "421 Client went away"  # never accepted: not delivered
                sink.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def wait_for(self, count: int = 1, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.1)
        return self.messages


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


def current_database_url() -> str:
    """The test database as a URL, for the processes a test starts (worker, web)."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(transactional_db, smtp_sink, services):
    """Start real `celery worker` processes on the test database, Redis and the SMTP sink:
    `start_worker(beat=True, OUTBOX_RESEND_SECONDS="1")`. All are stopped after the test."""
    processes: list[subprocess.Popen] = []

    def start(beat: bool = False, **env_overrides: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": current_database_url(),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_sink.port),
            **env_overrides,
        }
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
                   "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                   "--without-heartbeat"]  # fmt: skip
        if beat:
            schedule = services.root / f"beat-{len(processes)}"
            command += ["--beat", "--schedule", str(schedule)]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_worker(start_worker):
    """One real Celery worker with beat, as deployed: a row whose task was lost (a broker
    hiccup while the suite restarts Redis) is re-queued within a second."""
    return start_worker(beat=True, OUTBOX_RESEND_SECONDS="1")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop lives in this thread
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="es-MX")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


__all__ = ["valid_rfc", "wait_for_port"]


@pytest.fixture
def make_agent_user(make_agent):
    """An SAA agent with a portal account (kind "agent"), signed-in ready:
    `make_agent_user(password="…", password_expired=True, contact_confirmed=False, **agent)`.
    """
    from datetime import timedelta

    from django.utils import timezone

    from portal.models import User

    def make(
        password="Clave-Segura-2024",
        password_expired=False,
        contact_confirmed=True,
        temporary_hours=72,
        phone="5512345678",
        **agent_fields,
    ):
        agent = make_agent(**agent_fields)
        now = timezone.now()
        user = User.objects.create_user(
            username=f"SPXA{agent.clave_agente}",
            email=agent.email,
            password=password,
            first_name=agent.nombre,
            last_name=f"{agent.apellido_paterno} {agent.apellido_materno}".strip(),
            kind=User.Kind.AGENT,
            phone=phone,
            password_expired=password_expired,
            temporary_password_expires_at=(
                now + timedelta(hours=temporary_hours) if password_expired else None
            ),
            password_changed_at=None if password_expired else now,
            contact_confirmed_at=now if contact_confirmed else None,
        )
        agent.user = user
        agent.save(update_fields=["user"])
        return user

    return make
