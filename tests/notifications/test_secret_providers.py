"""The outbox's secret providers are looked up by template: each template has at most one, a
row the previous release queued with its provider's dotted path is still sent with its
secret, and a row that expects a secret no provider makes fails instead of going out without."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from notifications import secret_providers, services
from notifications.models import OutboxEmail
from portal import codes
from portal.models import OneTimeCode

pytestmark = pytest.mark.django_db

# What the previous release stored in `secret_provider`, by template (agents' provider under
# both the path before and the path after agents/services/ became a package): paths its
# workers import (registration/services.py and portal/accounts/services.py were modules).
PREVIOUS_RELEASE_PATHS = [
    ("codigo", "portal.codes.generate_for_email"),
    ("restablecer_contrasena", "portal.accounts.services.password_link_provider"),
    ("cliente_registro", "portal.accounts.services.password_link_provider"),
    ("enlace_contrasena_agente", "portal.accounts.services.password_link_provider"),
    ("cliente_correo_nuevo", "registration.services.block_link_for_email"),
    ("invitacion_registro", "registration.services.generate_key_for_email"),
    ("contrasena_generada", "agents.services.review.temporary_password_provider"),
    ("contrasena_generada", "agents.services.temporary_password_provider"),
]
PREVIOUS_RELEASE_TEMPLATES = sorted({template for template, _path in PREVIOUS_RELEASE_PATHS})


def text_of(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


@pytest.mark.parametrize(("template", "path"), PREVIOUS_RELEASE_PATHS)
def test_every_path_the_previous_release_stored_is_the_provider_registered_for_its_template(
    template, path
):
    provider = secret_providers.provider_for(template)
    assert provider is not None and import_string(path) is provider


def test_a_row_queued_by_the_previous_release_with_a_dotted_path_is_sent_with_its_secret(smtp):
    code = OneTimeCode.objects.create(purpose="registro", subject="person:1", email="a@b.test")
    # As the previous release wrote it: the provider named by its path, no registry.
    row = OutboxEmail.objects.create(
        to="a@b.test",
        template="codigo",
        context={"full_name": "ANA", "code_id": code.pk},
        secret_provider="portal.codes.generate_for_email",
    )
    assert services.deliver_email(row.pk) == "sent"
    sent = re.search(r"\b(\d{6})\b", text_of(smtp.messages[0])).group(1)
    assert codes.check_code("registro", "person:1", "a@b.test", sent) == codes.Check.OK


def test_a_new_row_stores_its_providers_path_for_the_previous_releases_workers():
    codes.send_code(
        "registro", "person:1", "a@b.test", "codigo", {"full_name": "ANA"},
        session_key="s", ip="10.0.0.1",
    )  # fmt: skip
    assert OutboxEmail.objects.get().secret_provider == "portal.codes.generate_for_email"


@pytest.mark.parametrize("template", PREVIOUS_RELEASE_TEMPLATES)
def test_a_new_rows_stored_path_is_one_the_previous_releases_workers_import(template):
    # Not the module a provider moved to (registration.services.blocking.…): during an
    # upgrade the previous release's workers import the stored path, and fail on that one.
    row = services.queue_email("a@b.test", template, {})
    assert (template, row.secret_provider) in PREVIOUS_RELEASE_PATHS


@pytest.mark.parametrize("template", sorted(secret_providers._by_template))
def test_every_registered_providers_stored_path_imports_that_provider(template):
    provider = secret_providers.provider_for(template)
    assert import_string(secret_providers.dotted_path(provider)) is provider


def test_a_template_with_no_provider_and_no_stored_path_is_sent_without_secrets(smtp):
    row = services.queue_email("a@b.test", "solicitud_rechazada", {"full_name": "ANA"})
    assert row.secret_provider == ""
    assert services.deliver_email(row.pk) == "sent"
    row.refresh_from_db()
    assert row.sealed_secrets == "" and len(smtp.messages) == 1


def test_a_stored_path_whose_template_has_no_provider_fails_the_attempt_and_sends_nothing(smtp):
    row = OutboxEmail.objects.create(
        to="a@b.test",
        template="solicitud_rechazada",
        context={"full_name": "ANA"},
        secret_provider="somewhere.removed.provider",
    )
    assert services.deliver_email(row.pk) == "pending"
    row.refresh_from_db()
    assert row.last_error.startswith("LookupError") and "solicitud_rechazada" in row.last_error
    assert smtp.attempts == 0


def test_a_second_provider_for_a_template_is_refused():
    with pytest.raises(ImproperlyConfigured, match="codigo"):
        secret_providers.register("codigo", lambda email: {"code": "000000"})
    assert secret_providers.provider_for("codigo") is codes.generate_for_email


def test_a_code_for_a_template_its_provider_is_not_registered_for_is_refused_before_any_write():
    with pytest.raises(ImproperlyConfigured, match="solicitud_recibida"):
        codes.send_code(
            "registro", "person:1", "a@b.test", "solicitud_recibida", {"full_name": "ANA"},
            session_key="s", ip="10.0.0.1",
        )  # fmt: skip
    assert not OneTimeCode.objects.exists() and not OutboxEmail.objects.exists()
