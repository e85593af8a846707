"""The review queue on a reviewer's screen (issue 12, item 10): at 1280 px every column,
the overdue mark included, is seen without scrolling sideways; on a 360 px phone the table
scrolls in its own box and nothing is cut off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import AccessRequest
from portal.models import User

PASSWORD = "Clave-Admin-2026"
QUEUE = "/admin/agents/accessrequest/"


@pytest.fixture
def queue_page(page, make_agent, make_request):
    """A superuser signed in to admin in Chromium, with 20 pending requests of long names
    and emails, the oldest past the review deadline; returns the page and that request."""
    User.objects.create_superuser("directora", "directora@back.test", PASSWORD)
    requests = []
    for n in range(20):
        agent = make_agent(
            nombre="MARÍA GUADALUPE",
            apellido_paterno="GUTIÉRREZ",
            apellido_materno="VILLASEÑOR",
            email=f"maria.guadalupe.gutierrez.villasenor.{n}@promotoria-del-noroeste.ejemplo.test",
        )
        requests.append(make_request(agent))
    overdue = requests[0]
    AccessRequest.objects.filter(pk=overdue.pk).update(
        created_at=timezone.now() - timedelta(days=20)
    )
    page.goto("/admin/")
    page.get_by_label("Nombre de usuario").fill("directora")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Identificarse").click()
    page.get_by_role("link", name="Solicitudes de acceso").first.wait_for()
    return page, overdue


def overdue_mark(page, request):
    row = page.get_by_role("row").filter(has_text=request.agent.clave_agente)
    return row.get_by_text("vencida")


def inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    width, height = page.evaluate("[innerWidth, innerHeight]")
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] + box["height"] <= height
    )


# What the table's box shows: its own width, the width of what it holds, its right edge.
TABLE_BOX = """() => {
    const box = document.querySelector('#result_list').parentElement;
    return {client: box.clientWidth, scroll: box.scrollWidth,
            right: box.getBoundingClientRect().right, overflow: getComputedStyle(box).overflowX};
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_at_1280_px_every_column_and_the_overdue_mark_show_without_sideways_scrolling(
    queue_page,
):
    page, overdue = queue_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(QUEUE)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    table = page.evaluate(TABLE_BOX)
    assert table["scroll"] <= table["client"], table  # no column hidden in the table's box
    for header in ("Correo electrónico", "Enviada", "Antigüedad (días hábiles)", "Estatus"):
        assert inside_viewport(page, page.get_by_role("columnheader", name=header)), header
    mark = overdue_mark(page, overdue)
    assert mark.is_visible()
    assert inside_viewport(page, mark)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_at_360_px_the_table_scrolls_in_its_own_box_and_reaches_the_overdue_mark(queue_page):
    page, overdue = queue_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(QUEUE)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    table = page.evaluate(TABLE_BOX)
    assert table["right"] <= 360, table
    if table["scroll"] > table["client"]:
        assert table["overflow"] in ("auto", "scroll"), table
    mark = overdue_mark(page, overdue)
    mark.scroll_into_view_if_needed()
    assert inside_viewport(page, mark)
