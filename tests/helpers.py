"""What tests import: valid fictional RFCs, the usual passwords and sign-in through each
portal's login form, a concurrency runner, codes and links read from the outbox, an SMTP
sink, and test-client drivers for the two wizards. Fixtures live in the conftest files,
which are never imported."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dj_database_url
import psycopg2
import pytest
from django.core import mail
from django.db import connection, transaction
from stdnum.mx import rfc as rfc_number

from tests.services import free_port

ROOT = Path(__file__).resolve().parent.parent

AGENT_WIZARD_URL = "/agentes/solicitud/"
AGENT_WIZARD_PREFIX = "access_request_wizard"
CLIENT_WIZARD_URL = "/clientes/registro/"
KEY_WIZARD_URL = "/clientes/registro/clave/"
HOMOCLAVE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ123456789"
_homoclaves = itertools.count(0)

# The password `make_agent_user` (tests/conftest.py) gives an account unless told otherwise.
AGENT_PASSWORD = "Clave-Segura-2024"
# The password the client tests give the account they sign in with.
CLIENT_PASSWORD = "Cedro-azul-2026!"
# Each portal's login page and the labels of its two fields.
LOGINS = {
    "agents": ("/agentes/ingresar/", "Usuario", "Contraseña"),
    "clients": ("/clientes/ingresar/", "Correo electrónico", "Contraseña"),
}

# What the agent's two credential emails say (manual 001 §3.7).
USERNAME_LINE = re.compile(r"Se generó el siguiente usuario:\s*([A-Z]{4}\d{4})")
PASSWORD_LINE = re.compile(r"Se generó la siguiente contraseña: (\S{8})\s")


def valid_rfc(prefix: str = "PEMA", birth: str = "800101", homoclave: str = "AB") -> str:
    """A fictional RFC whose check digit passes `stdnum.mx.rfc`."""
    base = f"{prefix}{birth}{homoclave}"
    return base + rfc_number.calc_check_digit(base)


def next_rfc(prefix="ROLM", birth="850312") -> str:
    """A valid RFC not handed out before in this run (a new homoclave each call)."""
    n = next(_homoclaves)
    homoclave = (
        HOMOCLAVE_CHARS[n // len(HOMOCLAVE_CHARS) % len(HOMOCLAVE_CHARS)]
        + (HOMOCLAVE_CHARS[n % len(HOMOCLAVE_CHARS)])
    )
    return valid_rfc(prefix, birth, homoclave)


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


def current_database_url() -> str:
    """The test database as a URL, for the processes a test starts (worker, web)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the suite's PostgreSQL, as a URL; dropped afterwards."""
    base = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = psycopg2.connect(
        dbname="postgres", user=base["USER"], host=base["HOST"], port=base["PORT"]
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        yield f"postgres://{base['USER']}@{base['HOST']}:{base['PORT']}/{name}"
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        admin.close()


def _newest_in_outbox(pattern: str, to: str | None, what: str) -> re.Match[str]:
    """The first match of `pattern` in the newest email (to `to`) in the locmem outbox."""
    for message in reversed(mail.outbox):
        if to is None or to in message.to:
            found = re.search(pattern, message.body)
            if found:
                return found
    raise AssertionError(f"no {what} email")


def last_code(to: str | None = None) -> str:
    """The 6-digit code in the newest email (to `to`) in Django's locmem outbox."""
    return _newest_in_outbox(r"\b(\d{6})\b", to, "code").group(1)


def last_link(to: str | None = None) -> str:
    """The client's set-password link in the newest email (to `to`) in the locmem outbox."""
    return _newest_in_outbox(r"https?://\S+/clientes/contrasena/\S+/", to, "link").group(0)


def shown_after_refusal(client, response, **meta):
    """A refused POST answers 303 to the page that shows why (Post/Redirect/Get): that page,
    fetched as the browser does (`meta` as `client.get`'s: `REMOTE_ADDR=…`); any other
    response as it is."""
    if response.status_code == 303:
        return client.get(response["Location"], **meta)
    return response


def post_login(client, portal: str, username: str, password: str, **extra):
    """The portal's login form posted with Django's test client; the response, or for a
    refusal the page that shows it (`extra` as `client.post`'s: `follow=True`,
    `REMOTE_ADDR=…`)."""
    data = {"username": username, "password": password}
    meta = {k: v for k, v in extra.items() if k != "follow"}
    return shown_after_refusal(client, client.post(LOGINS[portal][0], data, **extra), **meta)


def sign_in(client, portal: str, username: str, password: str = AGENT_PASSWORD):
    """`client` signed in through the portal's login form, as a person does (fails the test
    if the form does not let them in); the client, for chaining."""
    response = post_login(client, portal, username, password)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


# The two screens the pages are checked on, a phone's and a desktop's: `@VIEWPORTS` gives a
# test its `width`, and `open_at` a page that wide.
VIEWPORTS = pytest.mark.parametrize("width", [360, 1280])
# How far a page reaches past the viewport, sideways (0 when nothing scrolls).
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def open_at(open_page, width: int, **options):
    """A page `width` px wide: as tall as a phone's screen (740 px) at 360, else 800 px."""
    return open_page(viewport={"width": width, "height": 740 if width == 360 else 800}, **options)


def sign_in_in_browser(page, portal: str, username: str, password: str = AGENT_PASSWORD) -> None:
    """In Chromium, the portal's login form filled by its labels and sent with "Ingresar"."""
    url, username_label, password_label = LOGINS[portal]
    page.goto(url)
    page.get_by_label(re.compile(f"^{username_label}")).fill(username)
    page.get_by_label(re.compile(f"^{password_label}")).fill(password)
    page.get_by_role("button", name="Ingresar", exact=True).click()


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`manage.py` with `args` in a new process with the environment `env`."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def fresh_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """This process's environment without the suite's Django, mail and database settings, for
    a Django process a test starts: its own var/ folder, no Redis, and `variables`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "CAPTCHA_", "EMAIL_", "PYTEST_", "DATABASE_", "PORTAL_BASE_URL")
        )
    }
    env.update({"ALTA_VAR_DIR": str(tmp_path / "var"), "REDIS_URL": "", **variables})
    return env


def wait_until(condition, timeout: float = 60.0, what: str = "condition"):
    """Poll `condition` until it returns something true (returned) or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def broker_queue_length() -> int:
    """Tasks waiting in the Celery broker's default queue (a Redis list named `celery`)."""
    import redis
    from django.conf import settings

    return int(redis.Redis.from_url(settings.CELERY_BROKER_URL).llen("celery"))


def trigger_resend() -> None:
    """What beat does every OUTBOX_RESEND_SECONDS, once, now: publish `send_pending` to the
    broker for a real worker. The test worker runs no beat, so a lost task stays lost unless
    a test asks for the re-send path on purpose."""
    from portal.celery import app

    app.send_task("notifications.tasks.send_pending")


class RowHeld:
    """Holds an outbox row's lock from another connection, so the worker's "sent" write
    waits: the window where the server has the email and the outbox does not know it."""

    def __init__(self, pk: int):
        self.pk = pk
        self.taken = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self.hold, daemon=True)
        self.thread.start()
        assert self.taken.wait(10), "the row's lock was not taken"

    def hold(self) -> None:
        from notifications.models import OutboxEmail

        try:
            with transaction.atomic():
                OutboxEmail.objects.select_for_update().get(pk=self.pk)
                self.taken.set()
                self.release.wait(60)
                # A killed worker's connection would not run its write: end the session that
                # waits on this lock before letting it go (a dead client's statement would
                # otherwise run, and commit, once the lock is free).
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
                    )
                transaction.set_rollback(True)
        finally:
            connection.close()

    def waiters(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'UPDATE \"notifications_outboxemail\"%%'"
            )
            return cursor.fetchone()[0]

    def let_go(self) -> None:
        self.release.set()
        self.thread.join(10)


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.peers: list = []  # the client address and port each message came over
        self.refuse = False  # answer `refuse_reply` to every message
        self.refuse_reply = "451 Try again later"
        self.delay = 0.0  # seconds to wait before accepting a message
        self.rcpt_delay = 0.0  # seconds to wait before answering each RCPT (a slow server)
        # Address (lower case) -> the reply to its RCPT, e.g. "550 5.1.1 <a@b>: no such user".
        self.refuse_rcpt: dict[str, str] = {}
        self.attempts = 0  # messages offered, accepted or not
        self.attempt_times: list[float] = []  # time.time() of each offer, for schedules
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                import asyncio

                await asyncio.sleep(sink.rcpt_delay)
                reply = sink.refuse_rcpt.get(address.lower())
                if reply:
                    return reply
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                import asyncio
                import email

                sink.attempts += 1
                sink.attempt_times.append(time.time())
                if sink.refuse:
                    return sink.refuse_reply
                for _ in range(int(sink.delay * 10)):  # a slow server: the client may die
                    await asyncio.sleep(0.1)
                    if server.transport is None or server.transport.is_closing():
                        return "421 Client went away"  # never accepted: not delivered
                sink.messages.append(email.message_from_bytes(envelope.content))
                sink.peers.append(session.peer)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def wait_for(self, count: int = 1, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.1)
        return self.messages


class WizardDriver:
    """Posts a wizard's steps as a browser would: the management form plus the step's
    fields, to the step's own URL, following the redirect that answers a valid POST
    (`response.redirect_chain` says where it went; `follow=False` returns the 302 itself)."""

    url = ""
    prefix = ""
    steps: tuple[str, ...] = ()

    def __init__(self, client):
        self.client = client

    def start(self):
        return self.client.get(self.url)

    def step_url(self, step: str) -> str:
        """The step's URL; for a name that is no step (what a tampering test posts), the
        wizard's entry URL, which takes posts too."""
        return f"{self.url}{step}/" if step in self.steps else self.url

    def open(self, step: str, *, follow: bool = True):
        """GET a step's URL: Back, Forward, a reload or a typed address."""
        return self.client.get(self.step_url(step), follow=follow)

    def post(self, step: str, data: dict | None = None, *, follow: bool = True, **extra):
        payload = {f"{self.prefix}-current_step": step}
        payload.update({f"{step}-{name}": value for name, value in (data or {}).items()})
        payload.update(extra)
        return self.client.post(self.step_url(step), payload, follow=follow)

    def back(self, from_step, to_step, *, follow: bool = True):
        """Regresar."""
        return self.post(from_step, {}, wizard_goto_step=to_step, follow=follow)


class RequestWizard(WizardDriver):
    """Drives the agent request wizard (001 §3.3–3.6) with Django's test client."""

    url = AGENT_WIZARD_URL
    prefix = AGENT_WIZARD_PREFIX
    steps = ("identify", "channels", "role", "submit")

    def identify(self, agent, *, follow: bool = True, **overrides):
        data = {
            "clave_agente": agent.clave_agente,
            "clave_promotoria": agent.promotoria.clave,
            "rfc": agent.rfc,
            **overrides,
        }
        return self.post("identify", data, follow=follow)

    def choose_channels(self, agent, names=None, *, follow: bool = True):
        channels = agent.channels.all()
        if names is not None:
            channels = channels.filter(name__in=names)
        return self.post("channels", {"channels": [str(c.pk) for c in channels]}, follow=follow)

    def choose_role(self, code="AGENTE", *, follow: bool = True):
        from agents.models import Role

        return self.post("role", {"role": str(Role.objects.get(code=code).pk)}, follow=follow)

    @staticmethod
    def captcha_answer(response) -> tuple[str, str]:
        """The challenge shown on the page and its answer, read from the captcha store."""
        from captcha.models import CaptchaStore

        hashkey = re.search(r'name="submit-captcha_0" value="([0-9a-f]+)"', response.text).group(1)
        return hashkey, CaptchaStore.objects.get(hashkey=hashkey).response

    def send(self, response, email="xsoto@ejemplo.test", confirmation=None, answer=None):
        hashkey, right = self.captcha_answer(response)
        return self.post(
            "submit",
            {
                "email": email,
                "email_confirmation": email if confirmation is None else confirmation,
                "captcha_0": hashkey,
                "captcha_1": right if answer is None else answer,
            },
        )

    def walk_to_submit(self, agent):
        self.start()
        self.identify(agent)
        self.choose_channels(agent)
        return self.choose_role()


def birth_date_as_typed(day: date) -> str:
    """A date as a person types it in the client's birth-date field: dd/mm/aaaa."""
    return day.strftime("%d/%m/%Y")


class ClientWizard(WizardDriver):
    """Drives the client registration wizard (000) with Django's test client, or with
    `KEY_WIZARD_URL` the one that starts from a registration key."""

    steps = ("identify", "products", "code")

    def __init__(self, client, url=CLIENT_WIZARD_URL):
        super().__init__(client)
        self.url = url
        self.person = None  # who `identify` named: `choose_email` posts positions in its list
        self.prefix = (
            "key_registration_wizard" if url == KEY_WIZARD_URL else "client_registration_wizard"
        )

    def identify(self, person, *, follow: bool = True, **overrides):
        self.person = person
        data = {
            "numero_poliza": person.policies.first().numero_poliza,
            "nombre": person.nombre,
            "apellido_paterno": person.apellido_paterno,
            "fecha_nacimiento": birth_date_as_typed(person.fecha_nacimiento),
            **overrides,
        }
        return self.post("identify", data, follow=follow)

    def identify_with_key(self, key, numero_poliza):
        from registration.models import Person

        self.person = Person.objects.filter(policies__numero_poliza=numero_poliza).first()
        return self.post("identify", {"clave_registro": key, "numero_poliza": numero_poliza})

    def email_position(self, email: str) -> str:
        """What the email step posts for an address on file: its position in the list (the
        address itself is never in the page); an address not on file is posted as typed."""
        from registration.services import emails_on_file

        on_file = emails_on_file(self.person) if self.person is not None else []
        return str(on_file.index(email.lower())) if email.lower() in on_file else email

    def choose_email(self, email=None, new=None, again=None, *, follow: bool = True):
        data = {}
        if email:
            data["email_choice"] = self.email_position(email)
        if new is not None:
            data["new_email"] = new
            data["new_email_confirmation"] = new if again is None else again
        return self.post("products", data, follow=follow)

    def enter_code(self, code):
        return self.post("code", {"code": code})

    def resend(self, *, follow: bool = True):
        return self.post("code", {"code": ""}, resend="1", follow=follow)


def captcha_answer_in_browser(page) -> str:
    """The answer to the challenge on the page, read from the captcha store by its key."""
    from captcha.models import CaptchaStore

    hashkey = page.locator("input[name='submit-captcha_0']").input_value()
    return CaptchaStore.objects.get(hashkey=hashkey).response


def identify_agent_in_browser(page, agent) -> None:
    """In Chromium, step 1 of the agent request typed as a person would, up to step 2."""
    page.goto(AGENT_WIZARD_URL)
    page.get_by_label("Clave de agente").fill(agent.clave_agente)
    page.get_by_label("Clave Promotoría").fill(agent.promotoria.clave)
    page.get_by_label("RFC").fill(agent.rfc)
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Paso 2 de 5").wait_for()


def click_approve_in_admin(page, agent, *, username="revisora", password="clave-revisora-2026"):
    """In Chromium, as the reviewer: sign in to /admin/, open the agent's request from the
    queue and press "Aprobar", finding each thing by its label or text."""
    page.goto("/admin/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Identificarse").click()
    page.get_by_role("link", name="Solicitudes de acceso").first.click()
    page.get_by_role("link", name=agent.clave_agente).click()
    page.get_by_role("button", name="Aprobar").click()
