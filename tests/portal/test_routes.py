"""Routes an attacker found open (issue 20, "Routes"): simple-captcha's own audio and image
views are reachable by no spelling of their paths, only our limited ones; captcha images are
limited per address like refreshes; links in emails name PORTAL_BASE_URL, never the Host a
request came in by."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from captcha.conf import settings as captcha_settings
from captcha.models import CaptchaStore
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from portal import ratelimit, views
from portal.links import email_base_url
from tests.helpers import RequestWizard

AUDIO_LIMIT = 4
IMAGE_LIMIT = 4


def audio_spellings(key: str) -> dict[str, bool]:
    """Paths under /captcha/audio/ for one challenge, and whether each names its WAV file (the
    test client decodes %2E as a server does: the same path)."""
    return {
        f"/captcha/audio/{key}.wav": True,
        f"/captcha/audio/{key}%2Ewav": True,
        f"/captcha/audio/{key}%2ewav": True,
        f"/captcha/audio/{key}.wav?download=1": True,
        f"/captcha/audio/{key}xwav": False,  # simple-captcha's unescaped dot served this
        f"/captcha/audio/{key}_wav": False,  # ...and this
        f"/captcha/audio/{key}.WAV": False,
        f"/captcha/audio/{key}.wav/": False,
        f"/captcha/audio/{key}.wav%0A": False,
        f"/captcha/audio/{key}.wav.wav": False,
        f"/captcha/audio/x/../{key}.wav": False,
        f"/captcha/audio/{key}": False,
        "/captcha/audio/": False,
    }


def image_spellings(key: str) -> dict[str, bool]:
    """Paths under /captcha/image/, and whether each names the challenge's image (the @2
    variant is off: CAPTCHA_2X_IMAGE)."""
    return {
        f"/captcha/image/{key}/": True,
        f"/captcha/image/{key}%2F": True,
        f"/captcha/image/{key}@2/": False,
        f"/captcha/image/{key}": False,
        f"/captcha/image/{key}//": False,
        f"/captcha/image/{key}/x": False,
        f"/captcha/image/{key}.png": False,
        f"/captcha/image/{key}@3/": False,
    }


@pytest.fixture
def flite_runs(tmp_path, settings, monkeypatch) -> Path:
    """A stand-in for flite (installed or not) that writes a short WAV file and notes each
    run in the returned file: what every spoken challenge costs, counted."""
    runs = tmp_path / "runs"
    runs.write_text("")
    program = tmp_path / "flite"
    program.write_text(
        f"#!{sys.executable}\n"
        "import sys, wave\n"
        "path = sys.argv[sys.argv.index('-o') + 1]\n"
        f"open({str(runs)!r}, 'a').write('run\\n')\n"
        "with wave.open(path, 'wb') as out:\n"
        "    out.setnchannels(1); out.setsampwidth(2); out.setframerate(8000)\n"
        "    out.writeframes(bytes(1600))\n"
    )
    program.chmod(0o755)
    settings.CAPTCHA_FLITE_PATH = str(program)
    # simple-captcha read the setting once, at import.
    monkeypatch.setattr(captcha_settings, "CAPTCHA_FLITE_PATH", str(program))
    monkeypatch.setitem(
        ratelimit.RATE_LIMITS, "captcha_audio", (ratelimit.Rule("ip", AUDIO_LIMIT, 3600),)
    )
    return runs


def is_audio(response) -> bool:
    if response.status_code != 200 or response.get("Content-Type") != "audio/wav":
        return False
    return b"".join(response.streaming_content)[:4] == b"RIFF"


def is_image(response) -> bool:
    return response.status_code == 200 and response.content[:8] == b"\x89PNG\r\n\x1a\n"


def views_of(patterns) -> list:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += views_of(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            found.append(pattern.callback)
    return found


# --- Captcha audio ---------------------------------------------------------------------------


def test_no_route_leads_to_simple_captchas_own_views():
    library = [v for v in views_of(get_resolver().url_patterns) if v.__module__ == "captcha.views"]
    assert library == []
    key = "a" * 40
    for path in [*audio_spellings(key), *image_spellings(key)]:
        assert resolve(path.split("?")[0]).func in (views.captcha_audio, views.captcha_image), path


@pytest.mark.django_db
def test_every_audio_spelling_reaches_only_the_limited_view_and_none_past_the_limit(
    client, flite_runs
):
    key = CaptchaStore.generate_key()
    spellings = list(audio_spellings(key).items())
    # Under the limit: the WAV file for the path that names it; not found for any other, and
    # flite run only for the former.
    for path, names_the_file in spellings[:AUDIO_LIMIT]:
        assert names_the_file
        assert is_audio(client.get(path)), path
    assert flite_runs.read_text().count("run") == AUDIO_LIMIT
    # Every other spelling, and the right one too, now answers 429: no audio, no flite run.
    for path, _ in spellings:
        response = client.get(path)
        assert response.status_code == 429, path
        assert response["Content-Type"].startswith("text/plain")
    assert flite_runs.read_text().count("run") == AUDIO_LIMIT
    # Another address still hears it.
    assert is_audio(client.get(spellings[0][0], REMOTE_ADDR="10.9.8.7"))


@pytest.mark.django_db
def test_a_spelling_that_names_no_file_counts_against_the_limit_and_finds_nothing(
    client, flite_runs
):
    key = CaptchaStore.generate_key()
    wrong = [path for path, names_the_file in audio_spellings(key).items() if not names_the_file]
    for path in wrong[:AUDIO_LIMIT]:
        assert client.get(path).status_code == 404, path
    assert flite_runs.read_text() == ""
    assert client.get(f"/captcha/audio/{key}.wav").status_code == 429


# --- Captcha images --------------------------------------------------------------------------


@pytest.mark.django_db
def test_captcha_images_are_limited_per_address_for_every_spelling(client, monkeypatch):
    monkeypatch.setitem(
        ratelimit.RATE_LIMITS, "captcha_image", (ratelimit.Rule("ip", IMAGE_LIMIT, 3600),)
    )
    key = CaptchaStore.generate_key()
    spellings = image_spellings(key)
    shown = [path for path, names_it in spellings.items() if names_it]
    others = [path for path, names_it in spellings.items() if not names_it]
    assert all(is_image(client.get(path)) for path in shown)
    assert [client.get(path).status_code for path in others[: IMAGE_LIMIT - len(shown)]] == [
        404
    ] * (IMAGE_LIMIT - len(shown))
    for path in spellings:
        refused = client.get(path)
        assert refused.status_code == 429, path
        assert not is_image(refused)
    assert is_image(client.get(shown[0], REMOTE_ADDR="10.9.8.7"))


def test_the_image_limit_stops_no_one_the_other_captcha_limits_let_through():
    """Every refresh and every wrong answer one address is allowed, plus the first image,
    each loaded twice (a reload, a back button), stays within the image limit."""
    allowed_images = (
        1 + ratelimit.rule("captcha_refresh", "ip").limit + ratelimit.rule("captcha", "ip").limit
    )
    assert 2 * allowed_images <= ratelimit.rule("captcha_image", "ip").limit
    assert ratelimit.rule("captcha_image", "ip").window == ratelimit.HOUR


@pytest.mark.django_db
def test_the_agent_step_shows_a_limited_image_and_the_refresh_names_it(client, make_agent):
    page = RequestWizard(client).walk_to_submit(make_agent())
    image = re.search(r'<img src="(/captcha/image/\w+/)"', page.text).group(1)
    assert resolve(image).func is views.captcha_image
    assert is_image(client.get(image))
    refreshed = client.get("/captcha/refresh/", headers={"x-requested-with": "XMLHttpRequest"})
    assert resolve(refreshed.json()["image_url"]).func is views.captcha_image


# --- Links in emails -------------------------------------------------------------------------

PORTAL = "https://alta.example.com"
ATTACKER_HOST = "alta.example.com:4444"  # an allowed host, with a port of the sender's choice


@pytest.fixture
def base_url(settings):
    settings.PORTAL_BASE_URL = PORTAL
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "alta.example.com"]


def links_in(message) -> list[str]:
    text = message.body + "".join(body for body, _ in message.alternatives)
    return re.findall(r"https?://[^\s\"'<>]+", text)


@pytest.mark.django_db
@pytest.mark.parametrize("portal", ["agentes", "clientes"])
def test_a_reset_asked_through_another_host_links_to_the_portal_address(
    base_url, make_portal_user, django_capture_on_commit_callbacks, portal
):
    user = make_portal_user("agents" if portal == "agentes" else "clients", password="x")
    client = Client(HTTP_HOST=ATTACKER_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/{portal}/contrasena/olvide/", {"email": user.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    links = links_in(message)
    assert any(f"/{portal}/contrasena/" in link for link in links), message.body
    assert all(link.startswith(f"{PORTAL}/") for link in links), links
    assert "4444" not in message.body and "4444" not in message.alternatives[0][0]


@pytest.mark.django_db
def test_an_invitation_sent_through_another_host_links_to_the_portal_address(
    base_url, make_person, django_capture_on_commit_callbacks
):
    from portal.models import User

    person = make_person(emails=["invitada@ejemplo.test"])
    client = Client(HTTP_HOST=ATTACKER_HOST)
    client.force_login(User.objects.create_superuser("jefa", "jefa@back.test", "x"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/registration/person/",
            {"action": "send_invitation", "_selected_action": [person.pk]},
        )
    (message,) = mail.outbox
    links = links_in(message)
    assert f"{PORTAL}/clientes/ingresar/" in links, message.body
    assert all(link.startswith(f"{PORTAL}/") for link in links), links


def test_the_embedded_mode_without_a_base_url_links_to_the_address_it_is_browsed_at(settings):
    settings.PORTAL_BASE_URL = ""
    settings.DEBUG = True
    request = RequestFactory().get("/", HTTP_HOST="localhost:8000")
    assert email_base_url(request) == "http://localhost:8000/"
    settings.PORTAL_BASE_URL = "http://localhost:8000"
    assert email_base_url(RequestFactory().get("/", HTTP_HOST="127.0.0.1:9")) == (
        "http://localhost:8000/"
    )


def test_production_never_falls_back_to_the_requests_host(settings):
    settings.PORTAL_BASE_URL = ""
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="PORTAL_BASE_URL"):
        email_base_url(RequestFactory().get("/", HTTP_HOST="testserver"))
