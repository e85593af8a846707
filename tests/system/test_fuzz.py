"""Bad input (issue 5 §9): whatever a person, a bot or a broken client posts — any text,
unicode (NUL, right-to-left marks, emoji, combining marks), 100 KB values, empty values,
lists where one value is expected, missing fields, junk wizard steps, junk bodies — gets an
answer below 500, and nothing is stored that the input did not earn.

Hypothesis draws the inputs; every example uses a fresh browser session (a new `Client`).
"""

from __future__ import annotations

import re
import string
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.helpers import KEY_WIZARD_URL, ClientWizard, RequestWizard, next_rfc, post_login

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),  # the 100 KB values
]

# No shrinking: a failure prints the example that failed; shrinking 100 KB values through
# the database takes minutes.
FUZZ = hypothesis_settings(
    max_examples=30,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = hypothesis_settings(FUZZ, max_examples=12)

# Values chosen by hand: what breaks parsers, databases, templates and e-mail headers.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",  # RTL mark, Hebrew, Arabic
    "👩‍👩‍👧‍👦🙂🇲🇽",  # emoji with joiners and flags
    "e\u0301" * 40,  # combining acute accents
    "Z\u0337\u0322\u031ba\u0338l\u0336g\u0337o\u0335",
    "\ufeff\u200b\u2028\u2029",
    "ＡＤＭＩＮ２０２４",  # full-width
    "' OR 1=1 --",
    '"; DROP TABLE portal_user; --',
    "<script>alert(1)</script>",
    "{{ 7|add:7 }}{% debug %}",
    "%(password)s %s {0}",
    "../../../etc/passwd",
    "\r\nBcc: victima@ejemplo.test",
    "x@y",
    "a@b.c",
    "ñandú@ejemplo.test",
    "9" * 40,
    "-1",
    "0",
    "1e309",
    "NaN",
    "2024-02-30",
    "31/12/1985",
    "00000000000000000000",
    "PEMA800101AB9",
]
HUGE = ["x" * 100_000, "ñ" * 50_000, "\x00" * 1_000 + "y" * 99_000, "🙂" * 25_000]

text_value = st.one_of(
    st.text(max_size=40),  # any code point but lone surrogates, NUL included
    st.text(alphabet=string.digits, min_size=1, max_size=14),
    st.sampled_from(NASTY),
    st.sampled_from(HUGE),
)
# Wrong types: a list of values where one is expected (or an empty list: the field missing).
field_value = st.one_of(text_value, st.lists(text_value, max_size=3))


def payload(*names: str) -> st.SearchStrategy[dict]:
    """A form body with any of `names` (each may be missing) and perhaps an unknown field."""
    return st.fixed_dictionaries(
        {}, optional={**{name: field_value for name in names}, "campo_extra": field_value}
    )


def fresh_client() -> Client:
    cache.clear()  # rate limits would soon answer every example with "demasiados intentos"
    return Client()


def assert_answered(response, what: str = "") -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


def counts() -> dict[str, int]:
    from agents.models import AccessRequest, Decision
    from notifications.models import OutboxEmail
    from portal.models import OneTimeCode, User
    from registration.models import Person, PersonEmail, Policy, RegistrationKey

    models = [
        AccessRequest, Decision, OutboxEmail, OneTimeCode, User, Person, PersonEmail, Policy,
        RegistrationKey,
    ]  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


# --- every URL, anonymous: any query string, any form body ------------------------------
def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith("admin"):
                yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


ROUTES = sorted(set(_routes(get_resolver().url_patterns)))
ROUTES += ["admin/login/", "admin/"]
segment = st.one_of(text_value.filter(lambda v: len(v) < 300), st.just("MQ"))


def concrete(route: str, values: list[str]) -> str:
    """A URL for `route` with each <parameter> / regex group replaced by a drawn value."""
    parts = iter(values)
    path = re.sub(
        r"<[^>]+>|\(\?P<[^>]+>[^)]*\)", lambda _: quote(next(parts), safe="") or "x", route
    )
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


@pytest.mark.parametrize("route", ROUTES)
@FEW
@given(values=st.lists(segment, min_size=2, max_size=2), query=payload("q", "next", "page"),
       body=payload("username", "password", "email", "code", "next"))  # fmt: skip
def test_any_url_answers_any_query_and_body_without_a_500(route, values, query, body):
    before = counts()
    url = concrete(route, values)
    client = fresh_client()
    assert_answered(client.get(url, query), f"GET {url}")
    assert_answered(client.post(url, body), f"POST {url}")
    after = counts()
    assert after["User"] == before["User"] and after["AccessRequest"] == before["AccessRequest"]


@pytest.mark.parametrize(
    "url", ["/agentes/solicitud/", "/agentes/ingresar/", "/clientes/registro/",
            "/clientes/ingresar/", "/agentes/contrasena/olvide/", "/admin/login/"],
)  # fmt: skip
@FEW
@given(
    body=st.binary(max_size=2_000),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xYzZY",
         "multipart/form-data", "application/json", "text/plain; charset=latin-1",
         "application/x-www-form-urlencoded; charset=utf-16", "ñ/ñ"]
    ),
)  # fmt: skip
def test_junk_request_bodies_never_give_a_500(url, body, content_type):
    before = counts()
    response = fresh_client().generic("POST", url, body, content_type=content_type)
    assert_answered(response, url)
    assert counts() == before


# --- the agent request wizard (001 §3.3–3.6) ---------------------------------------------
AGENT_STEPS = {
    "identify": ["clave_agente", "clave_promotoria", "rfc"],
    "channels": ["channels"],
    "role": ["role"],
    "submit": ["email", "email_confirmation", "captcha_0", "captcha_1"],
}


@pytest.fixture
def saa_agent(make_agent):
    from agents.models import Role

    Role.objects.get_or_create(code="AGENTE", defaults={"name": "Agente"})
    return make_agent(canales=["Individual Privado", "Grupo"])


@FUZZ
@given(
    done_steps=st.integers(0, 3),
    step=st.one_of(st.sampled_from(list(AGENT_STEPS)), text_value),
    goto=st.one_of(st.none(), st.sampled_from(list(AGENT_STEPS)), text_value),
    data=st.data(),
)
def test_agent_request_wizard_survives_any_post_at_any_step(
    saa_agent, done_steps, step, goto, data
):
    from agents.models import AccessRequest

    wizard = RequestWizard(fresh_client())
    wizard.start()
    walk = [
        lambda: wizard.identify(saa_agent),
        lambda: wizard.choose_channels(saa_agent),
        lambda: wizard.choose_role(),
    ]
    for action in walk[:done_steps]:
        assert action().status_code == 200
    fields = AGENT_STEPS.get(step, AGENT_STEPS["identify"])
    body = data.draw(payload(*fields))
    extra = {} if goto is None else {"wizard_goto_step": goto}
    response = wizard.post(step, body, **extra)
    assert_answered(response, f"step {step!r}")
    # A junk last step posted again, as a double click or a replay would.
    assert_answered(wizard.post("submit", body), "replayed submit")
    assert AccessRequest.objects.count() == 0


@FEW
@given(step=st.one_of(text_value, st.lists(text_value, max_size=3)), body=payload("rfc"))
def test_agent_wizard_management_form_may_be_anything(saa_agent, step, body):
    from agents.models import AccessRequest

    client = fresh_client()
    client.get("/agentes/solicitud/")
    response = client.post(
        "/agentes/solicitud/", {"access_request_wizard-current_step": step, **body}
    )
    assert_answered(response)
    assert AccessRequest.objects.count() == 0


# --- the client registration wizards (000 pasos 2–5) --------------------------------------
@pytest.fixture
def holder(db):
    """A policy holder with one policy and one email on file (shared by a test's examples:
    hypothesis runs them all inside one test's database transaction)."""
    from datetime import date

    from registration.models import Person, PersonEmail, Policy

    person = Person.objects.create(
        rfc=next_rfc(), nombre="MARÍA", apellido_paterno="RODRÍGUEZ",
        apellido_materno="LÓPEZ", fecha_nacimiento=date(1985, 3, 12),
    )  # fmt: skip
    Policy.objects.create(numero_poliza="99000001", producto="Vida", person=person)
    PersonEmail.objects.create(person=person, email="fuzz.cliente@ejemplo.test")
    return person


CLIENT_STEPS = {
    "identify": ["numero_poliza", "nombre", "apellido_paterno", "fecha_nacimiento"],
    "products": ["email_choice", "new_email", "new_email_confirmation"],
    "code": ["code"],
}


@FUZZ
@given(
    done_steps=st.integers(0, 2),
    step=st.one_of(st.sampled_from(list(CLIENT_STEPS)), text_value),
    goto=st.one_of(st.none(), st.sampled_from(list(CLIENT_STEPS)), text_value),
    resend=st.booleans(),
    data=st.data(),
)
def test_client_registration_wizard_survives_any_post_at_any_step(
    holder, done_steps, step, goto, resend, data
):
    from portal.models import User

    person = holder
    wizard = ClientWizard(fresh_client())
    wizard.start()
    walk = [
        lambda: wizard.identify(person),
        lambda: wizard.choose_email(person.emails.first().email),
    ]
    for action in walk[:done_steps]:
        assert action().status_code == 200
    fields = CLIENT_STEPS.get(step, CLIENT_STEPS["identify"])
    body = data.draw(payload(*fields))
    extra = {} if goto is None else {"wizard_goto_step": goto}
    if resend:
        extra["resend"] = "1"
    assert_answered(wizard.post(step, body, **extra), f"step {step!r}")
    assert_answered(wizard.post("code", body), "replayed code")
    person.refresh_from_db()
    assert person.user_id is None
    assert not User.objects.filter(kind=User.Kind.CLIENT).exists()


@FEW
@given(body=payload("clave_registro", "numero_poliza"))
def test_key_registration_wizard_survives_any_key(holder, body):
    from portal.models import User

    wizard = ClientWizard(fresh_client(), KEY_WIZARD_URL)
    wizard.start()
    assert_answered(wizard.post("identify", body))
    assert not User.objects.filter(kind=User.Kind.CLIENT).exists()


# --- logins, password reset, set-password links -------------------------------------------
@pytest.mark.parametrize("url", ["/agentes/ingresar/", "/clientes/ingresar/", "/admin/login/"])
@FUZZ
@given(body=payload("username", "password", "next"), forwarded=text_value)
def test_logins_survive_any_credentials_and_let_nobody_in(url, make_agent_user, body, forwarded):
    from portal.models import User

    if not User.objects.filter(username="SPXAFZ3").exists():
        make_agent_user(password="Clave-Original-2024", clave_agente="FZ3")
    client = fresh_client()
    # REMOTE_ADDR comes from the socket; X-Forwarded-For is whatever the client writes.
    response = client.post(url, body, headers={"X-Forwarded-For": forwarded[:8000]})
    assert_answered(response, url)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", ["/agentes/contrasena/olvide/", "/clientes/contrasena/olvide/"])
@FUZZ
@given(body=payload("email"))
def test_password_reset_survives_any_email_and_sends_no_link_for_nobody(url, body):
    from notifications.models import OutboxEmail

    before = counts()
    assert_answered(fresh_client().post(url, body), url)
    after = counts()
    # A valid address without an account gets only the "no account" notice (as allauth).
    assert after.pop("OutboxEmail") - before.pop("OutboxEmail") <= 1
    assert not OutboxEmail.objects.exclude(template="restablecer_sin_cuenta").exists()
    assert after == before


@pytest.mark.parametrize("prefix", ["/agentes/contrasena/", "/clientes/contrasena/"])
@FUZZ
@given(uid=segment, token=segment, body=payload("new_password1", "new_password2"))
def test_set_password_links_survive_any_uid_token_and_password(
    prefix, make_agent_user, uid, token, body
):
    from portal.models import User

    user = User.objects.filter(username="FUZZ0001").first() or make_agent_user(
        password="Clave-Original-2024", clave_agente="FZ1"
    )
    if user.username != "FUZZ0001":
        user.username = "FUZZ0001"
        user.save(update_fields=["username"])
    url = f"{prefix}{quote(uid, safe='') or 'x'}/{quote(token, safe='') or 'x'}/"
    client = fresh_client()
    first = client.get(url)
    assert_answered(first, url)
    if first.status_code == 302:  # Django's reset view moves the token into the session
        assert_answered(client.post(first["Location"], body), first["Location"])
    assert_answered(client.post(url, body), url)
    user.refresh_from_db()
    assert user.check_password("Clave-Original-2024")


# --- signed-in forms ------------------------------------------------------------------------
AGENT_FORMS = {
    "/agentes/contrasena/cambiar/": ["old_password", "new_password1", "new_password2"],
    "/agentes/correo/cambiar/": ["email", "email_confirmation", "password"],
    "/agentes/correo/cambiar/codigo/": ["code"],
    "/agentes/telefono/cambiar/": ["phone"],
    "/agentes/datos-de-contacto/": ["email", "phone", "password"],
}


@pytest.mark.parametrize("url", list(AGENT_FORMS))
@FEW
@given(data=st.data())
def test_agent_account_forms_survive_any_post(url, make_agent_user, data):
    from portal.models import User

    user = User.objects.filter(email="fuzz.agente@ejemplo.test").first() or make_agent_user(
        password="Clave-Original-2024", email="fuzz.agente@ejemplo.test", clave_agente="FZ2"
    )
    client = fresh_client()
    client.force_login(user)
    body = data.draw(payload(*AGENT_FORMS[url]))
    assert_answered(client.post(url, body), url)
    user.refresh_from_db()
    assert user.check_password("Clave-Original-2024")  # the old password was never typed
    assert user.email == "fuzz.agente@ejemplo.test"  # a new email needs its code first
    assert re.fullmatch(r"\+?\d{10,15}", user.phone), user.phone


CLIENT_FORMS = {
    "/clientes/contrasena/cambiar/": ["old_password", "new_password1", "new_password2"],
    "/clientes/correo/cambiar/": ["email", "email_confirmation", "password", "code"],
}


@pytest.mark.parametrize("url", list(CLIENT_FORMS))
@FEW
@given(data=st.data())
def test_client_account_forms_survive_any_post(url, holder, data):
    from portal.models import User

    user = User.objects.filter(email="fuzz.registrada@ejemplo.test").first()
    if user is None:
        user = User.objects.create_user(
            "fuzz.registrada@ejemplo.test", "fuzz.registrada@ejemplo.test",
            "Clave-Original-2024", kind=User.Kind.CLIENT,
        )  # fmt: skip
        holder.user = user
        holder.save(update_fields=["user"])
    client = fresh_client()
    client.force_login(user)
    body = data.draw(payload(*CLIENT_FORMS[url]))
    assert_answered(client.post(url, body), url)
    user.refresh_from_db()
    assert user.check_password("Clave-Original-2024")
    assert user.email == "fuzz.registrada@ejemplo.test"


# --- back-office ----------------------------------------------------------------------------
@FUZZ
@given(
    query=payload("q", "o", "p", "status__exact", "e", "_changelist_filters"),
    object_id=segment,
    body=payload("reason", "detail", "action", "_selected_action", "post"),
)
def test_review_admin_survives_any_query_id_and_decision_body(
    make_reviewer, query, object_id, body
):
    from portal.models import User

    reviewer = User.objects.filter(username="revisora-fuzz").first() or make_reviewer(
        "revisora-fuzz"
    )
    client = fresh_client()
    client.force_login(reviewer)
    before = counts()
    base = "/admin/agents/accessrequest/"
    assert_answered(client.get(base, query), "changelist")
    assert_answered(client.post(base, body), "changelist action")
    pk = quote(object_id, safe="") or "x"
    for suffix in ("change/", "aprobar/", "rechazar/", "history/"):
        assert_answered(client.get(f"{base}{pk}/{suffix}"), suffix)
        assert_answered(client.post(f"{base}{pk}/{suffix}", body), suffix)
    assert counts()["Decision"] == before["Decision"]


# --- CSV imports: rejected whole, with line numbers, and nothing else ---------------------
IMPORTERS = {
    "import_saa": ("agents.saa", ["Agent", "Promotoria", "Channel"]),
    "import_policies": ("registration.policies", ["Person", "Policy", "PersonEmail"]),
}


def mirror_counts(command: str) -> dict[str, int]:
    from django.apps import apps

    app = "agents" if command == "import_saa" else "registration"
    return {name: apps.get_model(app, name).objects.count() for name in IMPORTERS[command][1]}


def good_row(command: str, number: int) -> dict[str, str]:
    from tests.helpers import valid_rfc

    rfc = valid_rfc("PEMA", "800101", f"{number % 9 + 1}A")
    if command == "import_saa":
        return {
            "clave_agente": f"9{number:04d}", "nombre": "XIMENA", "rfc": rfc,
            "clave_promotoria": "131", "nombre_promotoria": "PROMOTORIA", "en_vigor": "S",
            "email": f"agente{number}@ejemplo.test", "canales": "Individual Privado",
        }  # fmt: skip
    return {
        "numero_poliza": f"88{number:06d}", "producto": "Vida", "rfc": rfc, "nombre": "ANA",
        "apellido_paterno": "PÉREZ", "fecha_nacimiento": "1980-01-01",
        "email": f"cliente{number}@ejemplo.test",
    }  # fmt: skip


def write_rows(path, command: str, rows: list[dict]) -> None:
    import csv
    import importlib

    columns = importlib.import_module(IMPORTERS[command][0]).COLUMNS
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def run_import(command: str, path) -> Exception | None:
    """Run the command; return its CommandError, or None when it imported the file."""
    from django.core.management import CommandError, call_command

    try:
        call_command(command, str(path), stdout=__import__("io").StringIO())
    except CommandError as error:
        return error
    return None


@pytest.mark.parametrize("command", list(IMPORTERS))
@FUZZ
@given(content=st.one_of(st.binary(max_size=4_000), st.text(max_size=2_000).map(str.encode)))
def test_import_of_random_bytes_is_a_clear_error_and_imports_nothing(tmp_path, command, content):
    path = tmp_path / "entrada.csv"
    path.write_bytes(content)
    before = mirror_counts(command)
    error = run_import(command, path)
    assert error is not None, content
    assert mirror_counts(command) == before


# Any text in any column (NUL, 100 KB, RTL, quotes and newlines in cells), on valid rows.
cell = st.one_of(text_value, st.text(alphabet='",\n\r|;\x00', max_size=6))


@pytest.mark.parametrize("command", list(IMPORTERS))
@FUZZ
@given(data=st.data(), count=st.integers(1, 4))
def test_import_of_random_rows_imports_all_or_nothing(tmp_path, command, data, count):
    """Rows whose key fields are valid and whose other cells are anything: the file is either
    imported or rejected with line numbers — never another exception, never half."""
    import importlib

    columns = importlib.import_module(IMPORTERS[command][0]).COLUMNS
    rows = []
    for number in range(count):
        row = good_row(command, number)
        for column in data.draw(st.lists(st.sampled_from(columns), max_size=4, unique=True)):
            row[column] = data.draw(cell)
        rows.append(row)
    path = tmp_path / "entrada.csv"
    write_rows(path, command, rows)
    before = mirror_counts(command)
    error = run_import(command, path)
    if error is None:
        return  # every row was acceptable: imported (the unit tests check what is stored)
    assert mirror_counts(command) == before
    assert "línea " in str(error) or "No se pudo leer" in str(error), str(error)[:500]


@pytest.mark.parametrize("command", list(IMPORTERS))
@FUZZ
@given(data=st.data(), count=st.integers(1, 5))
def test_one_bad_row_rejects_the_whole_file_naming_its_line(tmp_path, command, data, count):
    rows = [good_row(command, number) for number in range(count)]
    bad = data.draw(st.integers(0, count - 1))
    rows[bad]["rfc"] = data.draw(st.sampled_from(["", "NO-ES-RFC", "PEMA800101AB0", "\x00"]))
    path = tmp_path / "entrada.csv"
    write_rows(path, command, rows)
    before = mirror_counts(command)
    error = run_import(command, path)
    assert error is not None
    assert f"línea {bad + 2}" in str(error)  # line 1 is the header
    assert mirror_counts(command) == before


def test_nul_in_an_admin_search_or_filter_is_a_400_not_a_500(client, make_reviewer):
    """Found by the fuzzing above: Django admin sends filter values to PostgreSQL, which
    refuses NUL (portal.middleware.RejectNulMiddleware)."""
    client.force_login(make_reviewer("revisora-nul"))
    assert client.get("/admin/agents/accessrequest/", {"q": "a\x00b"}).status_code == 400
    assert client.get("/admin/agents/accessrequest/", {"status__exact": "\x00"}).status_code == 400
    assert client.get("/admin/agents/accessrequest/", {"q": "ñandú"}).status_code == 200


def test_long_login_usernames_get_the_wrong_password_page(client):
    """Found by the fuzzing above: django-axes stored the typed username in a 255-character
    column; a longer one was a 500 (portal.lockout.username)."""
    response = post_login(client, "agents", "A" * 5000, "x")
    assert response.status_code == 200
    assert "Usuario o contraseña incorrectos." in response.text
    assert "_auth_user_id" not in client.session
