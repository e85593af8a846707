"""Whatever is posted to the wizard, the answer is a page, never a 500 (DESIGN, "Rules")."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import User
from tests.helpers import ClientWizard

text = st.text(max_size=60)
STEPS = ["identify", "products", "code", "", "x" * 40]


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    identify=st.fixed_dictionaries(
        {
            "numero_poliza": text,
            "nombre": text,
            "apellido_paterno": text,
            "fecha_nacimiento": st.one_of(
                text, st.dates().map(str), st.dates().map(lambda d: d.strftime("%d/%m/%Y"))
            ),
        }  # fmt: skip
    ),
    products=st.fixed_dictionaries(
        {"email_choice": text, "new_email": text, "new_email_confirmation": text}
    ),
    code=text,
    step=st.sampled_from(STEPS),
    goto=st.one_of(st.none(), st.sampled_from(STEPS)),
)
def test_any_post_gets_a_page(make_person, identify, products, code, step, goto):
    from django.core.cache import cache

    cache.clear()
    wizard = ClientWizard(Client())
    wizard.identify(make_person(emails=["f@ejemplo.test"]))  # then anything at all
    for name, data in (("identify", identify), ("products", products)):
        assert wizard.post(name, data).status_code == 200
    extra = {"wizard_goto_step": goto} if goto is not None else {}
    response = wizard.post(step, {"code": code}, **extra)
    assert response.status_code == 200
    assert not User.objects.filter(kind=User.Kind.CLIENT).exists()
