"""A wizard step's GET reads no row (issue 22): the page is rendered from the flow the
session holds, and the session is read from its copy in Redis (portal.sessions). POSTs read
the row, and only sessions without a signed-in user have a copy.

Each test walks the wizard with the test client (the production middleware and settings,
Redis as the cache) and counts the SQL of every step's GET: 0, with what the page must show
checked on the same answer.
"""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.test import Client

from portal import redis_health, sessions
from tests.helpers import (
    AGENT_PASSWORD,
    KEY_WIZARD_URL,
    ClientWizard,
    RequestWizard,
)

pytestmark = pytest.mark.django_db


def _copy_in_redis(session_key: str) -> bool:
    cache = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    return any(
        key.endswith(sessions._copy_key(session_key).encode()) for key in cache.scan_iter("*")
    )


def test_every_agent_step_get_reads_no_row(client, make_agent, django_assert_num_queries):
    agent = make_agent(canales=("Individual Privado", "Gastos Médicos"), nombre="Ximena")
    wizard = RequestWizard(client)
    with django_assert_num_queries(0):
        assert "Identificar Agente" in wizard.start().text

    response = wizard.identify(agent, follow=False)
    with django_assert_num_queries(0):
        page = client.get(response.url).text
    assert "Ximena" in page and agent.promotoria.nombre in page  # "Datos generales"
    assert "Gastos Médicos" in page  # the channels to choose from

    response = wizard.choose_channels(agent, follow=False)
    with django_assert_num_queries(0):
        page = client.get(response.url).text
    assert "Datos Gastos Médicos / Individual Privado" in page  # the chosen channels
    assert "Rol Deseado" in page and ">AGENTE<" in page  # the roles to choose from

    response = wizard.choose_role(follow=False)
    with django_assert_num_queries(0):
        page = client.get(response.url)
    assert "Envío de solicitud" in page.text
    assert f'value="{agent.email}"' in page.text  # the SAA's address, to confirm
    hashkey, answer = wizard.captcha_answer(page)  # a live challenge, made by the POST

    # Back and Forward: the earlier steps show what was typed and chosen, still reading
    # nothing; the challenge on screen stays the same one.
    with django_assert_num_queries(0):
        page = wizard.start().text
    assert f'value="{agent.clave_agente}"' in page
    with django_assert_num_queries(0):
        assert "checked" in wizard.open("channels").text
    with django_assert_num_queries(0):
        again = wizard.open("submit")
    assert wizard.captcha_answer(again)[0] == hashkey

    sent = wizard.send(again, email=agent.email, answer=answer)
    assert "Solicitud enviada" in sent.text


def test_every_client_step_get_reads_no_row(
    client, make_person, django_assert_num_queries, django_capture_on_commit_callbacks
):
    person = make_person(products=("Vida Individual", "Autos"))
    wizard = ClientWizard(client)
    with django_assert_num_queries(0):
        assert wizard.start().status_code == 200

    response = wizard.identify(person, follow=False)
    with django_assert_num_queries(0):
        page = client.get(response.url).text
    for policy in person.policies.all():
        assert policy.numero_poliza in page and policy.producto in page
    email = person.emails.first().email
    assert email not in page  # masked until a code proves control of it

    # The POST that chooses the address sends the code, not the GET that shows the step.
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.choose_email(email, follow=False)
    with django_assert_num_queries(0):
        page = client.get(response.url).text
    assert "Código de confirmación" in page and "Enviamos a" in page
    assert "Reenviar código" in page

    with django_assert_num_queries(0):
        assert "checked" in wizard.open("products").text  # Back: the choice is kept


def test_the_key_wizard_first_step_reads_no_row(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert "Clave de registro" in client.get(KEY_WIZARD_URL).text


def test_showing_the_code_step_sends_nothing(
    client, make_person, django_capture_on_commit_callbacks
):
    """Reloading the code step's page (or opening it in another tab) sends no other code:
    only the POST that chose the address, and "Reenviar código", do."""
    from portal.models import OneTimeCode

    person = make_person()
    wizard = ClientWizard(client)
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.choose_email(person.emails.first().email, follow=False)
    assert OneTimeCode.objects.count() == 1
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(response.url).status_code == 200
    assert OneTimeCode.objects.count() == 1


def test_a_post_reads_the_row_not_the_copy(client, make_agent):
    """A copy left behind (a Redis failover, a write lost while it did not answer) may only
    mislead a page; the POST decides from the row. Here the copy says step 1 was never
    passed while the row has the agent identified: the channels POST goes through."""
    agent = make_agent()
    wizard = RequestWizard(client)
    wizard.identify(agent)
    key = client.session.session_key
    store = sessions.SessionStore(key)
    data = store.load()
    stale = {name: value for name, value in data.items() if not name.startswith("wizard_")}
    redis_health.with_redis_cache(
        lambda cache: cache.set(
            sessions._copy_key(key),
            {"data": store.serializer().dumps(stale), "expires": store.get_expiry_date()},
            600,
        )
    )
    # The GET believes the stale copy: back to step 1.
    assert client.get("/agentes/solicitud/channels/").status_code == 302
    # The POST reads the row: the agent was identified, the step is accepted.
    response = wizard.choose_channels(agent, follow=False)
    assert response.status_code == 302 and response.url.endswith("/role/")


def test_a_signed_in_session_has_no_copy(client, make_portal_user):
    user = make_portal_user("agents", password=AGENT_PASSWORD)
    anonymous = Client()
    anonymous.get("/agentes/solicitud/")
    wizard = RequestWizard(client)
    wizard.start()
    client.post("/agentes/ingresar/", {"username": user.username, "password": AGENT_PASSWORD})
    key = client.session.session_key
    assert client.get("/agentes/inicio/").status_code == 200
    assert not _copy_in_redis(key)


def test_a_wizard_session_is_copied_and_its_copy_deleted_with_it(client, make_agent):
    agent = make_agent()
    wizard = RequestWizard(client)
    wizard.identify(agent)
    key = client.session.session_key
    assert _copy_in_redis(key)
    client.post("/agentes/solicitud/cancelar/")
    sessions.SessionStore(key).delete()
    assert not _copy_in_redis(key)


def test_without_redis_the_steps_are_read_from_the_rows(
    client, make_person, services, django_assert_max_num_queries
):
    """Redis stopped mid-registration: the step's GET reads its session row instead (and
    the breaker keeps every later call from waiting for Redis)."""
    from portal import redis_health

    person = make_person()
    wizard = ClientWizard(client)
    response = wizard.identify(person, follow=False)
    services.redis.stop()
    try:
        with django_assert_max_num_queries(3):
            page = client.get(response.url).text
        assert person.policies.first().numero_poliza in page
    finally:
        services.redis.start()
        redis_health.reset()


def test_the_copy_key_is_no_cookie(client, make_agent):
    """Redis's key names do not carry the session key (a reader of them learns no cookie)."""
    wizard = RequestWizard(client)
    wizard.identify(make_agent())
    key = client.session.session_key
    cache = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    names = [name.decode() for name in cache.scan_iter("*")]
    assert names and not any(key in name for name in names)
    values = [cache.get(name) or b"" for name in names if cache.type(name) == b"string"]
    assert not any(key.encode() in value for value in values)
