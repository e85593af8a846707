"""Deploy checks (issue 5 §8): `check --deploy` is clean with production settings, the
security headers are on every page, and nothing meant for developers answers with DEBUG off.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns
from tests.helpers import ROOT, RequestWizard, fresh_env, manage


def boom(request) -> HttpResponse:
    raise RuntimeError("an unexpected error with a secret detail: SECRETO-INTERNO-42")


# The portal's URLs plus one view that fails, to see the 500 page a visitor would get.
urlpatterns = [path("prueba-de-error/", boom), *portal_urlpatterns]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a production web process: DEBUG off, a real secret key, no test
    relaxations (the suite turns off secure cookies and the SSL redirect for its client)."""
    variables = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "alta.example.com",
        "PORTAL_BASE_URL": "https://alta.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **overrides,
    }
    return fresh_env(tmp_path, **variables)


def test_check_deploy_reports_no_issues_with_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_check_deploy_would_catch_a_missing_hsts(tmp_path):
    """The check above is not vacuous: turning HSTS off in production makes it fail."""
    env = production_env(tmp_path, DJANGO_HSTS_SECONDS="0")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_captcha_test_mode_refuses_to_start_with_debug_off(tmp_path):
    result = manage("check", env=production_env(tmp_path, CAPTCHA_TEST_MODE="1"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CAPTCHA_TEST_MODE" in result.stderr


def test_captcha_test_mode_is_allowed_with_debug_on(tmp_path):
    env = production_env(tmp_path, CAPTCHA_TEST_MODE="1", DJANGO_DEBUG="1")
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(client):
    for url in ("/", "/agentes/ingresar/", "/clientes/ingresar/", "/admin/login/"):
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        directives = dict(
            (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
        )
        assert directives["default-src"] == ["'self'"], url
        assert directives["script-src"] == ["'self'"], url
        assert directives["style-src"] == ["'self'"], url
        assert directives["object-src"] == ["'none'"], url
        assert directives["frame-ancestors"] == ["'none'"], url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
        hsts = response["Strict-Transport-Security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts, url


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_behind_the_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # production's default (the suite turns it off)
    response = client.get("/agentes/ingresar/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/agentes/ingresar/"
    # The proxy terminates TLS and says so in X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
    behind_proxy = client.get("/agentes/ingresar/", headers={"X-Forwarded-Proto": "https"})
    assert behind_proxy.status_code == 200


@pytest.mark.django_db
def test_the_captcha_page_works_within_the_policy(client, make_agent):
    """The request wizard's last step shows the captcha image from our own origin."""
    agent = make_agent()
    page = RequestWizard(client).walk_to_submit(agent)
    assert page.status_code == 200
    image = re.search(r'<img src="([^"]+)"[^>]*class="captcha"', page.text).group(1)
    assert image.startswith("/captcha/image/")
    assert client.get(image).status_code == 200
    assert "default-src 'self'" in page["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:", re.I)


def test_page_templates_have_no_inline_script_or_style():
    """CSP forbids them; emails (templates/emails/) keep inline styles for mail clients."""
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        relative = template.relative_to(ROOT / "templates")
        if relative.parts[0] == "emails":
            continue
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER):
            for found in pattern.finditer(text):
                line = text.count("\n", 0, found.start()) + 1
                offenders.append(f"templates/{relative}:{line}: {found.group(0).strip()}")
    assert offenders == []


@pytest.mark.django_db
def test_dev_inbox_answers_404_with_debug_off(client, settings):
    settings.DEBUG = False
    assert client.get("/dev/correo/").status_code == 404
    assert client.get("/dev/correo/cualquiera/").status_code == 404


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_no_debug_pages_with_debug_off(client, settings):
    settings.DEBUG = False
    missing = client.get("/no-existe/")
    assert missing.status_code == 404
    for leak in ("URLconf", "urlpatterns", "agentes/", "admin/", "Traceback", "DEBUG = True"):
        assert leak not in missing.text
    client.raise_request_exception = False
    error = client.get("/prueba-de-error/")
    assert error.status_code == 500
    for leak in ("Traceback", "RuntimeError", "SECRETO-INTERNO-42", "settings", "DEBUG"):
        assert leak not in error.text


@pytest.mark.django_db
def test_admin_refuses_anonymous_and_non_staff(client, make_agent_user):
    anonymous = client.get("/admin/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")

    make_agent_user(password="Clave-Segura-2024", clave_agente="99001")
    refused = client.post(
        "/admin/login/?next=/admin/",
        {"username": "SPXA99001", "password": "Clave-Segura-2024"},
    )
    assert refused.status_code == 200  # the login form again, with an error
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_admin_refuses_a_signed_in_non_staff_user(client, make_agent_user):
    user = make_agent_user(clave_agente="99002")
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/agents/accessrequest/").status_code == 302


@pytest.mark.django_db
def test_admin_lets_staff_in(client, make_reviewer):
    client.force_login(make_reviewer("revisora-deploy"))
    assert client.get("/admin/").status_code == 200


def _pip_audit_judge():
    import importlib.util

    spec = importlib.util.spec_from_file_location("pip_audit_lint", ROOT / ".ci" / "pip_audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.judge


def test_make_lint_fails_on_a_known_vulnerability_and_passes_offline():
    """`make lint` runs pip-audit through .ci/pip_audit.py: pip-audit exits 1 for a
    vulnerability and for a network error alike, so the script judges its report."""
    judge = _pip_audit_judge()
    advisory = {"id": "PYSEC-0", "fix_versions": ["5.2.1"]}
    vulnerable = {"dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [advisory]},
        {"name": "alta", "skip_reason": "distribution marked as editable"},
    ]}  # fmt: skip
    status, message = judge(vulnerable)
    assert status == 1 and "PYSEC-0" in message
    clean = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}
    assert judge(clean)[0] == 0
    unreachable = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found"}]}
    status, message = judge(unreachable)
    assert status == 0 and "sin acceso" in message
    assert judge(None, "requests.exceptions.ConnectionError: Max retries exceeded")[0] == 0
    assert judge(None, "Traceback: KeyError 'x'")[0] == 1  # pip-audit broke: say so, fail


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_secret_key_or_hosts(tmp_path, missing):
    env = production_env(tmp_path)
    del env[missing]
    result = manage("check", env=env)
    assert result.returncode != 0
    # The last line is what an operator reads in `docker compose logs`: one line, naming it.
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"django.core.exceptions.ImproperlyConfigured: {missing} is not set")
    assert not (tmp_path / "var" / "secret-key").exists()  # no key made up on the spot


@pytest.mark.parametrize(
    ("base_url", "refusal"),
    [
        ("", "PORTAL_BASE_URL is not set"),
        ("http://alta.example.com", "PORTAL_BASE_URL=http://alta.example.com is plain http"),
        ("https://alta.example.com/portal", "PORTAL_BASE_URL is not a site's address"),
        ("alta.example.com", "PORTAL_BASE_URL is not a site's address"),
        ("https://user:pw@alta.example.com", "PORTAL_BASE_URL is not a site's address"),
        ("https://otro.example.com", "PORTAL_BASE_URL=https://otro.example.com names a host"),
    ],
)
def test_production_refuses_to_start_without_its_own_address_for_links(tmp_path, base_url, refusal):
    result = manage("check", env=production_env(tmp_path, PORTAL_BASE_URL=base_url))
    assert result.returncode != 0
    # One line, as for the other refusals; a password in the value is not repeated.
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"django.core.exceptions.ImproperlyConfigured: {refusal}"), last
    assert "pw@" not in result.stderr


@pytest.mark.parametrize(
    "unset", ["PRIVACY_RESPONSIBLE_NAME", "PRIVACY_RESPONSIBLE_ADDRESS", "PRIVACY_CONTACT_EMAIL"]
)
def test_production_refuses_to_start_with_the_fictional_insurer_in_the_privacy_notice(
    tmp_path, unset
):
    result = manage("check", env=production_env(tmp_path, **{unset: ""}))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"django.core.exceptions.ImproperlyConfigured: {unset} not set"), last


@pytest.mark.parametrize(
    ("base_url", "trial", "kept"),
    [
        ("https://alta.example.com:8443/", False, "https://alta.example.com:8443"),
        ("http://alta.example.com", True, "http://alta.example.com"),
    ],
)
def test_production_starts_with_https_or_plain_http_for_a_trial(tmp_path, base_url, trial, kept):
    relaxed = {"DJANGO_SECURE_COOKIES": "0", "DJANGO_SSL_REDIRECT": "0"} if trial else {}
    env = production_env(tmp_path, PORTAL_BASE_URL=base_url, **relaxed)
    show = "from django.conf import settings; print(settings.PORTAL_BASE_URL)"
    result = manage("shell", "--no-imports", "-c", show, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == kept


def test_the_embedded_mode_keeps_its_generated_key_in_var(tmp_path):
    env = fresh_env(tmp_path)  # no DATABASE_URL: DEBUG on, SQLite
    show = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = manage("shell", "--no-imports", "-c", show, env=env)
    second = manage("shell", "--no-imports", "-c", show, env=env)
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "var" / "secret-key").read_text().strip()
    assert len(key) >= 50
    assert first.stdout.strip() == second.stdout.strip() == key


def test_https_hsts_and_secure_cookies_are_on_unless_turned_off(tmp_path):
    show = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.LANGUAGE_COOKIE_SECURE)"
    )
    default = manage("shell", "--no-imports", "-c", show, env=production_env(tmp_path))
    assert default.stdout.split() == ["True", "31536000", "True", "True", "True"], default.stderr
    trial = production_env(tmp_path, DJANGO_SSL_REDIRECT="0", DJANGO_SECURE_COOKIES="0")
    relaxed = manage("shell", "--no-imports", "-c", show, env=trial)
    assert relaxed.stdout.split() == ["False", "31536000", "False", "False", "False"], (
        relaxed.stderr
    )
