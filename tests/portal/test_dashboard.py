"""The back-office dashboard (/admin/tablero/): its numbers and headline figures against
counts made here from the rows, the date filter, who sees it and its export link, and charts
that are self-contained SVG with whole-number axes and a table (closed) after each."""

from __future__ import annotations

import ast
import datetime
import random
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import AccessRequest
from agents.services.review import STANDARD_REJECTION_REASONS
from notifications.models import OutboxEmail
from portal import dashboard_charts
from portal.dashboard_charts import Chart, Section, whole_ticks
from portal.models import FunnelCount, User

pytestmark = pytest.mark.django_db

MEXICO = ZoneInfo("America/Mexico_City")
NOW = datetime.datetime(2026, 3, 20, 12, 0, tzinfo=MEXICO)  # a Friday
START, END = datetime.date(2026, 3, 9), datetime.date(2026, 3, 19)  # Benito Juárez: 16 March
URL = "/admin/tablero/"
RANGE = {"desde": START.isoformat(), "hasta": END.isoformat()}
DAYS = [START + datetime.timedelta(n) for n in range((END - START).days + 1)]


@pytest.fixture
def viewer(db):
    user = User.objects.create_user("tablero", "tablero@back.test", "x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    return user


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=MEXICO)


def make_requests(make_request) -> list[AccessRequest]:
    """Requests filed from 20 days before the range to its end, at hours near midnight (the
    local date is not the UTC one), some still pending, the others decided days later."""
    rng = random.Random(23)
    made = []
    reasons = [
        *STANDARD_REJECTION_REASONS,
        "Otro motivo escrito por la revisora.",
        f" {STANDARD_REJECTION_REASONS[0]} ",  # pasted with spaces: still the standard reason
    ]
    for _ in range(70):
        created = local(
            START - datetime.timedelta(rng.randint(-10, 20)), rng.choice([0, 9, 23]), 30
        )
        request = make_request()
        fields: dict = {"created_at": created}
        if rng.random() < 0.75:
            decided = created + datetime.timedelta(days=rng.randint(0, 8), hours=rng.randint(0, 20))
            if decided < NOW:
                status = rng.choice([AccessRequest.Status.APPROVED, AccessRequest.Status.REJECTED])
                fields.update(status=status, decided_at=decided)
                if status == AccessRequest.Status.REJECTED:
                    fields["rejection_reason"] = rng.choice(reasons)
        AccessRequest.objects.filter(pk=request.pk).update(**fields)
        request.refresh_from_db()
        made.append(request)
    return made


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(MEXICO).date()


def business_days(start: datetime.date, end: datetime.date) -> int:
    mexican = holidays.country_holidays("MX", years=[2026])
    return sum(
        1
        for n in range(1, (end - start).days + 1)
        if (day := start + datetime.timedelta(n)).weekday() < 5 and day not in mexican
    )


def charts(client, params: dict | None = None) -> dict:
    response = client.get(URL, params or RANGE)
    assert response.status_code == 200
    return {chart.slug: chart for chart in response.context["charts"]}


def headline(client, params: dict | None = None) -> dict:
    response = client.get(URL, params or RANGE)
    assert response.status_code == 200
    return {figure.slug: figure for figure in response.context["headline"]}


# --- the numbers ---------------------------------------------------------------------------
# The second range ends before most requests were filed and decided: the queue is counted back
# from the range's end, so what came after it must not count.
@pytest.mark.parametrize("last", [END, START + datetime.timedelta(4)])
def test_request_charts_equal_counts_made_from_the_rows(client, viewer, make_request, travel, last):
    made = make_requests(make_request)
    client.force_login(viewer)
    days = [day for day in DAYS if day <= last]
    shown = charts(client, {"desde": START.isoformat(), "hasta": last.isoformat()})

    def decided_on(request, day):
        return request.decided_at is not None and local_date(request.decided_at) == day

    queue = [
        sum(1 for r in made if local_date(r.created_at) <= day)
        - sum(1 for r in made if r.decided_at and local_date(r.decided_at) <= day)
        for day in days
    ]
    assert [values for _label, values in shown["cola"].rows] == [[n] for n in queue]
    approved = [sum(1 for r in made if decided_on(r, d) and r.status == "aprobada") for d in days]
    rejected = [sum(1 for r in made if decided_on(r, d) and r.status == "rechazada") for d in days]
    assert [values for _label, values in shown["decisiones"].rows] == [
        list(pair) for pair in zip(approved, rejected, strict=True)
    ]
    # The sample decides enough to mean something, and some after the range.
    assert sum(approved) + sum(rejected) >= 10
    assert any(r.decided_at and local_date(r.decided_at) > last for r in made)

    in_range = [r for r in made if r.decided_at and START <= local_date(r.decided_at) <= last]
    ages = [business_days(local_date(r.created_at), local_date(r.decided_at)) for r in in_range]
    buckets = [sum(1 for a in ages if a == n) for n in range(4)] + [sum(1 for a in ages if a > 3)]
    assert [values[0] for _label, values in shown["plazo"].rows] == buckets
    within = sum(buckets[:4]) * 100 / len(ages)
    assert (
        f"{within:.1f}".replace(".", ",") in shown["plazo"].summary
        or f"{within:.1f}" in shown["plazo"].summary
    )

    rejections = [r for r in in_range if r.status == "rechazada"]
    expected = [
        sum(1 for r in rejections if r.rejection_reason.strip() == reason)
        for reason in STANDARD_REJECTION_REASONS
    ]
    expected.append(
        sum(1 for r in rejections if r.rejection_reason.strip() not in STANDARD_REJECTION_REASONS)
    )
    if last == END:  # the whole range has a standard reason written with spaces
        assert any(r.rejection_reason.startswith(" ") for r in rejections)
    assert [values[0] for _label, values in shown["motivos"].rows] == expected
    assert shown["motivos"].labels[-1] == "Otro"

    # The headline: now (whatever the range), then the range's decisions and their share.
    figures = headline(client, {"desde": START.isoformat(), "hasta": last.isoformat()})
    pending = [r for r in made if r.decided_at is None]
    overdue = [r for r in pending if business_days(local_date(r.created_at), NOW.date()) > 3]
    assert 0 < len(overdue) < len(pending)  # the sample has both
    assert figures["pendientes"].value == len(pending)
    assert figures["vencidas"].value == len(overdue)
    assert figures["aprobadas"].value == sum(approved)
    assert figures["rechazadas"].value == sum(rejected)
    assert figures["en-plazo"].value == pytest.approx(within)
    assert figures["en-plazo"].text.replace(",", ".") == f"{within:.1f}\N{NO-BREAK SPACE}%"
    assert [figure.text for figure in figures.values()][:4] == [
        str(len(pending)), str(len(overdue)), str(sum(approved)), str(sum(rejected)),
    ]  # fmt: skip


def test_outbox_chart_counts_each_status_with_the_previous_spellings(client, viewer, travel):
    statuses = ["enviado", "sent", "pendiente", "pending", "fallido", "failed"]
    rows = []
    for n in range(30):
        status = statuses[n % len(statuses)]
        rows.append((local(DAYS[n % len(DAYS)], [0, 12, 23][n % 3], 45), status))
    rows.append((local(START - datetime.timedelta(1), 23, 59), "enviado"))  # before the range
    for created, status in rows:
        email = OutboxEmail.objects.create(to="x@ejemplo.test", template="solicitud_recibida")
        OutboxEmail.objects.filter(pk=email.pk).update(created_at=created, status=status)
    client.force_login(viewer)
    shown = charts(client)["correos"]
    spelled = {"enviado": 0, "sent": 0, "pendiente": 1, "pending": 1, "fallido": 2, "failed": 2}
    expected = [[0, 0, 0] for _ in DAYS]
    for created, status in rows:
        if START <= created.date() <= END:
            expected[DAYS.index(created.date())][spelled[status]] += 1
    assert [values for _label, values in shown.rows] == expected
    assert [str(name) for name, _values in shown.series] == ["Enviados", "Pendientes", "Fallidos"]
    failed = headline(client)["correos-fallidos"]
    assert failed.value == sum(row[2] for row in expected) == 10
    assert failed.label == "Correos fallidos en el periodo"


def test_headline_with_nothing_decided_says_so(client, viewer, travel):
    client.force_login(viewer)
    figures = headline(client)
    assert [figure.value for figure in figures.values()] == [0, 0, 0, 0, None, 0]
    assert figures["en-plazo"].text == "—"
    assert figures["en-plazo"].note == "Ninguna solicitud decidida en el periodo."
    page = client.get(URL).text
    assert page.index("Pendientes ahora") < page.index('<div class="alta-charts">')


def test_funnel_chart_sums_the_days_of_the_range(client, viewer, travel):
    FunnelCount.objects.bulk_create(
        [
            FunnelCount(wizard="agents", step="identify", day=START, count=7),
            FunnelCount(wizard="agents", step="identify", day=END, count=5),
            FunnelCount(wizard="agents", step="fin", day=END, count=2),
            FunnelCount(wizard="agents", step="identify", day=END + datetime.timedelta(1), count=9),
        ]
    )
    client.force_login(viewer)
    shown = charts(client)["embudo-agents"]
    names = [str(name) for name, _values in shown.series]
    assert names == ["Identificar Agente", "Datos generales y Canales Disponibles",
                     "Datos Individual Privado", "Envío de solicitud", "Terminaron"]  # fmt: skip
    rows = dict(shown.rows)
    assert rows[shown.labels[0]] == [7, 0, 0, 0, 0]
    assert rows[shown.labels[-1]] == [5, 0, 0, 0, 2]
    assert "Identificar Agente: 12" in shown.summary and "Terminaron: 2" in shown.summary


# --- the date range ------------------------------------------------------------------------
def test_default_range_is_the_last_30_days(client, viewer, travel):
    client.force_login(viewer)
    response = client.get(URL)
    period = response.context["period"]
    assert (period.start, period.end) == (datetime.date(2026, 2, 19), datetime.date(2026, 3, 20))
    assert "Se detectaron los siguientes errores:" not in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"desde": "ayer", "hasta": "2026-03-19"}, "Escribe una fecha válida."),
        (
            {"desde": "2026-03-19", "hasta": "2026-03-01"},
            "La fecha «Desde» debe ser anterior a «Hasta».",
        ),
        (
            {"desde": "2024-01-01", "hasta": "2026-03-19"},
            "El periodo puede abarcar a lo más 366 días.",
        ),
        ({"desde": "2026-02-30"}, "Escribe una fecha válida."),
    ],
)
def test_bad_range_shows_a_message_and_the_default_range(client, viewer, travel, params, message):
    client.force_login(viewer)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert "Se detectaron los siguientes errores:" in response.text
    assert message in response.text
    assert "Se muestran los últimos 30 días." in response.text
    assert response.context["period"].start == datetime.date(2026, 2, 19)


def test_a_year_is_accepted(client, viewer, travel):
    client.force_login(viewer)
    response = client.get(URL, {"desde": "2025-03-20", "hasta": "2026-03-20"})
    assert len(response.context["period"].days) == 366
    assert "Se detectaron los siguientes errores:" not in response.text


# --- who sees it ---------------------------------------------------------------------------
EXPORT_LINK = (
    '<a href="/admin/agents/accessrequest/exportar/?desde=2026-03-09&amp;hasta=2026-03-19">'
    "Exportar CSV</a>"
)


@pytest.mark.parametrize(
    ("permissions", "shown"),
    [
        ([], False),
        (["view_accessrequest"], False),  # the queue, but no agent's or decision's record
        (["view_agent", "view_decision"], False),  # records, but not the queue
        (["view_accessrequest", "view_agent"], True),
        (["view_accessrequest", "view_decision"], True),
    ],
)
def test_the_export_link_is_shown_only_to_who_may_export(
    client, viewer, travel, permissions, shown
):
    viewer.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="agents", codename__in=permissions)
    )
    client.force_login(viewer)
    page = client.get(URL, RANGE).text
    assert (EXPORT_LINK in page) is shown
    # The link opens the export page for the range shown; without it, the page refuses.
    export = client.get("/admin/agents/accessrequest/exportar/", RANGE)
    assert export.status_code == (200 if shown else 403)
    if shown:
        assert 'value="2026-03-09"' in export.text and 'value="2026-03-19"' in export.text


def test_staff_without_the_permission_is_refused_and_not_shown_the_link(client, make_reviewer):
    client.force_login(make_reviewer())
    assert client.get(URL).status_code == 403
    assert client.get(URL + "grafica/cola.svg").status_code == 403
    assert "/admin/tablero/" not in client.get("/admin/").text


def test_holders_and_superusers_see_it_and_its_link(client, viewer, django_user_model):
    client.force_login(viewer)
    assert client.get(URL).status_code == 200
    assert 'href="/admin/tablero/"' in client.get("/admin/").text
    root = django_user_model.objects.create_superuser("raiz", "raiz@back.test", "x")
    client.force_login(root)
    assert client.get(URL).status_code == 200


def test_anonymous_non_staff_and_no_second_factor_go_to_the_login(client, viewer, settings):
    assert client.get(URL)["Location"].startswith("/admin/login/")
    agent = User.objects.create_user("agente", kind=User.Kind.AGENT)
    agent.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    client.force_login(agent)
    assert client.get(URL).status_code == 302
    settings.STAFF_MFA = "required"
    client.force_login(viewer)
    assert client.get(URL).status_code == 302
    assert client.get(URL + "grafica/cola.svg").status_code == 302


# --- the charts ----------------------------------------------------------------------------
def test_each_chart_is_an_svg_without_script_or_address_and_has_its_table(
    client, viewer, make_request, travel
):
    make_requests(make_request)
    client.force_login(viewer)
    page = client.get(URL, RANGE).text
    slugs = re.findall(r'<img src="/admin/tablero/grafica/([\w-]+)\.svg\?([^"]+)"', page)
    assert [slug for slug, _query in slugs] == [
        "cola", "decisiones", "plazo", "motivos", "correos", "embudo-agents", "embudo-registration",
    ]  # fmt: skip
    assert page.count("<table>") == len(slugs) and page.count("<caption>") == len(slugs)
    assert page.count('<th scope="col">') >= 2 * len(slugs)
    # Each table right after its chart, closed, its summary naming the chart; the image's
    # text says where the numbers are.
    titles = re.findall(r'<h2 id="chart-[\w-]+">([^<]+)</h2>', page)
    blocks = page.split('<section class="module alta-chart"')[1:]
    assert len(titles) == len(blocks) == len(slugs)
    for title, block in zip(titles, blocks, strict=True):
        assert re.search(
            r'<img [^>]*alt="Gráfica: [^"]+ Sus datos están en la tabla que sigue, tras '
            r'«Ver los datos».">\s*<details class="alta-chart-data">\s*'
            rf"<summary>Ver los datos de «{re.escape(title)}»</summary>",
            block,
        ), block[:600]
        assert block.index("<details") < block.index("<table>") < block.index("</details>")
    assert page.count("<details") == len(slugs) and " open" not in page.split("<details")[1]
    for slug, query in slugs:
        response = client.get(f"{URL}grafica/{slug}.svg?{query.replace('&amp;', '&')}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("image/svg+xml")
        svg = response.content.decode()
        assert "<svg" in svg and "<script" not in svg.lower()
        # The only address is the SVG namespace's name, which nothing fetches.
        assert re.findall(r"https?://", svg.replace('xmlns="http://www.w3.org/2000/svg"', "")) == []
        assert "xlink:href" not in svg and "url(" not in svg
        nonce = re.search(r'<style nonce="([^"]+)"', svg).group(1)
        policy = response["Content-Security-Policy"]
        assert policy == f"default-src 'none'; style-src 'nonce-{nonce}'; frame-ancestors 'none'"
        assert " style=" not in svg  # a style attribute would need 'unsafe-inline'


def value_axis(svg: str) -> list[str]:
    """The labels of a pygal chart's value axis (y, or x for horizontal bars)."""
    start = svg.index('always_show">')
    end = min(svg.find(mark, start) % len(svg) for mark in ('<g class="axis ', '<g class="series'))
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg[start:end])


@pytest.mark.parametrize("kind", ["Line", "StackedBar", "Bar", "HorizontalBar"])
@pytest.mark.parametrize(("values", "labels"), [([0, 0, 0], ["0", "1"]), ([3, 7, 1], None)])
def test_a_chart_counts_in_whole_numbers(kind, values, labels):
    """An empty chart's axis is 0 and 1, not 0, 0.1, … 1; a full one's, whole steps."""
    chart = Chart("x", "Prueba", kind, "Día", ["a", "b", "c"], [("n", values), ("m", values)])
    shown = value_axis(chart.svg())
    assert shown == (labels or [str(n) for n in whole_ticks(chart.top)])
    assert all(label.isdigit() for label in shown)


def test_whole_ticks_step_by_one_two_or_five():
    assert whole_ticks(0) == [0, 1]
    assert whole_ticks(6) == [0, 1, 2, 3, 4, 5, 6]
    assert whole_ticks(7) == [0, 2, 4, 6, 8]
    assert whole_ticks(13) == [0, 5, 10, 15]
    assert whole_ticks(1234) == [0, 500, 1000, 1500]


def test_thirty_days_label_only_some_days(client, viewer, travel):
    """30 dates side by side in half a page overlap: only some are written."""
    client.force_login(viewer)
    svg = client.get(URL + "grafica/decisiones.svg").content.decode()
    start = svg.index('<g class="axis x">')
    written = re.findall(r'<text[^>]*class="major"[^>]*>([^<]+)</text>', svg[start:])
    assert 3 <= len(written) <= 8, written


def test_an_unknown_chart_is_not_found(client, viewer):
    client.force_login(viewer)
    assert client.get(URL + "grafica/nada.svg").status_code == 404


def test_the_page_in_english(client, viewer, travel):
    client.force_login(viewer)
    response = client.get(URL, RANGE, HTTP_ACCEPT_LANGUAGE="en")
    assert "Decisions per day" in response.text
    assert "Rejection reasons" in response.text
    assert "See the data of «Decisions per day»" in response.text
    assert "Pending now" in response.text and "Failed emails in the period" in response.text


# --- layering and cost ---------------------------------------------------------------------
def test_the_shared_package_imports_no_feature_app():
    """portal is below the feature apps: they register their sections with it, not the
    reverse (imports inside functions included)."""
    found = []
    for path in Path(dashboard_charts.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FEATURE_APPS]
    assert found == []


FEATURE_APPS = {"agents", "registration"}


def test_the_page_shows_the_registered_sections_then_its_own(client, viewer, monkeypatch, travel):
    def build(days: int) -> Chart:
        return Chart("prueba", "Una sección de prueba", "Bar", "Días", ["periodo"], [("n", [days])])

    section = Section(lambda period: len(period.days), {"prueba": build})
    monkeypatch.setattr(dashboard_charts, "REGISTERED", [section])
    client.force_login(viewer)
    assert list(charts(client)) == ["prueba", "correos", "embudo-agents", "embudo-registration"]
    assert client.get(URL + "grafica/prueba.svg", RANGE).status_code == 200
    monkeypatch.setattr(dashboard_charts, "REGISTERED", [])
    assert list(charts(client)) == ["correos", "embudo-agents", "embudo-registration"]
    assert client.get(URL + "grafica/cola.svg").status_code == 404


def test_the_page_reads_each_table_in_a_few_grouped_queries(client, viewer, make_request, travel):
    make_requests(make_request)
    client.force_login(viewer)
    for params in (RANGE, {"desde": "2025-03-20", "hasta": "2026-03-20"}):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, params).status_code == 200
        tables = [
            table
            for query in queries
            for table in re.findall(r'FROM "(\w+)"', query["sql"])
            if table in ("agents_accessrequest", "notifications_outboxemail", "portal_funnelcount")
        ]
        # Requests: pending and overdue now (the headline), pending at the range's end, filed
        # per day, decided per (filed, decided) day.
        assert sorted(tables) == [
            *["agents_accessrequest"] * 4, "notifications_outboxemail", "portal_funnelcount",
        ]  # fmt: skip
