"""Password storage and rules, idle timeout (OWASP ASVS V2.1, V2.4, V3.3)."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_passwords_are_stored_with_argon2(django_user_model):
    user = django_user_model.objects.create_user("ana", password="Una-Frase-Bastante-Larga")
    assert user.password.startswith("argon2$argon2id$")
    assert "Una-Frase" not in user.password


@pytest.mark.parametrize(
    "password, accepted",
    [
        ("corto-11car", False),  # 11 characters: under the minimum of 12
        ("cortito12car", True),  # 12, lower case only: no composition rules
        ("password1234", False),  # on the common-passwords list
        ("381947561029", False),  # all digits
        ("el gato come tortillas", True),  # spaces and a passphrase are fine
        ("contraseñaÁrbol🌵", True),  # any unicode
    ],
)
def test_password_rules(password, accepted):
    if accepted:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_password_similar_to_the_user_is_refused(django_user_model):
    user = django_user_model(username="SOPX1076", first_name="XIMENA", email="ximena@e.test")
    with pytest.raises(ValidationError):
        validate_password("ximena@e.test1", user)


@pytest.mark.parametrize("url", ["/agentes/ingresar/", "/clientes/ingresar/"])
def test_password_fields_allow_paste_and_password_managers(client, url):
    html = client.get(url).text
    assert 'type="password"' in html
    assert "onpaste" not in html and 'autocomplete="off"' not in html


def test_session_ends_after_30_idle_minutes(client, make_agent_user):
    user = make_agent_user(password="Clave-Segura-2026")
    response = client.post("/agentes/ingresar/", {"username": user.username,
                                                  "password": "Clave-Segura-2026"})  # fmt: skip
    assert response.status_code == 302
    assert client.get("/agentes/inicio/").status_code == 200
    cookie = client.cookies["sessionid"]
    assert int(cookie["max-age"]) == 30 * 60
    # 31 idle minutes later the server no longer knows the session.
    Session.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
    response = client.get("/agentes/inicio/")
    assert response.status_code == 302 and response.url.startswith("/agentes/ingresar/")
