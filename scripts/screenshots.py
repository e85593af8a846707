"""`make screenshots`: PNGs of the main screens, at 360 and 1280 px, from a real Chromium run.

The embedded default in a throwaway folder (SQLite, DEBUG, eager Celery, the dev inbox),
migrated and loaded with the demo data, served by `runserver` on a free port; Chromium
(Debian's, through Playwright, locale es-MX) walks both flows as a person would, finding
fields by label, reading the captcha's answer from the database and the code from the dev
inbox. Each screen is taken at every width by resizing the same page, so one walk serves
both. Usage: `.venv/bin/python scripts/screenshots.py [--out DIR] [--only home,agent-1]`.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import helpers  # noqa: E402
from tests.services import free_port, launch_chromium, stop_processes, wait_for_port  # noqa: E402

PYTHON = sys.executable
WIDTHS = (360, 1280)
HEIGHT = 800
# The demo data's cases (demo/saa.csv, demo/policies.csv; README "Demo data").
AGENT = {"clave": "1076", "promotoria": "131", "rfc": "SOPX690529MV4"}
AGENT_EMAIL = "ximena.soto@ejemplo.test"
CLIENT = {"poliza": "7100234518", "nombre": "MARÍA", "paterno": "RODRÍGUEZ"}
CLIENT_BIRTH = "12/03/1985"
CLIENT_EMAIL = "maria.rodriguez@ejemplo.test"
ADMIN_LOGIN = re.compile(r"Administrador de demostración: usuario «([^»]+)», contraseña «([^»]+)»")


def embedded_env(var_dir: Path) -> dict[str, str]:
    """This environment as the embedded default under `var_dir`: nothing of a full setup."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "EMAIL_HOST")
    }
    env.update(ALTA_VAR_DIR=str(var_dir), DJANGO_DEBUG="1", PYTHONUNBUFFERED="1")
    return env


def manage(*args: str, env: dict[str, str]) -> str:
    """What manage.py `args` prints (tests/helpers.py runs it); stops the script if it fails."""
    done = helpers.manage(*args, env=env)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


class Shooter:
    """Saves the screens asked for (all, or those named by --only) at every width."""

    def __init__(self, out: Path, only: list[str]) -> None:
        self.out = out
        self.only = only
        self.saved: list[Path] = []

    def wanted(self, name: str) -> bool:
        return not self.only or any(name == o or name.startswith(o + "-") for o in self.only)

    def done(self, names: list[str]) -> bool:
        """Whether nothing later in a walk is wanted: the walk can stop there."""
        return not any(self.wanted(name) for name in names)

    def shoot(self, page: Page, name: str) -> None:
        if not self.wanted(name):
            return
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            page.wait_for_timeout(100)  # a reflow after the resize
            path = self.out / f"{name}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            self.saved.append(path)
            print(f"  {path}")
        page.set_viewport_size({"width": WIDTHS[-1], "height": HEIGHT})


def captcha_answer(page: Page, database: Path) -> str:
    """The captcha's answer, read from its store by the form's hidden key."""
    hashkey = page.locator("input[name$='captcha_0']").input_value()
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT response FROM captcha_captchastore WHERE hashkey = ?", (hashkey,)
        ).fetchone()
    return str(row[0])


def inbox(var_dir: Path) -> list[email.message.EmailMessage]:
    """The dev inbox's emails, oldest first."""
    files = sorted((var_dir / "correo").glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files
    ]


def newest_email(
    var_dir: Path, subject_part: str, timeout: float = 15
) -> email.message.EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(inbox(var_dir)):
            if subject_part in str(message["Subject"]):
                return message
        time.sleep(0.2)
    raise SystemExit(f"no email whose subject has {subject_part!r} in the dev inbox")


def shoot_email(page: Page, shots: Shooter, message: email.message.EmailMessage, name: str) -> None:
    """An email as a mail client shows it: its HTML part, alone, on a blank page (the
    portal's Content-Security-Policy would drop the inline styles mail clients rely on)."""
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        page.goto("about:blank")
        page.set_content(html.get_content())
        shots.shoot(page, name)


def plain_text(message: email.message.EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",))
    return text.get_content() if text else ""


def agent_walk(page: Page, shots: Shooter, database: Path, var_dir: Path) -> None:
    names = ["home", "agent-login", "agent-1-errors", "agent-2-channels", "agent-3-role",
             "agent-4-submit", "agent-5-sent", "agent-6-status"]  # fmt: skip
    page.goto("/")
    shots.shoot(page, "home")
    if shots.done(names[1:]):
        return
    page.get_by_role("link", name="Agentes").click()
    shots.shoot(page, "agent-login")
    if shots.done(names[2:]):
        return
    page.get_by_role("link", name="Solicítalo aquí.").click()
    page.get_by_label("Clave de agente").fill(AGENT["clave"])
    page.get_by_label("Clave Promotoría").fill(AGENT["promotoria"])
    page.get_by_label("RFC").fill("XAXX010101000")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Se detectaron los siguientes errores:")).to_be_visible()
    shots.shoot(page, "agent-1-errors")
    if shots.done(names[3:]):
        return
    page.get_by_label("RFC").fill(AGENT["rfc"])
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Paso 2 de 5")).to_be_visible()
    page.get_by_label("Individual Privado").check()
    shots.shoot(page, "agent-2-channels")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Paso 3 de 5")).to_be_visible()
    page.get_by_label("Rol Deseado").select_option(label="AGENTE")
    shots.shoot(page, "agent-3-role")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Paso 4 de 5")).to_be_visible()
    page.get_by_label(re.compile(r"^Correo electrónico")).fill(AGENT_EMAIL)
    page.get_by_label("Confirmar correo electrónico").fill(AGENT_EMAIL)
    page.get_by_label("Código de verificación").fill(captcha_answer(page, database))
    shots.shoot(page, "agent-4-submit")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_role("heading", name="Solicitud enviada")).to_be_visible()
    shots.shoot(page, "agent-5-sent")
    if shots.done(names[7:]):
        return
    # The "request received" email's link to the request's status page (no login).
    found = re.search(
        r"\S+/agentes/solicitud/estado/\S+", plain_text(newest_email(var_dir, "recibida"))
    )
    if not found:
        raise SystemExit("no status link in the request-received email")
    page.goto(found.group(0))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shots.shoot(page, "agent-6-status")


def client_walk(page: Page, shots: Shooter, var_dir: Path) -> None:
    page.goto("/")
    page.get_by_role("link", name="Clientes").click()
    page.get_by_role("link", name="Aún no estoy registrado").click()
    expect(page.get_by_text("Paso 1 de 4")).to_be_visible()
    page.get_by_label("Número de póliza").fill(CLIENT["poliza"])
    page.get_by_label("Nombre").fill(CLIENT["nombre"])
    page.get_by_label("Apellido paterno").fill(CLIENT["paterno"])
    page.get_by_label("Fecha de nacimiento").fill(CLIENT_BIRTH)
    shots.shoot(page, "client-1-identify")
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Paso 2 de 4")).to_be_visible()
    page.get_by_label("ma***@ej***.test").check()  # the address on file, masked
    shots.shoot(page, "client-2-products")
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Paso 3 de 4")).to_be_visible()
    message = newest_email(var_dir, "código")
    found = re.search(r"\(token\)[^:]*:\s*(\S+)", plain_text(message))
    if not found:
        raise SystemExit("no code in the code email")
    page.get_by_label("Código de confirmación (token)").fill(found.group(1))
    shots.shoot(page, "client-3-code")
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Paso 4 de 4")).to_be_visible()
    shots.shoot(page, "client-4-done")
    shoot_email(page, shots, message, "email-code")


# The reviewers' morning digest (agents.alerts), sent as beat would on the next business day
# (today, if it is one) at nine, so the picture does not depend on the day it is taken.
DIGEST = """
from datetime import datetime, time, timedelta
import time_machine
from django.utils import timezone
from agents import alerts
from portal.business_days import is_business_day
day = timezone.localdate()
while not is_business_day(day):
    day += timedelta(days=1)
with time_machine.travel(timezone.make_aware(datetime.combine(day, time(9))), tick=False):
    print(alerts.send_digest())
"""


# A month of fictional history for the dashboard's picture, in the throwaway database only:
# decided requests of the demo agents (a standard reason or another for the rejected ones) and
# the wizards' daily counts, fewer at each step.
HISTORY = """
import random
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
import agents.views, registration.views  # the wizards register their funnels
from agents.models import AccessRequest, Agent, Role
from agents.services.review import STANDARD_REJECTION_REASONS
from portal.funnel import FINISHED, FUNNELS
from portal.models import FunnelCount
rng = random.Random(23)
agents_, role = list(Agent.objects.all()), Role.objects.first()
reviewer = get_user_model().objects.filter(is_superuser=True).first()
now = timezone.now()
for n in range(90):
    filed = now - timedelta(days=rng.uniform(1, 30))
    decided = min(filed + timedelta(hours=rng.expovariate(1 / 40)), now)
    approved = rng.random() < 0.7
    reason = "" if approved else rng.choice([*STANDARD_REJECTION_REASONS, "Solicitud duplicada."])
    request = AccessRequest.objects.create(
        agent=rng.choice(agents_), role=role, email=f"historial{n}@ejemplo.test",
        status="aprobada" if approved else "rechazada", decided_by=reviewer,
        rejection_reason=reason,
    )
    AccessRequest.objects.filter(pk=request.pk).update(created_at=filed, decided_at=decided)
today = timezone.localdate()
for days_ago in range(30):
    for wizard in FUNNELS.values():
        visitors = rng.randint(20, 40)
        for step in (*wizard.steps, FINISHED):
            # Today's row may exist already: the walks above counted their steps.
            FunnelCount.objects.update_or_create(
                wizard=wizard.wizard, step=step, day=today - timedelta(days=days_ago),
                defaults={"count": visitors},
            )
            visitors = int(visitors * rng.uniform(0.6, 0.95))
"""


def review_walk(page: Page, shots: Shooter, login: tuple[str, str], var_dir: Path) -> None:
    page.goto("/admin/")
    page.get_by_label("Nombre de usuario").fill(login[0])
    page.get_by_label("Contraseña").fill(login[1])
    page.get_by_role("button", name="Identificarse").click()
    page.get_by_role("link", name="Solicitudes de acceso").first.click()
    expect(page.locator("#result_list")).to_be_visible()
    shots.shoot(page, "review-queue")
    manage("shell", "-c", HISTORY, env=embedded_env(var_dir))
    page.goto("/admin/tablero/")
    expect(page.locator("img").first).to_be_visible()
    page.wait_for_load_state("networkidle")  # every chart's SVG loaded
    shots.shoot(page, "dashboard")
    if shots.done(["email-digest"]):
        return
    manage("shell", "-c", DIGEST, env=embedded_env(var_dir))
    shoot_email(page, shots, newest_email(var_dir, "resumen"), "email-digest")


WALKS: list[tuple[list[str], str]] = [
    (
        ["home", "agent-login", "agent-1", "agent-2", "agent-3", "agent-4", "agent-5", "agent-6"],
        "agent",
    ),  # fmt: skip
    (["client-1", "client-2", "client-3", "client-4", "email-code"], "client"),
    (["review-queue", "dashboard", "email-digest"], "review"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--only", default="", help="comma-separated screen names or prefixes")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    shots = Shooter(out, only)

    with tempfile.TemporaryDirectory(prefix="alta-screenshots-") as tmp:
        var_dir = Path(tmp)
        env = embedded_env(var_dir)
        print("Preparando la base de datos de demostración…")
        manage("migrate_locked", "--noinput", env=env)
        manage("createcachetable", env=env)
        found = ADMIN_LOGIN.search(manage("load_demo", env=env))
        if not found:
            raise SystemExit("load_demo printed no administrator login")
        login = (found.group(1), found.group(2))
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 (our manage.py, fixed arguments)
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for_port(port)
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                walks: dict[str, Callable[[Page], None]] = {
                    "agent": lambda page: agent_walk(
                        page, shots, var_dir / "alta.sqlite3", var_dir
                    ),
                    "client": lambda page: client_walk(page, shots, var_dir),
                    "review": lambda page: review_walk(page, shots, login, var_dir),
                }
                for screens, walk in WALKS:
                    if shots.done(screens):
                        continue
                    context = browser.new_context(
                        base_url=f"http://127.0.0.1:{port}",
                        locale="es-MX",
                        viewport={"width": WIDTHS[-1], "height": HEIGHT},
                        device_scale_factor=1,
                    )
                    context.set_default_timeout(15_000)
                    try:
                        walks[walk](context.new_page())
                    finally:
                        context.close()
                browser.close()
        finally:
            stop_processes([server])
    total = sum(path.stat().st_size for path in shots.saved)
    print(f"{len(shots.saved)} PNG en {out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
