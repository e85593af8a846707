"""Factories and a test-client driver for the client registration wizard (000)."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from django.core import mail

from tests.conftest import valid_rfc

WIZARD_URL = "/clientes/registro/"
KEY_WIZARD_URL = "/clientes/registro/clave/"
_numbers = itertools.count(81000001)
_homoclaves = itertools.count(0)
HOMOCLAVE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ123456789"


def next_rfc(prefix="ROLM", birth="850312") -> str:
    n = next(_homoclaves)
    homoclave = (
        HOMOCLAVE_CHARS[n // len(HOMOCLAVE_CHARS) % len(HOMOCLAVE_CHARS)]
        + (HOMOCLAVE_CHARS[n % len(HOMOCLAVE_CHARS)])
    )
    return valid_rfc(prefix, birth, homoclave)


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


def last_code(to: str | None = None) -> str:
    """The 6-digit code in the newest email (to `to`) in Django's locmem outbox."""
    for message in reversed(mail.outbox):
        if to is None or to in message.to:
            found = re.search(r"\b(\d{6})\b", message.body)
            if found:
                return found.group(1)
    raise AssertionError("no code email")


def last_link(to: str | None = None) -> str:
    for message in reversed(mail.outbox):
        if to is None or to in message.to:
            found = re.search(r"https?://\S+/clientes/contrasena/\S+/", message.body)
            if found:
                return found.group(0)
    raise AssertionError("no link email")


class ClientWizard:
    """Posts each step as a browser would: the management form plus the step's fields."""

    def __init__(self, client, url=WIZARD_URL):
        self.client = client
        self.url = url
        self.prefix = (
            "key_registration_wizard" if url == KEY_WIZARD_URL else "client_registration_wizard"
        )

    def start(self):
        return self.client.get(self.url)

    def post(self, step: str, data: dict | None = None, **extra):
        payload = {f"{self.prefix}-current_step": step}
        payload.update({f"{step}-{name}": value for name, value in (data or {}).items()})
        payload.update(extra)
        return self.client.post(self.url, payload)

    def identify(self, person, **overrides):
        data = {
            "numero_poliza": person.policies.first().numero_poliza,
            "nombre": person.nombre,
            "apellido_paterno": person.apellido_paterno,
            "fecha_nacimiento": person.fecha_nacimiento.isoformat(),
            **overrides,
        }
        return self.post("identificacion", data)

    def identify_with_key(self, key, numero_poliza):
        return self.post("identificacion", {"clave_registro": key, "numero_poliza": numero_poliza})

    def choose_email(self, email=None, new=None, again=None):
        data = {}
        if email:
            data["email_choice"] = email
        if new is not None:
            data["new_email"] = new
            data["new_email_confirmation"] = new if again is None else again
        return self.post("productos", data)

    def enter_code(self, code):
        return self.post("token", {"code": code})

    def resend(self):
        return self.post("token", {"code": ""}, reenviar="1")

    def back(self, from_step, to_step):
        return self.post(from_step, {}, wizard_goto_step=to_step)


@pytest.fixture
def wizard(client):
    return ClientWizard(client)


@pytest.fixture
def key_wizard(client):
    return ClientWizard(client, KEY_WIZARD_URL)
