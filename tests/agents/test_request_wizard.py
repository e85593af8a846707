"""The agent access request wizard, step by step (001 §3.3–3.7)."""

import pytest
from django.core import mail

from agents.models import AccessRequest
from notifications.models import OutboxEmail
from portal import ratelimit

ERRORS_HEADING = "Se detectaron los siguientes errores:"
pytestmark = pytest.mark.django_db


def test_login_page_links_to_the_request_wizard(client):
    response = client.get("/agentes/ingresar/")
    assert "¿Nuevo Usuario?" in response.text
    assert 'href="/agentes/solicitud/">Solicítalo aquí.' in response.text


def test_step_one_shows_labels_progress_and_buttons_in_the_manuals_order(wizard):
    response = wizard.start()
    text = response.text
    assert response.status_code == 200
    for label in ("Clave de agente", "Clave Promotoría", "RFC"):
        assert f">{label} <span" in text
    assert "Paso 1 de 5" in text and "Identificar Agente" in text
    assert ">Cancelar<" in text and ">Continuar<" in text
    assert ">Regresar<" not in text  # nothing to go back to on the first step


def test_wrong_data_shows_the_manuals_message_and_keeps_the_typed_data(wizard, make_agent):
    agent = make_agent()
    response = wizard.identify(agent, rfc="SOPX690529MV4")
    assert ERRORS_HEADING in response.text
    assert "Los datos ingresados no coinciden ó el agente no está en vigor." in response.text
    assert f'value="{agent.clave_agente}"' in response.text
    assert 'value="SOPX690529MV4"' in response.text
    assert "Paso 1 de 5" in response.text


def test_agent_not_in_vigor_gets_the_same_message(wizard, make_agent):
    agent = make_agent(en_vigor=False)
    response = wizard.identify(agent)
    assert "Los datos ingresados no coinciden ó el agente no está en vigor." in response.text


def test_wrong_promotoria_gets_the_same_message(wizard, make_agent):
    agent = make_agent()
    response = wizard.identify(agent, clave_promotoria="999")
    assert "Los datos ingresados no coinciden ó el agente no está en vigor." in response.text


def test_agent_with_access_is_sent_to_administra_tu_usuario(wizard, make_agent, django_user_model):
    agent = make_agent()
    agent.user = django_user_model.objects.create_user("SPXA1522", kind="agent")
    agent.save()
    response = wizard.identify(agent)
    assert ERRORS_HEADING in response.text
    assert (
        "El agente ya cuenta con acceso a los portales disponibles. Favor de dirigirse a la "
        "sección" in response.text
    )
    assert '<a href="/agentes/usuario/">Administra tu usuario</a>' in response.text


def test_agent_with_pending_request_is_told_so(wizard, make_agent):
    from agents.models import Role

    agent = make_agent()
    AccessRequest.objects.create(agent=agent, role=Role.objects.first(), email=agent.email)
    response = wizard.identify(agent)
    assert "Ya hay una solicitud para esta clave de agente" in response.text


def test_rfc_is_compared_trimmed_and_in_any_case(wizard, make_agent):
    agent = make_agent()
    response = wizard.identify(agent, rfc=f"  {agent.rfc.lower()} ")
    assert "Datos generales" in response.text
    assert "Paso 2 de 5" in response.text


def test_empty_step_one_marks_each_required_field(wizard):
    wizard.start()
    response = wizard.post("identify", {"clave_agente": "", "clave_promotoria": "", "rfc": ""})
    assert ERRORS_HEADING in response.text
    assert response.text.count("Este campo es obligatorio.") >= 3


def test_step_two_shows_every_saa_field_and_the_agents_channels(wizard, make_agent):
    agent = make_agent(canales=["Individual Privado", "Grupo Privado"])
    wizard.start()
    text = wizard.identify(agent).text
    for label in (
        "Clave de Agente", "Tipo de Agente", "Nombre", "Apellido paterno", "Apellido materno",
        "Correo Electrónico", "R.F.C.", "Tipo de Cédula", "Número de Cédula",
        "Tipo de Razón Social", "Dirección solicitante", "Clave Promotor", "Nombre Promotor",
        "Clave Promotoría", "Nombre Promotoría", "Domicilio Fiscal", "Sector", "Mercado",
    ):  # fmt: skip
        assert f"<th>{label}</th>" in text, label
    assert agent.rfc in text and agent.nombre_promotor in text
    assert "Individual Privado" in text and "Grupo Privado" in text
    assert ">Regresar<" in text


def test_company_agent_shows_razon_social_and_apoderado(wizard, make_agent):
    agent = make_agent(
        tipo_razon_social="MORAL",
        nombre="SERVICIOS PATRIMONIALES DEL NORTE",
        apellido_paterno="",
        apellido_materno="",
        nombre_razon_social="SERVICIOS PATRIMONIALES DEL NORTE SA DE CV",
        nombre_apoderado_legal="ELENA QUIROGA MENDEZ",
    )
    wizard.start()
    text = wizard.identify(agent).text
    assert "<th>Nombre Razón Social</th>" in text and "ELENA QUIROGA MENDEZ" in text


def test_no_channel_selected_shows_the_manuals_message(wizard, make_agent):
    agent = make_agent()
    wizard.start()
    wizard.identify(agent)
    response = wizard.post("channels", {})
    assert ERRORS_HEADING in response.text
    assert "Se debe seleccionar al menos un canal." in response.text
    assert "Paso 2 de 5" in response.text


def test_a_channel_the_agent_does_not_have_is_refused(wizard, make_agent):
    from agents.models import Channel

    agent = make_agent()
    other = Channel.objects.create(name="Gobierno")
    wizard.start()
    wizard.identify(agent)
    response = wizard.post("channels", {"channels": [str(other.pk)]})
    assert "Se debe seleccionar al menos un canal." in response.text


def test_no_role_selected_shows_the_manuals_message(wizard, make_agent):
    agent = make_agent()
    wizard.start()
    wizard.identify(agent)
    wizard.choose_channels(agent)
    response = wizard.post("role", {"role": ""})
    assert ERRORS_HEADING in response.text
    assert "Se debe seleccionar el rol deseado." in response.text
    assert "Rol Deseado" in response.text


def test_roles_are_data_and_an_inactive_role_is_not_offered(wizard, make_agent):
    from agents.models import Role

    Role.objects.create(code="GERENTE", name="GERENTE", active=False)
    Role.objects.create(code="ASESOR", name="ASESOR PATRIMONIAL")
    agent = make_agent()
    wizard.start()
    wizard.identify(agent)
    text = wizard.choose_channels(agent).text
    assert "AGENTE" in text and "PROMOTOR" in text and "ASESOR PATRIMONIAL" in text
    assert "GERENTE" not in text
    assert "Datos Individual Privado" in text


def test_wrong_captcha_shows_the_manuals_message_and_a_new_challenge(wizard, make_agent):
    from captcha.models import CaptchaStore

    agent = make_agent()
    page = wizard.walk_to_submit(agent)
    first, _ = wizard.captcha_answer(page)
    response = wizard.send(page, answer="ZZZZZ")
    assert ERRORS_HEADING in response.text
    assert "El código introducido no coincide con el mostrado." in response.text
    assert 'value="xsoto@ejemplo.test"' in response.text  # typed data kept
    # The wrong answer burnt the challenge: it cannot be guessed again.
    assert not CaptchaStore.objects.filter(hashkey=first).exists()
    second, _ = wizard.captcha_answer(response)
    assert second != first
    assert not AccessRequest.objects.exists()


def test_different_emails_show_a_clear_message(wizard, make_agent):
    agent = make_agent()
    page = wizard.walk_to_submit(agent)
    response = wizard.send(page, confirmation="otro@ejemplo.test")
    assert ERRORS_HEADING in response.text
    assert "El correo electrónico y su confirmación no coinciden." in response.text
    assert not AccessRequest.objects.exists()


def test_submit_step_prefills_the_saa_email(wizard, make_agent):
    agent = make_agent()
    page = wizard.walk_to_submit(agent)
    assert f'value="{agent.email}"' in page.text
    assert "MUY IMPORTANTE" in page.text


def test_whole_flow_records_the_request_and_queues_the_email(
    wizard, make_agent, django_capture_on_commit_callbacks
):
    # The agent types the SAA email (in another case): the manual's flow, one email.
    agent = make_agent(canales=["Individual Privado", "Grupo Privado"], email="xsoto@ejemplo.test")
    page = wizard.walk_to_submit(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.send(page, email="XSoto@Ejemplo.test")
    assert response.redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302)
    request = AccessRequest.objects.get()
    assert request.agent == agent
    assert request.status == AccessRequest.Status.PENDING
    assert request.email == "xsoto@ejemplo.test"
    assert request.role.code == "AGENTE"
    assert sorted(c.name for c in request.channels.all()) == ["Grupo Privado", "Individual Privado"]
    outbox = OutboxEmail.objects.get()
    assert outbox.to == "xsoto@ejemplo.test" and outbox.template == "solicitud_recibida"
    assert outbox.status == OutboxEmail.Status.SENT
    assert len(mail.outbox) == 1
    sent = wizard.client.get("/agentes/solicitud/enviada/")
    assert "Solicitud enviada" in sent.text and "Paso 5 de 5" in sent.text
    assert "xsoto@ejemplo.test" in sent.text


def test_reloading_the_final_post_does_not_create_a_second_request(wizard, make_agent):
    agent = make_agent(email="a@ejemplo.test")
    page = wizard.walk_to_submit(agent)
    hashkey, answer = wizard.captcha_answer(page)
    data = {"email": "a@ejemplo.test", "email_confirmation": "a@ejemplo.test",
            "captcha_0": hashkey, "captcha_1": answer}  # fmt: skip
    assert wizard.post("submit", data).redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302)
    replay = wizard.post("submit", data)
    assert replay.status_code == 200
    assert "Paso 1 de 5" in replay.text  # the wizard starts over, nothing is sent twice
    assert AccessRequest.objects.count() == 1
    assert OutboxEmail.objects.count() == 1


def test_second_request_for_same_agent_shows_pending_message(wizard, make_agent, client):
    from django.test import Client

    agent = make_agent()
    other_tab = RequestWizardFor(Client())
    page_one = wizard.walk_to_submit(agent)
    page_two = other_tab.walk_to_submit(agent)
    assert wizard.send(page_one).redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302)
    response = other_tab.send(page_two)
    assert response.status_code == 200
    assert "Ya hay una solicitud para esta clave de agente" in response.text
    assert AccessRequest.objects.count() == 1


def test_done_checks_identity_again(wizard, make_agent):
    agent = make_agent()
    page = wizard.walk_to_submit(agent)
    agent.en_vigor = False  # the SAA changed while the agent filled in the form
    agent.save()
    response = wizard.send(page)
    assert "Los datos ingresados no coinciden ó el agente no está en vigor." in response.text
    assert not AccessRequest.objects.exists()


def test_agent_is_identified_once_and_checked_again_only_when_sent(wizard, make_agent):
    """Steps 2–4 and the final re-validation use the agent found on step 1: identifying again
    would count the now-failing data against the limit and lose the agent's data midway."""
    agent = make_agent(canales=["Grupo Privado"])

    def failures() -> int:
        return ratelimit.count("identify_agent", agent=agent.clave_agente)

    wizard.start()
    wizard.identify(agent, rfc="SOPX690529MV4")
    assert failures() == 1
    assert "Paso 2 de 5" in wizard.identify(agent).text
    agent.en_vigor = False  # the SAA changed while the agent filled in the form
    agent.save()
    role_step = wizard.choose_channels(agent)
    assert "Paso 3 de 5" in role_step.text and "Datos Grupo Privado" in role_step.text
    page = wizard.choose_role()
    assert "Paso 4 de 5" in page.text and f'value="{agent.email}"' in page.text
    assert failures() == 1
    response = wizard.send(page)
    assert "Los datos ingresados no coinciden ó el agente no está en vigor." in response.text
    assert "Paso 1 de 5" in response.text
    assert failures() == 1
    assert not AccessRequest.objects.exists()


def test_identifying_again_with_other_data_replaces_the_identified_agent(wizard, make_agent):
    first, second = make_agent(nombre="XIMENA"), make_agent(nombre="BEATRIZ")
    wizard.start()
    wizard.identify(first)
    text = wizard.identify(second).text  # Regresar to step 1, another agent's keys
    assert "Paso 2 de 5" in text
    assert "BEATRIZ" in text and "XIMENA" not in text


def test_regresar_goes_back_with_the_data_kept(wizard, make_agent):
    agent = make_agent()
    wizard.start()
    wizard.identify(agent)
    wizard.choose_channels(agent)
    response = wizard.post("role", {}, wizard_goto_step="channels")
    assert "Paso 2 de 5" in response.text
    assert "checked" in response.text  # the chosen channel is still ticked
    response = wizard.post("channels", {}, wizard_goto_step="identify")
    assert "Paso 1 de 5" in response.text
    assert f'value="{agent.clave_agente}"' in response.text


def test_cancelar_returns_to_login_and_forgets_the_data(wizard, make_agent):
    agent = make_agent()
    wizard.start()
    wizard.identify(agent)
    asked = wizard.client.get("/agentes/solicitud/cancelar/")  # asks, forgets nothing
    assert asked.status_code == 200 and "¿Cancelar la solicitud?" in asked.text
    assert "Paso 2 de 5" in wizard.open("channels").text
    response = wizard.client.post("/agentes/solicitud/cancelar/")
    assert response.status_code == 302 and response.url == "/agentes/ingresar/"
    again = wizard.start()
    assert "Paso 1 de 5" in again.text
    assert agent.clave_agente not in again.text


def test_posting_a_later_step_without_the_earlier_ones_goes_back_to_the_first(wizard, make_agent):
    agent = make_agent()
    wizard.start()
    response = wizard.post("submit", {"email": "a@ejemplo.test"})
    assert response.status_code == 200 and "Paso 1 de 5" in response.text
    response = wizard.choose_channels(agent)
    assert "Paso 1 de 5" in response.text
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize("step", ["junk", "", "sent", "../../etc", "identify\x00"])
def test_junk_step_names_never_500(wizard, step):
    wizard.start()
    response = wizard.post(step, {"x": "y"})
    assert response.status_code == 200
    assert "Paso 1 de 5" in response.text


def test_going_forward_with_goto_step_is_refused(wizard, make_agent):
    agent = make_agent()
    wizard.start()
    wizard.identify(agent)
    response = wizard.post("channels", {}, wizard_goto_step="submit")
    assert "Paso 2 de 5" in response.text


def test_sent_page_without_a_request_goes_to_login(client):
    response = client.get("/agentes/solicitud/enviada/")
    assert response.status_code == 302 and response.url == "/agentes/ingresar/"


def test_identification_attempts_are_limited(wizard, make_agent):
    agent = make_agent()
    wizard.start()
    for _ in range(10):
        wizard.identify(agent, rfc="SOPX690529MV4")
    response = wizard.identify(agent)  # even the right data is refused now
    assert "Se excedió el número de intentos" in response.text


def RequestWizardFor(client):
    from tests.helpers import RequestWizard

    return RequestWizard(client)
