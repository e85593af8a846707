"""One autofocus per login page (the Nu HTML checker's finding, issue 24): the name field on
arrival; after a refusal (answered 303, shown by the GET that follows) the error summary,
which a screen reader then reads first, and no longer the name field as well."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.helpers import LOGINS, post_login

pytestmark = pytest.mark.django_db


class Autofocused(HTMLParser):
    """The elements of a page that carry the autofocus attribute, as (tag, id)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if "autofocus" in names:
            self.found.append((tag, names.get("id")))


def autofocused(html: str) -> list[tuple[str, str | None]]:
    parser = Autofocused()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("portal", ["agents", "clients"])
def test_a_login_page_has_one_autofocus_the_name_field_then_the_errors(client, portal):
    assert autofocused(client.get(LOGINS[portal][0]).text) == [("input", "id_username")]

    refused = post_login(client, portal, "nadie@ejemplo.test", "equivocada-123")
    assert refused.status_code == 200
    assert "Se detectaron los siguientes errores:" in refused.text
    assert autofocused(refused.text) == [("div", "errores")]

    # Shown once: a reload is the page as on arrival, the name field focused again.
    assert autofocused(client.get(LOGINS[portal][0]).text) == [("input", "id_username")]
