"""/dev/correo/: the embedded mode's inbox (DEBUG only)."""

import pytest
from django.core.mail import EmailMultiAlternatives

from notifications.backends import DevInboxBackend


@pytest.fixture
def inbox_dir(settings, tmp_path):
    settings.DEV_INBOX_DIR = tmp_path / "correo"
    return settings.DEV_INBOX_DIR


def send(subject: str, body: str, html: str = "") -> None:
    message = EmailMultiAlternatives(subject, body, "alta@ejemplo.test", ["ana@ejemplo.test"])
    if html:
        message.attach_alternative(html, "text/html")
    DevInboxBackend().send_messages([message])


def test_inbox_lists_every_email_newest_first_with_clickable_links(client, settings, inbox_dir):
    settings.DEBUG = True
    send("Primero", "uno")
    send("Segundo", "dos", '<p>Pulsa <a href="http://testserver/clientes/">aquí</a></p>')
    page = client.get("/dev/correo/")
    assert page.status_code == 200
    assert page.text.index("Segundo") < page.text.index("Primero")
    link = sorted(inbox_dir.glob("*.eml"))[-1].stem
    message = client.get(f"/dev/correo/{link}/")
    assert message.status_code == 200
    assert 'href="http://testserver/clientes/"' in message.text


def test_inbox_is_not_there_when_debug_is_off(client, settings, inbox_dir):
    settings.DEBUG = False
    send("Secreto", "nada")
    assert client.get("/dev/correo/").status_code == 404
    stem = next(inbox_dir.glob("*.eml")).stem
    assert client.get(f"/dev/correo/{stem}/").status_code == 404


def test_inbox_refuses_paths_outside_its_folder(client, settings, inbox_dir):
    settings.DEBUG = True
    assert client.get("/dev/correo/..%2F..%2Fsecret-key/").status_code == 404
    assert client.get("/dev/correo/no-existe/").status_code == 404
