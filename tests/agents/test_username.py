"""The username rule (DESIGN, "Agent flow"): XAVIER SEMPERE PARRA → SPXA + 4 digits."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents import services
from agents.models import Agent
from portal.models import User


def person(nombre, paterno, materno):
    return Agent(nombre=nombre, apellido_paterno=paterno, apellido_materno=materno,
                 tipo_razon_social="FISICA")  # fmt: skip


def company(razon_social, nombre=""):
    return Agent(nombre=nombre, nombre_razon_social=razon_social, tipo_razon_social="MORAL")


@pytest.mark.parametrize(
    ("agent", "prefix"),
    [
        (person("XAVIER", "SEMPERE", "PARRA"), "SPXA"),  # the manual's example
        (person("ÁNGEL", "NÚÑEZ", "IBÁÑEZ"), "NIAN"),  # accents stripped
        (person("ÑOÑO", "MUÑOZ", "PEÑA"), "MPNO"),  # Ñ → N
        (person("josé", "pérez", "gómez"), "PGJO"),  # any case in, upper case out
        (person("BRUNO", "DELGADO", ""), "DXBR"),  # no maternal surname
        (person("BRUNO", "", "DELGADO"), "DXBR"),  # only the maternal surname
        (person("BRUNO", "", ""), "XXBR"),  # no surnames at all
        (person("J", "LOPEZ", "RUIZ"), "LRJX"),  # one-letter first name
        (person("MARÍA JOSÉ", "DE LA CRUZ", "O'NEILL"), "COMA"),  # particles, apostrophe
        (person("ANA", "GARCÍA-LUNA", "  "), "GXAN"),  # hyphen, blank surname
        (person("", "", ""), "XXXX"),
        (company("SERVICIOS PATRIMONIALES DEL NORTE SA DE CV"), "SPNE"),
        (company("AGENTES S.A. DE C.V."), "AGEN"),
        (company("", nombre="ÑANDÚ SEGUROS"), "NSAN"),  # razón social missing: the name
        (company("ALFA BETA GAMMA DELTA OMEGA, S.C."), "ABGD"),
        (company(""), "XXXX"),
    ],
)
def test_username_prefix_follows_the_rule(agent, prefix):
    assert services.username_prefix(agent) == prefix


@pytest.mark.django_db
def test_generated_username_is_prefix_and_four_digits():
    username = services.generate_username(person("XAVIER", "SEMPERE", "PARRA"))
    assert re.fullmatch(r"SPXA\d{4}", username)


@pytest.mark.django_db
def test_generated_username_avoids_every_taken_one_in_any_case():
    free = "SPXA0042"
    taken = [f"SPXA{n:04d}" for n in range(10_000) if f"SPXA{n:04d}" != free]
    # One of them stored in lower case: uniqueness is case-insensitive.
    taken[7] = taken[7].lower()
    User.objects.bulk_create([User(username=name, password="!") for name in taken])
    assert services.generate_username(person("XAVIER", "SEMPERE", "PARRA")) == free


@pytest.mark.django_db
def test_a_full_prefix_is_a_clear_error_for_the_reviewer(make_agent, make_request, make_reviewer):
    User.objects.bulk_create([User(username=f"SPXA{n:04d}", password="!") for n in range(10_000)])
    with pytest.raises(services.NoUsernameLeft, match="SPXA"):
        services.generate_username(person("XAVIER", "SEMPERE", "PARRA"))
    agent = make_agent(nombre="XAVIER", apellido_paterno="SEMPERE", apellido_materno="PARRA")
    request = make_request(agent=agent)
    with pytest.raises(services.DecisionError, match="SPXA"):  # the admin shows it
        services.approve_request(request.pk, make_reviewer())


@pytest.mark.django_db
def test_other_prefixes_do_not_count_as_collisions():
    User.objects.create(username="SPXB0001", password="!")
    assert services.generate_username(person("XAVIER", "SEMPERE", "PARRA")).startswith("SPXA")


@given(
    nombre=st.text(max_size=40),
    paterno=st.text(max_size=40),
    materno=st.text(max_size=40),
    razon_social=st.text(max_size=80),
    tipo=st.sampled_from(["FISICA", "MORAL", "moral ", ""]),
)
def test_any_name_gives_four_ascii_capitals(nombre, paterno, materno, razon_social, tipo):
    agent = Agent(nombre=nombre, apellido_paterno=paterno, apellido_materno=materno,
                  nombre_razon_social=razon_social, tipo_razon_social=tipo)  # fmt: skip
    assert re.fullmatch(r"[A-Z]{4}", services.username_prefix(agent))
