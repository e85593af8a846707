"""No process-local state (issue 5 §4): two web processes behind a load balancer without
sticky sessions. Each step of the agent request goes to the other process."""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from tests.helpers import AGENT_WIZARD_PREFIX, ROOT, current_database_url
from tests.services import free_port, wait_for_port


class Browserless:
    """A cookie-keeping HTTP client that posts forms as a browser would."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()  # cookies are per host, not per port
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> str:
        with self.opener.open(url, timeout=30) as response:
            self.last_path = urllib.parse.urlsplit(response.geturl()).path
            return response.read().decode()

    def post_current(self, server: str, fields: dict, page: str) -> str:
        """Submit to `server` the path the last page was served from."""
        return self.post(f"{server}{self.last_path}", fields, page)

    def post(self, url: str, fields: dict, page: str) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}, doseq=True)
        request = urllib.request.Request(url, data=body.encode(), headers={"Referer": url})
        with self.opener.open(request, timeout=30) as response:
            self.last_path = urllib.parse.urlsplit(response.geturl()).path
            return response.read().decode()


@pytest.fixture
def two_web_processes(transactional_db, smtp_sink):
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_sink.port),
    }
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "portal.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        )
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        wait_for_port(int(url.rsplit(":", 1)[1]))
    yield urls
    for process in processes:
        process.terminate()
        process.wait(15)


def test_agent_request_completes_alternating_between_two_processes(two_web_processes, make_agent):
    from captcha.models import CaptchaStore

    from agents.models import AccessRequest, Role

    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent()
    a, b = two_web_processes
    user = Browserless()
    page = user.get(f"{a}/agentes/solicitud/")

    def post(server: str, step: str, fields: dict) -> str:
        data = {f"{AGENT_WIZARD_PREFIX}-current_step": step}
        data.update({f"{step}-{k}": v for k, v in fields.items()})
        return user.post(f"{server}/agentes/solicitud/", data, page)

    identity = {
        "clave_agente": agent.clave_agente,
        "clave_promotoria": agent.promotoria.clave,
        "rfc": agent.rfc,
    }
    page = post(b, "identify", identity)
    assert "Paso 2 de 5" in page
    channels = [str(pk) for pk in agent.channels.values_list("pk", flat=True)]
    page = post(a, "channels", {"channels": channels})
    assert "Paso 3 de 5" in page
    page = post(b, "role", {"role": str(role.pk)})
    assert "Paso 4 de 5" in page
    hashkey = html.unescape(re.search(r'name="submit-captcha_0" value="([^"]+)"', page).group(1))
    answer = CaptchaStore.objects.get(hashkey=hashkey).response
    page = post(a, "submit", {"email": "x@ejemplo.test", "email_confirmation": "x@ejemplo.test",
                             "captcha_0": hashkey, "captcha_1": answer})  # fmt: skip
    assert "Solicitud enviada" in page
    assert AccessRequest.objects.filter(agent=agent, email="x@ejemplo.test").count() == 1


def test_client_registration_completes_alternating_between_two_processes(
    two_web_processes, start_worker, smtp_sink
):
    from datetime import date

    from registration.models import Person, PersonEmail, Policy
    from tests.helpers import valid_rfc

    start_worker()  # codes and links go out through Redis, a worker and SMTP
    person = Person.objects.create(
        rfc=valid_rfc("ROLM", "850312"), nombre="MARÍA", apellido_paterno="RODRÍGUEZ",
        apellido_materno="LÓPEZ", fecha_nacimiento=date(1985, 3, 12),
    )  # fmt: skip
    Policy.objects.create(numero_poliza="81000001", producto="Vida Individual",
                          estatus="Vigente", person=person)  # fmt: skip
    PersonEmail.objects.create(person=person, email="maria@ejemplo.test")
    a, b = two_web_processes
    user = Browserless()
    wizard_prefix = "client_registration_wizard"

    def post(server: str, path: str, fields: dict, page: str, step: str = "") -> str:
        data = dict(fields)
        if step:
            data = {f"{step}-{k}": v for k, v in fields.items()}
            data[f"{wizard_prefix}-current_step"] = step
        return user.post(f"{server}{path}", data, page)

    def newest_mail_text() -> str:
        message = smtp_sink.messages[-1]
        part = message.get_payload(0) if message.is_multipart() else message
        return part.get_payload(decode=True).decode()

    page = user.get(f"{a}/clientes/registro/")
    page = post(b, "/clientes/registro/", {"numero_poliza": "81000001", "nombre": "maria",
                "apellido_paterno": "rodriguez", "fecha_nacimiento": "12/03/1985"},
                page, step="identify")  # fmt: skip
    assert "Vida Individual" in page
    page = post(a, "/clientes/registro/", {"email_choice": "0"}, page,
                step="products")  # fmt: skip
    smtp_sink.wait_for(1)
    code = re.search(r"\b(\d{6})\b", newest_mail_text()).group(1)
    page = post(b, "/clientes/registro/", {"code": code}, page, step="code")
    assert "ACEPTAR" in page
    smtp_sink.wait_for(2)
    link = re.search(r"/clientes/contrasena/\S+/\S+/", newest_mail_text()).group(0)
    page = user.get(f"{a}{link}")
    password = "Nube-Roja-Marzo-1985"
    page = user.post_current(b, {"new_password1": password, "new_password2": password}, page)
    assert "¡Éxito!" in page
    page = user.get(f"{a}/clientes/ingresar/")
    page = post(b, "/clientes/ingresar/", {"username": "maria@ejemplo.test",
                                           "password": password}, page)  # fmt: skip
    assert "Mis productos" in user.get(f"{a}/clientes/") and "81000001" in page
