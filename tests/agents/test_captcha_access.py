"""The captcha of "Envío de solicitud" lets people in (issue 12, item 2): a large image with
a Spanish alt text, "Otra imagen" by keyboard with a spoken confirmation, the challenge as
audio where flite is installed, and the Call Center for whoever can do neither."""

from __future__ import annotations

import re
import shutil

import pytest
from captcha.models import CaptchaStore
from django.conf import settings
from playwright.sync_api import expect

from agents.models import AccessRequest, Role
from portal import ratelimit
from portal.captcha import LEGIBLE_CHARACTERS
from tests.helpers import identify_agent_in_browser

ALT = "Imagen con los caracteres que debes escribir"
REFRESHED = "Se muestra una imagen nueva. Escribe sus caracteres."
REFUSED = (
    "Pediste demasiadas imágenes nuevas. Escribe los caracteres de esta imagen o inténtalo "
    "más tarde."
)
SENT = "/agentes/solicitud/enviada/"
TYPED = "xsoto@ejemplo.test"
needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")


def call_center_line(audio: bool) -> str:
    cannot = "ver la imagen ni escuchar los caracteres" if audio else "ver la imagen"
    return (
        f"¿No puedes {cannot}? Comunícate a nuestro servicio de Call Center "
        f"{settings.CALL_CENTER_PHONE}."
    )


def walk_to_submit_in_browser(page, agent) -> None:
    """Steps 1 to 3 as a person clicks them, up to "Envío de solicitud"."""
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    identify_agent_in_browser(page, agent)  # the agent's only channel comes ticked
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Rol Deseado").select_option(label="AGENTE")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Paso 4 de 5").wait_for()


def shown_key(page) -> str:
    return page.locator("input[name='submit-captcha_0']").input_value()


def answer_of(hashkey: str) -> str:
    return CaptchaStore.objects.get(hashkey=hashkey).response


def audio_link(text: str) -> str | None:
    found = re.search(r'<a class="captcha-audio" href="([^"]+)">Escuchar los caracteres</a>', text)
    return found.group(1) if found else None


def loaded_size(image) -> list[int]:
    """The image file's own size once the browser has it: read before it loads (a busy machine)
    it is [0, 0]; decode() waits for the load, and fails the test if the file is broken."""
    return image.evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])")


# --- The image -------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_the_image_is_large_says_what_it_is_and_the_call_center_is_shown(
    open_page, make_agent, width
):
    page = open_page(viewport={"width": width, "height": 800})
    walk_to_submit_in_browser(page, make_agent())

    image = page.get_by_role("img", name=ALT)
    expect(image).to_be_visible()
    assert image.get_attribute("alt") == ALT  # Spanish, never "captcha", never the answer
    assert answer_of(shown_key(page)) not in ALT.lower()
    box = image.bounding_box()
    assert box is not None and box["width"] >= 200 and box["height"] >= 66, box
    natural = loaded_size(image)
    assert natural[0] >= 200 and natural[1] >= 70, natural  # the file itself, loaded
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    audio = bool(settings.CAPTCHA_FLITE_PATH)
    expect(page.get_by_text(call_center_line(audio))).to_be_visible()


@pytest.mark.django_db
def test_challenges_have_no_look_alike_characters_and_any_case_is_accepted(wizard, make_agent):
    challenges = "".join(CaptchaStore.objects.get(hashkey=CaptchaStore.generate_key()).challenge
                         for _ in range(200))  # fmt: skip
    assert not set(challenges) & set("0OQD1ILJ2Z5S6G8B")
    assert set(challenges) <= set(LEGIBLE_CHARACTERS)

    page = wizard.walk_to_submit(make_agent())
    hashkey, answer = wizard.captcha_answer(page)
    assert answer == answer.lower()
    response = wizard.send(page, email=TYPED, answer=answer.upper())
    assert response.redirect_chain[-1] == (SENT, 302)


# --- "Otra imagen" ---------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_otra_imagen_by_keyboard_shows_and_announces_a_new_challenge_that_is_accepted(
    page, make_agent
):
    walk_to_submit_in_browser(page, make_agent())
    page.get_by_label(re.compile(r"^Correo electrónico")).fill(TYPED)
    page.get_by_label("Confirmar correo electrónico").fill(TYPED)
    image = page.get_by_role("img", name=ALT)
    first_key, first_src = shown_key(page), image.get_attribute("src")
    page.get_by_label("Código de verificación").fill("algo")

    page.get_by_label("Confirmar correo electrónico").focus()
    page.keyboard.press("Tab")
    refresh = page.get_by_role("button", name="Otra imagen")
    expect(refresh).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text(REFRESHED)
    new_key = shown_key(page)
    assert new_key != first_key and image.get_attribute("src") != first_src
    assert new_key in image.get_attribute("src")
    assert loaded_size(image)[0] >= 200
    assert page.get_by_label("Código de verificación").input_value() == ""
    expect(refresh).to_be_focused()  # pressing Enter again gives yet another one
    if settings.CAPTCHA_FLITE_PATH:
        link = page.get_by_role("link", name="Escuchar los caracteres")
        assert link.get_attribute("href") == f"/captcha/audio/{new_key}.wav"

    page.get_by_label("Código de verificación").fill(answer_of(new_key))
    page.get_by_role("button", name="Continuar").click()
    page.get_by_role("heading", name="Solicitud enviada").wait_for()
    assert AccessRequest.objects.get().email == TYPED


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_refresh_is_announced_and_keeps_the_image(page, make_agent, monkeypatch):
    monkeypatch.setitem(ratelimit.RATE_LIMITS, "captcha_refresh", (ratelimit.Rule("ip", 1, 60),))
    walk_to_submit_in_browser(page, make_agent())
    refresh = page.get_by_role("button", name="Otra imagen")
    refresh.press("Enter")
    expect(page.get_by_role("status")).to_have_text(REFRESHED)
    key = shown_key(page)
    page.get_by_label("Código de verificación").fill("ABC")

    refresh.press("Enter")  # the second in the window: 429
    expect(page.get_by_role("status")).to_have_text(REFUSED)
    assert shown_key(page) == key
    assert page.get_by_label("Código de verificación").input_value() == "ABC"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_there_is_no_dead_button_and_the_step_still_works(open_page, make_agent):
    page = open_page(java_script_enabled=False)
    walk_to_submit_in_browser(page, make_agent())
    expect(page.get_by_role("img", name=ALT)).to_be_visible()
    assert page.get_by_role("button", name="Otra imagen").count() == 0
    page.get_by_label(re.compile(r"^Correo electrónico")).fill(TYPED)
    page.get_by_label("Confirmar correo electrónico").fill(TYPED)
    page.get_by_label("Código de verificación").fill(answer_of(shown_key(page)))
    page.get_by_role("button", name="Continuar").click()
    page.get_by_role("heading", name="Solicitud enviada").wait_for()


# --- Audio -----------------------------------------------------------------------------------
@needs_flite
@pytest.mark.django_db
def test_the_audio_link_gives_the_challenge_as_a_wav_file(wizard, make_agent):
    page = wizard.walk_to_submit(make_agent())
    hashkey, _ = wizard.captcha_answer(page)
    assert call_center_line(audio=True) in re.sub(r"<[^>]+>", "", page.text)  # number: a tel: link
    url = audio_link(page.text)
    assert url == f"/captcha/audio/{hashkey}.wav"

    response = wizard.client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"RIFF" and body[8:12] == b"WAVE"
    assert len(body) > 16_000  # seconds of speech, not an empty file
    # Spoken only: nothing in the headers but the challenge's key.
    assert response["Content-Disposition"] == f'attachment; filename="{hashkey}.wav"'


@needs_flite
@pytest.mark.django_db
def test_the_audio_is_rate_limited_per_ip(client, monkeypatch):
    monkeypatch.setitem(ratelimit.RATE_LIMITS, "captcha_audio", (ratelimit.Rule("ip", 2, 60),))
    url = f"/captcha/audio/{CaptchaStore.generate_key()}.wav"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(url, REMOTE_ADDR="10.9.8.7").status_code == 200
    # The refresh's JSON names the audio of the new challenge, at the same limited URL.
    refreshed = client.get("/captcha/refresh/", headers={"x-requested-with": "XMLHttpRequest"})
    assert refreshed.json()["audio_url"] == f"/captcha/audio/{refreshed.json()['key']}.wav"
    assert client.get(refreshed.json()["audio_url"]).status_code == 429


@pytest.mark.django_db
def test_without_flite_there_is_no_audio_and_the_call_center_is_offered(
    settings, wizard, make_agent
):
    settings.CAPTCHA_FLITE_PATH = None
    page = wizard.walk_to_submit(make_agent())
    hashkey, _ = wizard.captcha_answer(page)
    assert "Escuchar los caracteres" not in page.text and audio_link(page.text) is None
    assert call_center_line(audio=False) in re.sub(r"<[^>]+>", "", page.text)  # number: a tel: link
    assert wizard.client.get(f"/captcha/audio/{hashkey}.wav").status_code == 404
