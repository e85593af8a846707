"""The Nu Html Checker that runs over every page of the session (tests/html_check.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests import html_check
from tests.helpers import ROOT

DUPLICATE_TYPE = (
    '<!DOCTYPE html><html lang="es"><head><title>Ingresar</title></head><body><form>'
    '<label for="u">Correo</label><input type="text" type="email" name="u" id="u">'
    "</form></body></html>"
)
CLEAN = (
    '<!DOCTYPE html><html lang="es"><head><title>Ingresar</title></head><body><form>'
    '<label for="u">Correo</label><input type="email" name="u" id="u"></form></body></html>'
)


def test_checker_reports_the_duplicate_attribute_the_client_login_had(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(DUPLICATE_TYPE)
    page = html_check.Page("/clientes/ingresar/", 200, "t", ["portal/login.html"], bad)

    problems = html_check.check_pages([page])

    assert [p.message for p in problems] == ["Duplicate attribute “type”."]
    assert problems[0].page.path == "/clientes/ingresar/"
    assert "/clientes/ingresar/ [200] (portal/login.html, line 1)" in str(problems[0])


def test_checker_reports_nothing_on_a_clean_page(tmp_path):
    good = tmp_path / "good.html"
    good.write_text(CLEAN)

    assert html_check.check_pages([html_check.Page("/", 200, "t", [], good)]) == []


def test_the_same_page_with_another_csrf_token_is_kept_once(tmp_path):
    recorder = html_check.Recorder(tmp_path)
    for token in ("a" * 64, "b" * 64):
        body = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        recorder.record(path="/", status=200, body=body.encode(), templates=[])
    recorder.record(path="/", status=200, body=CLEAN.encode(), templates=[])

    assert len(recorder.pages) == 2
    assert recorder.responses == 3


@pytest.mark.skipif(html_check._recorder is None, reason="run without -p tests.html_check")
def test_a_page_the_test_client_gets_is_kept_with_its_template(client, db):
    client.get("/", headers={"accept-language": "es-MX"})

    pages = [page for page in html_check._recorder.pages.values() if page.path == "/"]
    assert pages and pages[0].file.read_bytes().lower().startswith(b"<!doctype html>")
    assert any(page.templates and page.templates[0] == "portal/home.html" for page in pages), [
        p.templates for p in pages
    ]


def test_a_page_with_an_error_fails_the_session_and_names_its_path(tmp_path):
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            f"""
            from tests import html_check

            def test_renders_the_old_client_login(tmp_path):
                html_check._recorder.record(
                    path="/clientes/ingresar/", status=200, body={DUPLICATE_TYPE.encode()!r},
                    templates=["portal/login.html"],
                )
            """
        )
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)

    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider",
         "-p", "tests.html_check", "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert "1 passed" in inner.stdout
    assert inner.returncode == pytest.ExitCode.TESTS_FAILED, inner.stdout
    assert "/clientes/ingresar/ [200] (portal/login.html, line 1): Duplicate attribute" in (
        inner.stdout
    )


@pytest.mark.parametrize("typed", ["ayer", "10/02/2026", "2026-02-30", "20260219"])
def test_a_date_picker_renders_no_value_that_is_no_date(typed):
    # The checker's finding on the dashboard's ?desde=ayer: HTML allows only a date there.
    from portal.date_input import IsoDateInput

    assert 'value="' not in IsoDateInput().render("desde", typed)
    assert 'value="2026-02-19"' in IsoDateInput().render("desde", "2026-02-19")
