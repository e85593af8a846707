"""Wrong captcha answers at "Envío de solicitud" are limited per session and per address
(RATE_LIMITS["captcha"]); past the limit the step refuses even a right answer, whatever
/captcha/refresh/ handed out, until the window ends (issue 10)."""

import json
import time

import pytest
from captcha.models import CaptchaStore
from django.test import Client

from agents.models import AccessRequest
from portal import ratelimit
from tests.helpers import RequestWizard

pytestmark = pytest.mark.django_db

LIMITED = "Demasiados intentos con el código de la imagen. Intenta de nuevo más tarde."
WRONG = "El código introducido no coincide con el mostrado."
TYPED = "xsoto@ejemplo.test"


def answer_wrong(wizard, page, times: int):
    """`times` wrong answers, each to the challenge the previous page showed."""
    for _ in range(times):
        page = wizard.send(page, email=TYPED, answer="ZZZZZ")
        assert page.status_code == 200
    return page


def refreshed_challenge(client) -> tuple[str, str]:
    """A new challenge from /captcha/refresh/, as the page's script asks for it."""
    response = client.get("/captcha/refresh/", headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 200
    key = json.loads(response.content)["key"]
    return key, CaptchaStore.objects.get(hashkey=key).response


def send_with(wizard, hashkey: str, answer: str):
    data = {"email": TYPED, "email_confirmation": TYPED, "captcha_0": hashkey, "captcha_1": answer}
    return wizard.post("submit", data)


def session_limit() -> int:
    return ratelimit.rule("captcha", "session").limit


def test_a_right_answer_just_under_the_limit_passes(wizard, make_agent):
    # Also proves each POST counts once: counted twice (formtools re-validates), the
    # limit would be reached halfway and the right answer refused.
    page = wizard.walk_to_submit(make_agent())
    page = answer_wrong(wizard, page, session_limit() - 1)
    assert WRONG in page.text and LIMITED not in page.text
    response = wizard.send(page, email=TYPED)
    assert response.redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302)
    assert AccessRequest.objects.count() == 1


def test_past_the_session_limit_a_right_answer_is_refused_whatever_refresh_gave(wizard, make_agent):
    page = wizard.walk_to_submit(make_agent())
    page = answer_wrong(wizard, page, session_limit())
    assert LIMITED in page.text

    # The right answer to the challenge on the page: refused, the typed emails kept.
    refused = wizard.send(page, email=TYPED)
    assert refused.status_code == 200
    assert LIMITED in refused.text and WRONG not in refused.text
    assert f'value="{TYPED}"' in refused.text
    assert "Se detectaron los siguientes errores:" in refused.text

    # A fresh challenge from /captcha/refresh/ is not a fresh allowance.
    hashkey, right = refreshed_challenge(wizard.client)
    refused = send_with(wizard, hashkey, right)
    assert refused.status_code == 200 and LIMITED in refused.text
    assert not AccessRequest.objects.exists()


def test_past_the_address_limit_another_session_is_refused(make_agent):
    agent = make_agent()
    per_session, per_ip = session_limit(), ratelimit.rule("captcha", "ip").limit
    for _ in range(per_ip // per_session):  # fresh sessions, each under its own limit
        wizard = RequestWizard(Client())
        answer_wrong(wizard, wizard.walk_to_submit(agent), per_session)

    newcomer = RequestWizard(Client())
    page = newcomer.walk_to_submit(agent)
    refused = newcomer.send(page, email=TYPED)
    assert refused.status_code == 200 and LIMITED in refused.text
    assert not AccessRequest.objects.exists()

    # Another address is not held back by this one's wrong answers.
    elsewhere = RequestWizard(Client(REMOTE_ADDR="203.0.113.9"))
    page = elsewhere.walk_to_submit(agent)
    assert elsewhere.send(page, email=TYPED).redirect_chain[-1] == (
        "/agentes/solicitud/enviada/",
        302,
    )


def test_the_refusal_lasts_until_the_window_ends(wizard, make_agent, monkeypatch):
    monkeypatch.setitem(
        ratelimit.RATE_LIMITS,
        "captcha",
        (ratelimit.Rule("session", 2, 2), ratelimit.Rule("ip", 20, 2)),
    )
    page = wizard.walk_to_submit(make_agent())
    page = answer_wrong(wizard, page, 2)
    refused = wizard.send(page, email=TYPED)
    assert LIMITED in refused.text
    time.sleep(2.2)
    assert wizard.send(refused, email=TYPED).redirect_chain[-1] == (
        "/agentes/solicitud/enviada/",
        302,
    )
