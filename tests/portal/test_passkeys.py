"""Issue 20, passkeys as a second factor (portal.accounts.passkeys, static/js/passkeys.js).

The JSON endpoints through the test client, with a passkey made in Python (a P-256 key and
"none" attestation, as an authenticator and a browser would send them): who may enrol and
when, what is kept, and what a failed or replayed assertion gets. Then Chromium with its
virtual authenticator (the DevTools WebAuthn domain): an agent enrols a passkey at the first
entry and signs in with it, by keyboard alone; a wrong or absent authenticator changes
nothing; the passkey is removed from "Administra tu Usuario"; a reviewer at /admin/ too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import struct

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from notifications.models import OutboxEmail
from portal import ratelimit
from portal.accounts import mfa
from tests.helpers import AGENT_PASSWORD, sign_in_in_browser

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"
AGENTS = "/agentes/segundo-factor/llave/"
REGISTER_BEGIN = AGENTS + "registro/inicio/"
REGISTER_COMPLETE = AGENTS + "registro/fin/"
VERIFY_BEGIN = AGENTS + "verificacion/inicio/"
VERIFY_COMPLETE = AGENTS + "verificacion/fin/"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftPasskey:
    """A passkey in Python: registration and assertion JSON as a browser sends them."""

    def __init__(self, origin: str = ORIGIN, rp_id: str = RP_ID) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.origin, self.rp_id = origin, rp_id

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        self.sign_count += 1
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + attested

    def registration(self, options: dict, *, cose_key: bytes | None = None) -> dict:
        """The answer to navigator.credentials.create(); `cose_key` replaces the public key."""
        attested = (
            bytes(16)  # AAGUID: none
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + (cose_key or self.cose_key())
        )
        auth_data = self._auth_data(0x01 | 0x04 | 0x40, attested)  # UP, UV, attested data
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "clientExtensionResults": {"credProps": {"rk": True}},
            "response": {
                "clientDataJSON": b64url(
                    self._client_data("webauthn.create", options["challenge"])
                ),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def assertion(self, options: dict, *, key: ec.EllipticCurvePrivateKey | None = None) -> dict:
        """Signed with this passkey's key, or with `key` (a wrong signature)."""
        client_data = self._client_data("webauthn.get", options["challenge"])
        auth_data = self._auth_data(0x01 | 0x04)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = (key or self.key).sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": None,
            },
        }

    def save_for(
        self, user, name: str = "Llave de prueba", public_key: bytes = b""
    ) -> WebAuthnCredential:
        """As if registered earlier (with `public_key` instead of its own, if given)."""
        return WebAuthnCredential.objects.create(
            user=user, name=name, credential_id=self.credential_id,
            public_key=public_key or self.cose_key(),
            sign_count=0, transports=["internal"], aaguid="00000000-0000-0000-0000-000000000000",
        )  # fmt: skip


def post(client: Client, url: str, body: object = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]
    settings.OTP_WEBAUTHN_RP_ID = RP_ID


@pytest.fixture
def agent(make_agent_user):
    return make_agent_user(password=AGENT_PASSWORD)


def signed_in(user) -> Client:
    """A session of `user` just past the password (its stage decided at sign-in)."""
    client = Client()
    client.force_login(user)
    return client


def stage(client: Client) -> str:
    return client.session[mfa.STAGE_SESSION_KEY]


# --- Enrolment -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_enrols_a_passkey_which_is_kept_named_and_verifies_the_session(agent, settings):
    settings.AGENT_MFA = "required"
    client = signed_in(agent)
    assert stage(client) == "enrol"
    options = post(client, REGISTER_BEGIN).json()
    assert options["rp"]["id"] == RP_ID
    passkey = SoftPasskey()

    answer = post(client, REGISTER_COMPLETE, passkey.registration(options))

    assert answer.status_code == 200, answer.content
    # A first factor: the recovery codes come next.
    assert answer.json() == {"redirect_url": "/agentes/segundo-factor/codigos/"}
    credential = WebAuthnCredential.objects.get(user=agent)
    assert bytes(credential.credential_id) == passkey.credential_id
    assert re.fullmatch(r"Llave de acceso agregada el \d+ de \w+ de \d{4}", credential.name)
    assert stage(client) == "done"
    assert client.get("/agentes/inicio/").status_code == 200  # the gate lets the session in
    notice = OutboxEmail.objects.get(to=agent.email, template="segundo_factor")
    assert notice.context["change"] == "passkey_added"


@pytest.mark.django_db
def test_a_second_passkey_of_the_same_day_gets_a_number(agent):
    client = signed_in(agent)  # optional, none yet: DONE, may add one
    for _ in range(2):
        options = post(client, REGISTER_BEGIN).json()
        assert (
            post(client, REGISTER_COMPLETE, SoftPasskey().registration(options)).status_code == 200
        )
    first, second = WebAuthnCredential.objects.filter(user=agent).order_by("pk")
    assert second.name == f"{first.name} (2)"


@pytest.mark.django_db
def test_a_passkey_cannot_be_enrolled_before_the_factor_already_enrolled_is_shown(agent):
    SoftPasskey().save_for(agent)
    client = signed_in(agent)
    assert stage(client) == "verify"

    # The account gate sends the session to the factor it has; the endpoint refuses as well.
    assert post(client, REGISTER_BEGIN).url == "/agentes/segundo-factor/"
    assert post(
        client, REGISTER_COMPLETE, SoftPasskey().registration({"challenge": "AAAA"})
    ).url == ("/agentes/segundo-factor/")
    assert WebAuthnCredential.objects.filter(user=agent).count() == 1


@pytest.mark.django_db
def test_enrolment_is_refused_to_anyone_but_this_portals_signed_in_users(
    agent, make_reviewer, make_portal_user
):
    assert post(Client(), REGISTER_BEGIN).json()["code"] == "not_authenticated"
    client_user = make_portal_user("clients", password=AGENT_PASSWORD)
    reviewer = make_reviewer("ana")
    for user in (client_user, reviewer):
        answer = post(signed_in(user), REGISTER_BEGIN)
        assert (answer.status_code, answer.json()["code"]) == (403, "wrong_account")
    # The clients' own endpoint serves a client; the agent is refused there.
    answer = post(signed_in(agent), "/clientes/segundo-factor/llave/registro/inicio/")
    assert (answer.status_code, answer.json()["code"]) == (403, "wrong_account")


@pytest.mark.django_db
def test_enrolment_is_not_offered_where_the_setting_is_off(agent, settings):
    settings.AGENT_MFA = "off"
    answer = post(signed_in(agent), REGISTER_BEGIN)
    assert (answer.status_code, answer.json()["code"]) == (403, "wrong_stage")


@pytest.mark.django_db
def test_a_registration_is_checked_once_against_its_own_challenge(agent):
    client = signed_in(agent)
    passkey = SoftPasskey()
    # Without a begin: nothing to check against.
    assert (
        post(client, REGISTER_COMPLETE, passkey.registration({"challenge": "AAAA"})).json()["code"]
        == "invalid_state"
    )
    # Signed for another challenge than the session's.
    post(client, REGISTER_BEGIN)
    forged = passkey.registration({"challenge": b64url(os.urandom(32))})
    answer = post(client, REGISTER_COMPLETE, forged)
    assert answer.status_code == 422
    # The right one, then the same answer again: the challenge was used up.
    options = post(client, REGISTER_BEGIN).json()
    good = SoftPasskey().registration(options)
    assert post(client, REGISTER_COMPLETE, good).status_code == 200
    assert post(client, REGISTER_COMPLETE, good).json()["code"] == "invalid_state"
    assert WebAuthnCredential.objects.filter(user=agent).count() == 1


@pytest.mark.django_db
def test_another_accounts_credential_id_is_refused_without_an_error_page(agent, make_agent_user):
    other = make_agent_user(password=AGENT_PASSWORD)
    taken = SoftPasskey()
    taken.save_for(other)
    client = signed_in(agent)
    options = post(client, REGISTER_BEGIN).json()

    answer = post(client, REGISTER_COMPLETE, taken.registration(options))

    assert (answer.status_code, answer.json()["code"]) == (409, "already_registered")
    assert not WebAuthnCredential.objects.filter(user=agent).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"id": 1}',
        '{"id": "x", "rawId": "x", "type": "public-key", "response": {}}',
        '{"id": "x", "rawId": "%%%", "type": "public-key", "response": '
        '{"clientDataJSON": 5, "attestationObject": null}}',
    ],
)
def test_malformed_answers_get_a_refusal_not_an_error_page(agent, body):
    client = signed_in(agent)
    post(client, REGISTER_BEGIN)
    answer = client.post(REGISTER_COMPLETE, body, content_type="application/json")
    assert 400 <= answer.status_code < 500, answer.content
    assert "code" in answer.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cose_key",
    [
        {1: 2, -1: 1, -2: bytes(32), -3: bytes(32)},  # no algorithm
        {1: 2, 3: -7, -1: 1, -2: bytes(32), -3: bytes(32)},  # a point not on the curve
        {1: 1, 3: -8, -1: 6, -2: b"short"},  # an Ed25519 key of 5 bytes
        {1: 2, 3: -7, -1: 1},  # no coordinates
    ],
    ids=["no-algorithm", "off-curve", "short-ed25519", "no-coordinates"],
)
def test_a_public_key_that_cannot_be_loaded_is_refused_at_enrolment(agent, cose_key):
    client = signed_in(agent)
    options = post(client, REGISTER_BEGIN).json()
    answer = post(
        client,
        REGISTER_COMPLETE,
        SoftPasskey().registration(options, cose_key=cbor2.dumps(cose_key)),
    )
    assert answer.status_code == 422, answer.content
    assert not WebAuthnCredential.objects.filter(user=agent).exists()


@pytest.mark.django_db
def test_the_endpoints_need_the_csrf_token(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert post(client, REGISTER_BEGIN).status_code == 403
    token = client.get("/agentes/segundo-factor/activar/").context["csrf_token"]
    answer = client.post(
        REGISTER_BEGIN, "{}", content_type="application/json", headers={"X-CSRFToken": str(token)}
    )
    assert answer.status_code == 200


# --- Sign-in ---------------------------------------------------------------------------------


@pytest.fixture
def with_passkey(agent):
    passkey = SoftPasskey()
    passkey.save_for(agent)
    return passkey


@pytest.mark.django_db
def test_the_passkey_after_the_password_lets_the_session_in(agent, with_passkey):
    client = signed_in(agent)
    assert client.get("/agentes/inicio/").status_code == 302  # held at the second factor
    options = post(client, VERIFY_BEGIN).json()
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(with_passkey.credential_id)]

    answer = post(
        client, VERIFY_COMPLETE + "?next=/agentes/herramientas/", with_passkey.assertion(options)
    )

    assert answer.json() == {"redirect_url": "/agentes/herramientas/"}
    assert stage(client) == "done"
    assert client.get("/agentes/inicio/").status_code == 200
    credential = WebAuthnCredential.objects.get(user=agent)
    assert credential.sign_count == 1 and credential.last_used_at is not None


@pytest.mark.django_db
def test_a_next_to_another_site_goes_home_instead(agent, with_passkey):
    client = signed_in(agent)
    options = post(client, VERIFY_BEGIN).json()
    answer = post(
        client, VERIFY_COMPLETE + "?next=https://evil.test/", with_passkey.assertion(options)
    )
    assert answer.json() == {"redirect_url": "/agentes/inicio/"}


@pytest.mark.django_db
def test_sign_in_with_a_passkey_is_only_for_a_session_at_the_second_factor(
    agent, with_passkey, make_agent_user
):
    assert post(Client(), VERIFY_BEGIN).json()["code"] == "not_authenticated"
    # Already past it (no factor, optional): nothing to show.
    answer = post(signed_in(make_agent_user(password=AGENT_PASSWORD)), VERIFY_BEGIN)
    assert (answer.status_code, answer.json()["code"]) == (403, "wrong_stage")
    # At the second factor with an app only: no passkey to list.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    app_user = make_agent_user(password=AGENT_PASSWORD)
    TOTPDevice.objects.create(user=app_user, name="app", confirmed=True)
    answer = post(signed_in(app_user), VERIFY_BEGIN)
    assert (answer.status_code, answer.json()["code"]) == (403, "no_passkey")


@pytest.mark.django_db
def test_a_wrong_signature_or_a_replayed_assertion_changes_nothing(agent, with_passkey):
    client = signed_in(agent)
    options = post(client, VERIFY_BEGIN).json()
    wrong = with_passkey.assertion(options, key=ec.generate_private_key(ec.SECP256R1()))
    assert post(client, VERIFY_COMPLETE, wrong).status_code == 422
    assert stage(client) == "verify"
    # A right assertion for that challenge, after it was used: refused too.
    assert post(client, VERIFY_COMPLETE, with_passkey.assertion(options)).json()["code"] == (
        "invalid_state"
    )
    assert stage(client) == "verify"
    assert client.get("/agentes/inicio/").status_code == 302


@pytest.mark.django_db
def test_another_accounts_passkey_does_not_let_this_one_in(agent, with_passkey, make_agent_user):
    other = SoftPasskey()
    other.save_for(make_agent_user(password=AGENT_PASSWORD))
    client = signed_in(agent)
    options = post(client, VERIFY_BEGIN).json()
    answer = post(client, VERIFY_COMPLETE, other.assertion(options))
    assert (answer.status_code, answer.json()["code"]) == (403, "credential_user_mismatch")
    assert stage(client) == "verify"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"authenticatorData": b64url(b"short")},
        {"authenticatorData": b64url(bytes(37))},  # another site's, no flags
        {"signature": b64url(b"not DER")},
        {"signature": 5},
        {"clientDataJSON": b64url(b"[1]")},
        {"clientDataJSON": b64url(b'{"type": "webauthn.get"}')},
    ],
)
def test_malformed_assertions_get_a_refusal_and_count(agent, with_passkey, change):
    client = signed_in(agent)
    options = post(client, VERIFY_BEGIN).json()
    assertion = with_passkey.assertion(options)
    assertion["response"].update(change)

    answer = post(client, VERIFY_COMPLETE, assertion)

    assert 400 <= answer.status_code < 500 and "code" in answer.json(), answer.content
    assert stage(client) == "verify"
    assert ratelimit.count("second_factor", user=str(agent.pk)) == 1


@pytest.mark.django_db
def test_a_kept_public_key_that_cannot_be_loaded_refuses_instead_of_an_error_page(agent):
    # Kept before enrolment checked keys, or by another tool: the sign-in must not crash.
    passkey = SoftPasskey()
    passkey.save_for(agent, public_key=cbor2.dumps({1: 2, -1: 1}))
    client = signed_in(agent)
    options = post(client, VERIFY_BEGIN).json()
    answer = post(client, VERIFY_COMPLETE, passkey.assertion(options))
    assert answer.status_code == 422, answer.content
    assert stage(client) == "verify"


@pytest.mark.django_db
def test_failed_assertions_are_limited_per_account_then_even_the_right_one_is_refused(
    agent, with_passkey
):
    limit = ratelimit.rule("second_factor", "user").limit
    client = signed_in(agent)
    wrong_key = ec.generate_private_key(ec.SECP256R1())
    for _ in range(limit):
        options = post(client, VERIFY_BEGIN).json()
        assert (
            post(
                client, VERIFY_COMPLETE, with_passkey.assertion(options, key=wrong_key)
            ).status_code
            == 422
        )

    options = post(client, VERIFY_BEGIN).json()
    answer = post(client, VERIFY_COMPLETE, with_passkey.assertion(options))

    assert answer.status_code == 429
    assert answer.json()["detail"].startswith(
        "Por seguridad se bloquearon los códigos tras varios intentos fallidos."
    )
    assert stage(client) == "verify"
    # The same count as app and recovery codes: a code now is refused as well.
    assert ratelimit.exceeded("second_factor", user=str(agent.pk))


@pytest.mark.django_db
def test_the_widgets_speak_the_pages_language(agent, with_passkey):
    client = signed_in(agent)
    english = client.get("/agentes/segundo-factor/", headers={"Accept-Language": "en"})
    spanish = client.get("/agentes/segundo-factor/")
    assert "Use my passkey" in english.text and "Usar mi llave de acceso" in spanish.text
    assert "llave" not in re.search(r'data-passkey="verify".*?</div>', english.text, re.S)[0]


# --- Chromium and its virtual authenticator ---------------------------------------------------

# The focused element and the text a person reads on it (its label, or its own text).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "";
  const label = e.labels && e.labels.length ? e.labels[0].textContent : "";
  return (label || e.textContent || "").replace(/\\s+/g, " ").replace(/\\s*\\*$/, "").trim();
}"""


def tab_to(page, name: str, tabs: int = 60) -> None:
    """Press Tab until the focus is on the control named `name` (as FOCUSED reads it)."""
    passed = []
    for _ in range(tabs):
        page.keyboard.press("Tab")
        here = page.evaluate(FOCUSED)
        if here == name:
            return
        passed.append(here)
    raise AssertionError(f"{tabs} Tabs never reached {name!r}; passed {passed}")


def press(page, name: str, *, navigates: bool = True) -> None:
    """Tab to the button or link `name` and press Enter, waiting for the page it opens."""
    tab_to(page, name)
    if not navigates:
        page.keyboard.press("Enter")
        return
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page, label: str, text: str) -> None:
    tab_to(page, label)
    page.keyboard.type(text)


class VirtualAuthenticator:
    """Chromium's virtual authenticator (the DevTools WebAuthn domain), built into the
    device, that always finds its user present and verified."""

    def __init__(self, page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        self.id = ""

    def add(self) -> VirtualAuthenticator:
        self.id = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {"options": {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                         "hasUserVerification": True, "isUserVerified": True,
                         "automaticPresenceSimulation": True}},
        )["authenticatorId"]  # fmt: skip
        return self

    def remove(self) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})
        self.id = ""

    def hold(self, passkey: SoftPasskey) -> None:
        """Put `passkey` (registered on the server already) in this authenticator."""
        from cryptography.hazmat.primitives import serialization

        private = passkey.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.cdp.send(
            "WebAuthn.addCredential",
            {"authenticatorId": self.id, "credential": {
                "credentialId": base64.b64encode(passkey.credential_id).decode(),
                "isResidentCredential": False, "rpId": RP_ID,
                "privateKey": base64.b64encode(private).decode(), "signCount": 0}},
        )  # fmt: skip

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]


@pytest.fixture
def browser_relying_party(live_server, settings):
    """The live server's own origin: WebAuthn needs a host name (localhost), not an IP."""
    assert live_server.url.startswith("http://localhost:"), live_server.url
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    settings.OTP_WEBAUTHN_RP_ID = RP_ID
    return live_server.url


def assert_no_axe_violations(page) -> None:
    from tests.a11y import axe_violations, format_violations

    violations = axe_violations(page)
    assert not violations, format_violations(violations)


def status_of(page, ceremony: str):
    return page.locator(f'[data-passkey="{ceremony}"] [role="status"]')


def sign_in(page, user, *, keyboard: bool = False) -> None:
    if not keyboard:
        sign_in_in_browser(page, "agents", user.username)
        return
    page.goto("/agentes/ingresar/")
    type_into(page, "Usuario", user.username)
    type_into(page, "Contraseña", AGENT_PASSWORD)
    press(page, "Ingresar")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("browser_relying_party")
def test_an_agent_enrols_a_passkey_at_the_first_entry_and_signs_in_with_it_by_keyboard(
    page, agent, settings
):
    settings.AGENT_MFA = "required"
    authenticator = VirtualAuthenticator(page).add()
    sign_in(page, agent, keyboard=True)

    expect(page.get_by_role("heading", level=1)).to_have_text("Activa tu segundo factor")
    assert_no_axe_violations(page)
    press(page, "Crear una llave de acceso")
    expect(page.get_by_role("heading", level=1)).to_have_text("Códigos de recuperación")
    credential = WebAuthnCredential.objects.get(user=agent)
    assert [c["credentialId"] for c in authenticator.credentials()] == [
        base64.b64encode(bytes(credential.credential_id)).decode()
    ]
    press(page, "Ver mis códigos de recuperación")
    press(page, "Ya los guardé")
    expect(page).to_have_url(re.compile(r"/agentes/"))
    press(page, "Salir")

    sign_in(page, agent, keyboard=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirma que eres tú")
    assert_no_axe_violations(page)
    press(page, "Usar mi llave de acceso")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenido XIMENA SOTO PARDO")
    expect(page).to_have_url(re.compile(r"/agentes/inicio/"))
    assert WebAuthnCredential.objects.get(user=agent).last_used_at is not None


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("browser_relying_party")
def test_an_absent_or_wrong_authenticator_shows_the_message_and_changes_nothing(
    page, agent, with_passkey, settings
):
    settings.OTP_WEBAUTHN_TIMEOUT_SECONDS = 2  # how long the browser waits for a passkey
    failed = (
        "No se pudo comprobar tu llave de acceso. Inténtalo de nuevo o usa un código de "
        "recuperación."
    )
    authenticator = VirtualAuthenticator(page)  # no authenticator yet
    sign_in(page, agent)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirma que eres tú")
    button = page.get_by_role("button", name="Usar mi llave de acceso")

    button.click()
    expect(status_of(page, "verify")).to_have_text(failed)

    authenticator.add()  # one that does not hold the agent's passkey
    page.reload()
    expect(status_of(page, "verify")).to_have_text("")
    button.click()
    expect(status_of(page, "verify")).to_have_text(failed)

    credential = WebAuthnCredential.objects.get(user=agent)
    assert (credential.sign_count, credential.last_used_at) == (0, None)
    page.goto("/agentes/inicio/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirma que eres tú")

    # Past the limit (wrong codes elsewhere), even the right passkey is refused, in words.
    authenticator.hold(with_passkey)
    for _ in range(ratelimit.rule("second_factor", "user").limit):
        ratelimit.consume("second_factor", user=str(agent.pk))
    page.get_by_role("button", name="Usar mi llave de acceso").click()
    expect(status_of(page, "verify")).to_have_text(
        re.compile("^Por seguridad se bloquearon los códigos tras varios intentos fallidos.")
    )
    page.goto("/agentes/inicio/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirma que eres tú")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("browser_relying_party")
def test_an_agent_removes_the_passkey_with_the_password_and_a_recovery_code(
    page, agent, with_passkey
):
    codes = mfa.issue_recovery_codes(agent)
    VirtualAuthenticator(page).add().hold(with_passkey)
    sign_in(page, agent)
    page.get_by_role("button", name="Usar mi llave de acceso").click()
    expect(page).to_have_url(re.compile(r"/agentes/inicio/"))

    page.get_by_role("link", name="Administra tu Usuario").first.click()
    page.get_by_role("link", name="Segundo factor").click()
    expect(page.get_by_role("table")).to_contain_text("Llave de prueba")
    assert_no_axe_violations(page)
    # A wrong code first: nothing is removed.
    page.get_by_label("Contraseña actual").fill(AGENT_PASSWORD)
    page.get_by_label("Código de tu app o un código de recuperación").fill("aaaaa-bbbbb")
    page.get_by_role("button", name="Eliminar factor").click()
    expect(page.get_by_text("El código no es correcto.").first).to_be_visible()
    assert WebAuthnCredential.objects.filter(user=agent).exists()

    page.get_by_label("Contraseña actual").fill(AGENT_PASSWORD)
    page.get_by_label("Código de tu app o un código de recuperación").fill(codes[0])
    page.get_by_role("button", name="Eliminar factor").click()

    expect(page.get_by_text("El factor se eliminó de tu cuenta.")).to_be_visible()
    assert not WebAuthnCredential.objects.filter(user=agent).exists()
    assert OutboxEmail.objects.filter(to=agent.email, context__change="removed").exists()
    # Next time the password is enough again (the factor was optional).
    page.get_by_role("button", name="Salir").first.click()
    sign_in(page, agent)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenido XIMENA SOTO PARDO")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("browser_relying_party")
def test_a_reviewer_enrols_a_passkey_at_admin_and_signs_in_with_it(page, make_reviewer, settings):
    from django.contrib.auth.hashers import make_password

    settings.STAFF_MFA = "required"
    reviewer = make_reviewer("ana")
    reviewer.password = make_password("clave-revisora-2026")
    reviewer.save(update_fields=["password"])
    VirtualAuthenticator(page).add()

    def admin_sign_in() -> None:
        page.goto("/admin/")
        page.get_by_label("Nombre de usuario").fill("ana")
        page.get_by_label("Contraseña").fill("clave-revisora-2026")
        page.get_by_role("button", name="Identificarse").click()

    admin_sign_in()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activa tu segundo factor")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Crear una llave de acceso").click()
    page.get_by_role("button", name="Ver mis códigos de recuperación").click()
    page.get_by_role("link", name="Ya los guardé").click()
    assert WebAuthnCredential.objects.filter(user=reviewer).count() == 1
    page.get_by_role("button", name="Cerrar sesión").first.click()

    admin_sign_in()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirma que eres tú")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Usar mi llave de acceso").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_passkey_button_is_not_offered_and_the_other_ways_remain(
    open_page, agent, with_passkey
):
    page = open_page(java_script_enabled=False)
    sign_in(page, agent)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirma que eres tú")
    expect(page.get_by_role("button", name="Usar mi llave de acceso")).to_be_hidden()
    expect(page.get_by_role("link", name="Usar un código de recuperación")).to_be_visible()
