"""Shared fixtures: small factories, a real SMTP sink, a real Celery worker, Chromium.
Fixtures only: what tests import lives in tests/helpers.py."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import date

import pytest
from django.core.cache import cache

from tests.helpers import ROOT, SmtpSink, current_database_url, next_rfc, valid_rfc
from tests.services import launch_chromium, stop_processes

_sequence = itertools.count(7000)  # clave_agente and email of each agent made
_numbers = itertools.count(81000001)  # numero_poliza of each policy made


@pytest.fixture(autouse=True)
def _isolation(request):
    """Each test starts with empty rate-limit counters and eager Celery (unless `worker`)."""
    from django.conf import settings

    from portal import redis_health
    from portal.celery import app

    redis_health.reset()  # a Redis stopped by an earlier test is not remembered as down
    # FLUSHDB of the cache's own Redis database; the settings refuse to share the broker's,
    # so a task a test loses stays lost instead of being wiped with the counters.
    assert settings.CACHES["default"]["LOCATION"] != settings.CELERY_BROKER_URL
    cache.clear()
    app.conf.task_always_eager = "worker" not in request.keywords
    yield
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _privacy_notice_accepted(request):
    """Every agent or client account a test makes has accepted the current privacy notice, as
    one made by a registration or an access request has: otherwise the account gate would send
    each one to "Aviso de privacidad actualizado" first. Tests marked `privacy_notice` make
    accounts that have accepted none (tests/portal/test_privacy_notice.py)."""
    if "privacy_notice" in request.keywords:
        yield
        return
    from django.db.models.signals import post_save

    from portal import notice
    from portal.models import User

    def accepted(sender, instance, created, raw=False, **kwargs):
        if created and not raw and instance.kind in (User.Kind.AGENT, User.Kind.CLIENT):
            notice.record_acceptance(user=instance, source=notice.Source.REGISTRATION)

    post_save.connect(accepted, sender=User, dispatch_uid="tests-privacy-notice")
    yield
    post_save.disconnect(sender=User, dispatch_uid="tests-privacy-notice")


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
    """A pending access request: `make_request(agent=None, role_code="AGENTE", email=...)`.
    Without an agent, one is made whose SAA email is the request's (the manuals' case)."""
    from agents.models import AccessRequest, Role

    def make(agent=None, role_code="AGENTE", **fields) -> AccessRequest:
        agent = agent or make_agent(**({"email": fields["email"]} if "email" in fields else {}))
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


@pytest.fixture
def make_person(db):
    """`make_person(emails=["a@x.test"], products=["Vida", "GMM"])` with policies."""
    from registration.models import Person, PersonEmail, Policy

    def make(
        emails=("maria.rodriguez@ejemplo.test",),
        products=("Vida Individual",),
        nombre="MARÍA",
        apellido_paterno="RODRÍGUEZ",
        apellido_materno="LÓPEZ",
        fecha_nacimiento=date(1985, 3, 12),
        **fields,
    ) -> Person:
        person = Person.objects.create(
            rfc=fields.pop("rfc", None) or next_rfc(),
            nombre=nombre,
            apellido_paterno=apellido_paterno,
            apellido_materno=apellido_materno,
            fecha_nacimiento=fecha_nacimiento,
            **fields,
        )
        for product in products:
            Policy.objects.create(
                numero_poliza=str(next(_numbers)),
                producto=product,
                estatus="Vigente",
                person=person,
            )
        for email in emails:
            PersonEmail.objects.create(person=person, email=email)
        return person

    return make


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def smtp(settings, smtp_sink):
    """This process's own email goes by SMTP to the sink (the sink is returned)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = False
    return smtp_sink


@pytest.fixture
def start_worker(transactional_db, smtp_sink, services):
    """Start real `celery worker` processes on the test database, Redis and the SMTP sink:
    `start_worker(beat=True, OUTBOX_RETRY_BASE_SECONDS="1")`, beat at production's period
    unless OUTBOX_RESEND_SECONDS is given. All are stopped after the test."""
    processes: list[subprocess.Popen] = []

    def start(beat: bool = False, log=None, **env_overrides: str) -> subprocess.Popen:
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
        if log:  # the child keeps its own copy of the file descriptor
            with open(log, "ab") as output:
                process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        else:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        processes.append(process)
        return process

    yield start
    stop_processes(processes)


@pytest.fixture
def celery_worker(start_worker):
    """One real Celery worker without beat: each email must arrive through its own task, so
    a lost task fails the test instead of being re-queued (tests/helpers.trigger_resend
    runs beat's re-send once where a test needs it)."""
    return start_worker()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop lives in this thread
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_server, settings):
    """Opens a Chromium page on the live server: `open_page(locale="en-US", viewport={…})`,
    es-MX unless told, with Playwright's context options; each closed after the test. Links
    in emails lead to the live server (PORTAL_BASE_URL)."""
    settings.PORTAL_BASE_URL = live_server.url
    contexts = []

    def open_(*, locale: str = "es-MX", **options):
        context = browser.new_context(base_url=live_server.url, locale=locale, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()


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


@pytest.fixture
def make_portal_user(make_agent_user, make_person):
    """`make_portal_user("agents" | "clients", password=...)`: an account of that portal (a
    client's is María Rodríguez, signed in by her email)."""
    from portal.models import User

    def make(portal: str, *, password: str) -> User:
        if portal == "agents":
            return make_agent_user(password=password)
        person = make_person(emails=["maria.rodriguez@ejemplo.test"])
        user = User.objects.create_user(
            "maria.rodriguez@ejemplo.test", email="maria.rodriguez@ejemplo.test",
            password=password, kind=User.Kind.CLIENT,
        )  # fmt: skip
        person.user = user
        person.save(update_fields=["user"])
        return user

    return make
