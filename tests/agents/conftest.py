"""Driving the agent request wizard (001 §3.3–3.6) with Django's test client."""

from __future__ import annotations

import re

import pytest

WIZARD_URL = "/agentes/solicitud/"
PREFIX = "access_request_wizard"


class RequestWizard:
    """Posts each step as a browser would: the management form plus the step's fields."""

    def __init__(self, client):
        self.client = client

    def start(self):
        return self.client.get(WIZARD_URL)

    def post(self, step: str, data: dict | None = None, **extra):
        payload = {f"{PREFIX}-current_step": step}
        payload.update({f"{step}-{name}": value for name, value in (data or {}).items()})
        payload.update(extra)
        return self.client.post(WIZARD_URL, payload)

    def identify(self, agent, **overrides):
        data = {
            "clave_agente": agent.clave_agente,
            "clave_promotoria": agent.promotoria.clave,
            "rfc": agent.rfc,
            **overrides,
        }
        return self.post("identificar", data)

    def choose_channels(self, agent, names=None):
        channels = agent.channels.all()
        if names is not None:
            channels = channels.filter(name__in=names)
        return self.post("canales", {"channels": [str(c.pk) for c in channels]})

    def choose_role(self, code="AGENTE"):
        from agents.models import Role

        return self.post("rol", {"role": str(Role.objects.get(code=code).pk)})

    @staticmethod
    def captcha_answer(response) -> tuple[str, str]:
        """The challenge shown on the page and its answer, read from the captcha store."""
        from captcha.models import CaptchaStore

        hashkey = re.search(r'name="envio-captcha_0" value="([0-9a-f]+)"', response.text).group(1)
        return hashkey, CaptchaStore.objects.get(hashkey=hashkey).response

    def send(self, response, email="xsoto@ejemplo.test", confirmation=None, answer=None):
        hashkey, right = self.captcha_answer(response)
        return self.post(
            "envio",
            {
                "email": email,
                "email_confirmation": email if confirmation is None else confirmation,
                "captcha_0": hashkey,
                "captcha_1": right if answer is None else answer,
            },
        )

    def walk_to_envio(self, agent):
        self.start()
        self.identify(agent)
        self.choose_channels(agent)
        return self.choose_role()


@pytest.fixture
def wizard(client):
    return RequestWizard(client)
