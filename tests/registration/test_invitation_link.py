"""The invitation's link carries its key (issue 23): opening it fills in and locks the key
field, so the person types only their policy number; a link altered or expired says so and
leaves the field to type; the typed path works as before."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications.models import OutboxEmail
from registration import services
from registration.forms import MSG_BAD_INVITATION_LINK
from registration.models import Person, RegistrationKey
from tests.a11y import axe_violations, format_violations
from tests.helpers import KEY_WIZARD_URL, last_code

LINK = re.compile(r"https?://[^\s\"<]+/clientes/registro/clave/enlace/([^/\s\"<]+)/")
PREFIX = "key_registration_wizard"


def invite(person, capture, base_url="http://testserver/"):
    with capture(execute=True):
        services.invite(person, by=None, base_url=base_url)
    return mail.outbox[-1]


def link_of(email) -> str:
    return LINK.search(email.body).group(0)


def policy_of(person) -> str:
    return person.policies.first().numero_poliza


def post_identify(client, data):
    return client.post(
        KEY_WIZARD_URL,
        {f"{PREFIX}-current_step": "identify", **{f"identify-{k}": v for k, v in data.items()}},
        follow=True,
    )


def test_the_email_links_to_the_key_page_with_the_key_and_stores_no_token(
    make_person, django_capture_on_commit_callbacks
):
    email = invite(make_person(), django_capture_on_commit_callbacks)
    html = email.alternatives[0][0]
    link = link_of(email)
    assert link in html.replace("&amp;", "&")
    assert "http://testserver/clientes/registro/clave/" in email.body  # another device
    token = LINK.search(link).group(1)
    row = OutboxEmail.objects.get(template="invitacion_registro")
    assert token not in str(row.context) and token not in row.sealed_secrets
    assert "link" not in row.context and "key" not in row.context


def test_following_the_link_fills_in_and_locks_the_key(
    client, make_person, django_capture_on_commit_callbacks
):
    email = invite(make_person(), django_capture_on_commit_callbacks)
    response = client.get(link_of(email))
    # 303 to the clean key page: the token leaves the address bar and goes in no Referer.
    assert response.status_code == 303 and response["Location"] == KEY_WIZARD_URL
    page = client.get(KEY_WIZARD_URL)
    field = re.search(r"<input[^>]*name=\"identify-clave_registro\"[^>]*>", page.text).group(0)
    assert "readonly" in field
    shown = re.search(r'value="([^"]*)"', field).group(1)
    key = re.search(r"clave de registro es: (\S+)", email.body).group(1)
    assert shown.startswith(key[:4]) and key not in page.text
    assert "Usar otra clave" in page.text
    # The session holds no key, only its HMAC.
    assert key.replace("-", "") not in str(dict(client.session))


def test_registration_completes_typing_only_the_policy_number(
    client, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    client.get(link_of(invite(person, django_capture_on_commit_callbacks)))
    response = post_identify(client, {"numero_poliza": policy_of(person)})
    assert "Paso 2 de 4" in response.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{KEY_WIZARD_URL}products/",
            {f"{PREFIX}-current_step": "products", "products-email_choice": "0"},
            follow=True,
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{KEY_WIZARD_URL}code/",
            {
                f"{PREFIX}-current_step": "code",
                "code-code": last_code("maria.rodriguez@ejemplo.test"),
            },
            follow=True,
        )
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    assert Person.objects.get(pk=person.pk).user is not None
    assert RegistrationKey.objects.get().used_at is not None


def test_a_posted_key_cannot_replace_the_linked_one(
    client, make_person, django_capture_on_commit_callbacks
):
    invited, other = make_person(), make_person(emails=["otra@ejemplo.test"])
    invite(other, django_capture_on_commit_callbacks)
    other_key = re.search(r"clave de registro es: (\S+)", mail.outbox[-1].body).group(1)
    client.get(link_of(invite(invited, django_capture_on_commit_callbacks)))
    # The other person's key and policy posted in the locked field: the link's key is used.
    response = post_identify(
        client, {"clave_registro": other_key, "numero_poliza": policy_of(other)}
    )
    assert "Paso 1 de 4" in response.text and "no coinciden" in response.text
    assert other_key not in response.text


@pytest.mark.parametrize("spoil", ["tampered", "expired", "used"])
def test_a_bad_link_leads_to_the_key_page_saying_so_with_the_field_empty(
    client, make_person, django_capture_on_commit_callbacks, spoil
):
    person = make_person()
    link = link_of(invite(person, django_capture_on_commit_callbacks))
    if spoil == "tampered":
        link = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
        response = client.get(link, follow=True)
    elif spoil == "expired":
        with time_machine.travel(timezone.now() + timedelta(days=31)):
            response = client.get(link, follow=True)
    else:
        RegistrationKey.objects.update(used_at=timezone.now())
        response = client.get(link, follow=True)
    assert response.redirect_chain == [(KEY_WIZARD_URL, 303)]
    assert str(MSG_BAD_INVITATION_LINK) in response.text
    field = re.search(r"<input[^>]*name=\"identify-clave_registro\"[^>]*>", response.text).group(0)
    assert "readonly" not in field and "value=" not in field


def test_other_key_unlocks_the_field_and_the_typed_path_still_works(
    client, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    email = invite(person, django_capture_on_commit_callbacks)
    key = re.search(r"clave de registro es: (\S+)", email.body).group(1)
    client.get(link_of(email))
    response = client.post(
        KEY_WIZARD_URL,
        {f"{PREFIX}-current_step": "identify", "other_key": "1"},
        follow=True,
    )
    field = re.search(r"<input[^>]*name=\"identify-clave_registro\"[^>]*>", response.text).group(0)
    assert "readonly" not in field and "Usar otra clave" not in response.text
    response = post_identify(client, {"clave_registro": key, "numero_poliza": policy_of(person)})
    assert "Paso 2 de 4" in response.text


# --- in Chromium -----------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_link_in_chromium_locks_the_key_at_360_px(open_page, make_person, live_server):
    person = make_person()
    services.invite(person, by=None, base_url=live_server.url + "/")
    deadline = time.monotonic() + 15
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    page = open_page(viewport={"width": 360, "height": 740})
    page.goto(link_of(mail.outbox[-1]))
    assert page.url == live_server.url + KEY_WIZARD_URL
    key_field = page.get_by_label("Clave de registro")
    assert key_field.get_attribute("readonly") is not None
    assert not key_field.is_editable()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    page.get_by_label("Número de póliza").fill(policy_of(person))
    page.get_by_role("button", name="SIGUIENTE").click()
    page.get_by_text("Paso 2 de 4").wait_for()
