"""The one account layer: the same flows behave the same in both portals, each portal's
pages are only for its own users, and `portal` imports no feature app."""

import ast
import re
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client

from portal import ratelimit
from portal.accounts import configs
from portal.models import OneTimeCode, User
from tests.helpers import AGENT_PASSWORD as PASSWORD
from tests.helpers import ROOT, last_code

PORTALS = {
    # portal: (URL prefix, the home page, where email changes return)
    "agents": ("/agentes/", "/agentes/inicio/", "/agentes/usuario/"),
    "clients": ("/clientes/", "/clientes/", "/clientes/"),
}


@pytest.fixture
def signed_in(client, make_portal_user):
    """`signed_in("agents")` or `signed_in("clients")`: a user of that portal, signed in."""

    def sign_in(portal: str) -> User:
        user = make_portal_user(portal, password=PASSWORD)
        client.force_login(user)
        return user

    return sign_in


def start_email_change(client, portal: str, email: str, capture):
    prefix = PORTALS[portal][0]
    data = {"email": email, "email_confirmation": email, "password": PASSWORD}
    with capture(execute=True):
        return client.post(f"{prefix}correo/cambiar/", data, follow=True)


@pytest.mark.django_db
@pytest.mark.parametrize("portal", PORTALS)
def test_email_change_code_can_be_resent_after_the_cooldown_and_cancelled(
    portal, client, signed_in, django_capture_on_commit_callbacks
):
    user = signed_in(portal)
    prefix, _home, account = PORTALS[portal]
    page = start_email_change(
        client, portal, "nuevo@ejemplo.test", django_capture_on_commit_callbacks
    )
    assert page.redirect_chain[-1][0] == f"{prefix}correo/cambiar/codigo/"
    assert "Confirma tu correo electrónico" in page.text and "Reenviar código" in page.text
    first = last_code()
    confirm = f"{prefix}correo/cambiar/codigo/"
    # Too soon: a wait message, no second email.
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(confirm, {"resend": "1"}, follow=True)
    assert "Por seguridad espera" in page.text and len(mail.outbox) == 1
    # After the cooldown: a new code, and the first one no longer works.
    OneTimeCode.objects.update(created_at=OneTimeCode.objects.get().created_at.replace(year=2000))
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(confirm, {"resend": "1"}, follow=True)
    assert "Enviamos un código de confirmación a nuevo@ejemplo.test." in page.text
    assert len(mail.outbox) == 2 and mail.outbox[-1].to == ["nuevo@ejemplo.test"]
    if first != last_code():  # the old code is void: it no longer changes the address
        assert "El código no es correcto" in client.post(confirm, {"code": first}).text
    # Cancelar: the pending code dies and the address stays as it was.
    code = last_code()
    response = client.post(confirm, {"cancel": "1"})
    assert response.url == account
    assert client.get(confirm).url == account  # nothing pending any more
    user.refresh_from_db()
    assert user.email != "nuevo@ejemplo.test"
    assert not OneTimeCode.objects.filter(used_at=None, voided=False).exists()
    assert code  # the cancelled code was real; it is simply void now


@pytest.mark.django_db
@pytest.mark.parametrize("portal", PORTALS)
def test_a_verified_email_change_renames_only_where_the_email_is_the_username(
    portal, client, signed_in, django_capture_on_commit_callbacks
):
    user = signed_in(portal)
    username = user.username
    prefix, _home, account = PORTALS[portal]
    start_email_change(client, portal, "Nuevo@Ejemplo.test", django_capture_on_commit_callbacks)
    response = client.post(f"{prefix}correo/cambiar/codigo/", {"code": last_code()})
    assert response.url == account
    user.refresh_from_db()
    assert user.email == "nuevo@ejemplo.test"
    expected = "nuevo@ejemplo.test" if portal == "clients" else username
    assert user.username == expected


@pytest.mark.django_db
@pytest.mark.parametrize("portal", PORTALS)
def test_an_address_taken_meanwhile_is_refused_at_the_code_step(
    portal, client, signed_in, django_capture_on_commit_callbacks
):
    user = signed_in(portal)
    prefix = PORTALS[portal][0]
    start_email_change(client, portal, "nuevo@ejemplo.test", django_capture_on_commit_callbacks)
    User.objects.create_user("otra", email="NUEVO@ejemplo.test", kind=User.Kind.CLIENT)
    page = client.post(f"{prefix}correo/cambiar/codigo/", {"code": last_code()}, follow=True)
    assert "ya está registrado en otra cuenta" in page.text
    user.refresh_from_db()
    assert user.email != "nuevo@ejemplo.test"


@pytest.mark.django_db
@pytest.mark.parametrize(("portal", "other"), [("agents", "clients"), ("clients", "agents")])
def test_each_portals_pages_refuse_the_other_portals_users(portal, other, client, signed_in):
    signed_in(other)
    prefix, home, _account = PORTALS[portal]
    for url in (home, f"{prefix}contrasena/cambiar/", f"{prefix}correo/cambiar/"):
        assert client.get(url).status_code == 403, url
    # Their own login page still answers (no redirect loop), to sign in as someone else.
    assert client.get(f"{prefix}ingresar/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("portal", PORTALS)
def test_signed_out_users_go_to_their_portals_login_and_back(portal):
    prefix, home, _account = PORTALS[portal]
    response = Client().get(f"{prefix}correo/cambiar/")
    assert response.url == f"{prefix}ingresar/?next={prefix}correo/cambiar/"
    assert Client().get(home).url.startswith(f"{prefix}ingresar/")


@pytest.mark.django_db
@pytest.mark.parametrize("portal", PORTALS)
def test_reset_links_only_open_their_own_portal(
    portal, client, signed_in, django_capture_on_commit_callbacks
):
    user = signed_in(portal)
    client.logout()
    prefix = PORTALS[portal][0]
    other = PORTALS["clients" if portal == "agents" else "agents"][0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{prefix}contrasena/olvide/", {"email": user.email})
    link = re.search(r"http://testserver(/\S+/contrasena/\S+/\S+/)", mail.outbox[-1].body)[1]
    assert link.startswith(prefix)
    page = Client().get(link.replace(prefix, other), follow=True)
    assert "Este vínculo ya no es válido" in page.text
    page = Client().get(link, follow=True)
    assert "Crea tu nueva contraseña" in page.text


def test_axes_takes_its_limits_from_the_rate_limit_table(settings):
    login = {rule.key: rule for rule in ratelimit.RATE_LIMITS["login"]}
    assert settings.AXES_FAILURE_LIMIT == login["username"].limit == login["username_ip"].limit
    assert settings.AXES_COOLOFF_TIME.total_seconds() == login["username"].window
    assert settings.LOGIN_LOCKOUT_PARAMETERS == [["username"], ["username", "ip_address"]]
    # Applied per request by portal.lockout (on /admin/, an account with a second factor is
    # locked by account + address only).
    assert settings.AXES_LOCKOUT_PARAMETERS == "portal.lockout.parameters"
    # The IP-only rule is far higher and not axes' (it would lock /admin/ too).
    assert ratelimit.rule("login_ip", "ip").limit >= 10 * login["username"].limit


def test_every_portal_is_configured_once():
    found = configs()
    assert set(found) == {User.Kind.AGENT, User.Kind.CLIENT}
    assert {c.namespace for c in found.values()} == {"agents", "registration"}


def test_portal_imports_no_feature_app():
    """The shared package sits below the feature apps: it never imports them."""
    offenders = []
    for path in sorted(Path(ROOT, "portal").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in names
                if name.split(".")[0] in {"agents", "registration"}
            ]
    assert offenders == []
