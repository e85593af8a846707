"""`make lighthouse`: Lighthouse's four scores on the pages a newcomer sees first.

gunicorn (-w 2, production settings: DEBUG off, collected and hashed static files) against
a throwaway PostgreSQL and Redis (tests/services.py) loaded with the demo data; Lighthouse
12.2.3 (tools/lighthouse) with its mobile defaults (a phone's screen, simulated slow 4G and
a 4x slower CPU) drives Debian's Chromium on the home, both logins and both wizards' first
steps, in Spanish (Accept-Language es-MX, as the policyholders' browsers send). Writes each
report to var/lighthouse/<page>.json and the scores, with every audit that failed, to
docs/lighthouse.md; prints them. Usage: `.venv/bin/python scripts/lighthouse.py [--only home]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.servers import gunicorn_command, production_env  # noqa: E402
from tests.helpers import manage  # noqa: E402
from tests.services import Services, free_port, stop_processes, wait_for_port  # noqa: E402

LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
OUT = ROOT / "var" / "lighthouse"
DOC = ROOT / "docs" / "lighthouse.md"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
)
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
# name: (what the page is, its path); each wizard's first step at its own address (no redirect).
PAGES = {
    "home": ("Inicio", "/"),
    "client-login": ("Ingreso de clientes", "/clientes/ingresar/"),
    "agent-login": ("Ingreso de agentes", "/agentes/ingresar/"),
    "client-wizard": ("Registro de clientes, paso 1", "/clientes/registro/"),
    "agent-wizard": ("Solicitud de agentes, paso 1", "/agentes/solicitud/"),
}


def start_site(services: Services) -> tuple[subprocess.Popen[bytes], int]:
    """Migrate, collect the static files, load the demo data and start gunicorn on a free port."""
    services.postgres.create_database()  # type: ignore[union-attr]
    var = services.root / "var"
    env = production_env(
        ALTA_VAR_DIR=str(var),
        DATABASE_URL=services.postgres.url,  # type: ignore[union-attr]
        REDIS_URL=services.redis.url,  # type: ignore[union-attr]
        PROMETHEUS_MULTIPROC_DIR=str(services.root / "prometheus"),
    )
    for command in (
        ("collectstatic", "--noinput"),
        ("migrate_locked", "--noinput"),
        ("load_demo",),
    ):
        done = manage(*command, env=env)
        if done.returncode:
            raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stderr}")
    port = free_port()
    gunicorn = subprocess.Popen(  # noqa: S603 - our own command line
        gunicorn_command("portal.wsgi:application", port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return gunicorn, port


def audit(url: str, report: Path) -> dict[str, Any]:
    """Lighthouse's report (its JSON, also written to `report`) on `url`."""
    command = [
        str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        '--extra-headers={"Accept-Language": "es-MX,es;q=0.9"}',
    ]  # fmt: skip
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    # The page once before: a worker's first answer (imports, connections) is no visitor's.
    urllib.request.urlopen(url, timeout=30).read()  # noqa: S310 - our own loopback server
    for _ in range(3):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode or not report.exists():
            raise SystemExit(f"lighthouse failed on {url}:\n{done.stderr[-2000:]}")
        result: dict[str, Any] = json.loads(report.read_text())
        # A trace Chromium recorded badly (NO_NAVSTART, now and then on a busy machine): the
        # report says to run it again.
        if not result.get("runtimeError"):
            return result
        print(f"{url}: {result['runtimeError']['code']}, once more", flush=True)
    raise SystemExit(f"lighthouse failed on {url}: {result['runtimeError']['message']}")


def scores(report: dict[str, Any]) -> dict[str, int]:
    return {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}


def failed_audits(report: dict[str, Any]) -> list[str]:
    """Each audit of the four categories that did not pass: its category, title and figure."""
    lines = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            found = report["audits"][ref["id"]]
            score = found.get("score")
            # Only what weighs in the score (opportunities and diagnostics weigh nothing); a
            # metric passes from 0.9 on (Lighthouse's green).
            passed = 0.9 if name == "performance" else 1
            if score is None or score >= passed or not ref.get("weight"):
                continue
            figure = found.get("displayValue") or f"score {score:.2f}"
            lines.append(f"{name}: {found['title']} ({ref['id']}; {figure})")
    return lines


def write_doc(results: dict[str, dict[str, Any]], versions: str) -> None:
    rows: list[str] = []
    notes: list[str] = []
    metrics: list[str] = []
    for name, report in results.items():
        title, path = PAGES[name]
        figures = scores(report)
        rows.append(
            f"| {title} (`{path}`) | " + " | ".join(str(figures[c]) for c in CATEGORIES) + " |"
        )
        notes += [f"- {title}: {line}" for line in failed_audits(report)]
        values = [report["audits"][m]["displayValue"] for m in METRICS]
        metrics.append(f"| {title} | " + " | ".join(values) + " |")
    targets = ", ".join(f"{c} {'≥ ' if c == 'performance' else ''}{t}" for c, t in TARGETS.items())
    DOC.write_text(
        "# Lighthouse\n\n"
        "`make lighthouse` (about two minutes) serves the portal with gunicorn and production\n"
        "settings (DEBUG off, collected static files) against a throwaway PostgreSQL and Redis\n"
        "loaded with the demo data, and runs Lighthouse with its mobile defaults (a phone's\n"
        "screen, simulated slow 4G, 4x CPU slowdown) in Debian's headless Chromium, in Spanish,\n"
        "on the pages a newcomer sees first. It writes this file and each full report to\n"
        "`var/lighthouse/<page>.json`, and prints the scores. Single pages:\n"
        "`.venv/bin/python scripts/lighthouse.py --only home,agent-login`.\n\n"
        f"Targets: {targets}.\nPerformance moves by a few points with the machine's load.\n\n"
        f"Measured {date.today().isoformat()} with {versions}.\n\n"
        "| Page | Performance | Accessibility | Best practices | SEO |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "The metrics behind performance (simulated slow 4G and CPU):\n\n"
        "| Page | First Contentful Paint | Largest Contentful Paint | Total Blocking Time "
        "| Cumulative Layout Shift | Speed Index |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(metrics) + "\n\n"
        "Audits that did not pass:\n\n" + ("\n".join(notes) or "- none") + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="pages, comma-separated: " + ",".join(PAGES))
    only = [name for name in parser.parse_args().only.split(",") if name]
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: `make lighthouse` installs it.")
    OUT.mkdir(parents=True, exist_ok=True)
    services = Services()
    gunicorn = None
    results: dict[str, dict[str, Any]] = {}
    try:
        services.start()
        gunicorn, port = start_site(services)
        for name, (_, path) in PAGES.items():
            if only and name not in only:
                continue
            results[name] = audit(f"http://127.0.0.1:{port}{path}", OUT / f"{name}.json")
            figures = scores(results[name])
            print(f"{path:24} " + "  ".join(f"{c} {figures[c]:3}" for c in CATEGORIES), flush=True)
            for line in failed_audits(results[name]):
                print(f"    {line}", flush=True)
    finally:
        stop_processes([gunicorn] if gunicorn else [])
        services.stop()
    first = next(iter(results.values()))
    chromium, node = version(CHROMIUM).split()[1], version("node").lstrip("v")
    versions = f"Lighthouse {first['lighthouseVersion']}, Chromium {chromium}, Node {node}"
    if not only:
        write_doc(results, versions)
    print(versions)
    missed = [
        f"{name} {c} {s}"
        for name, report in results.items()
        for c, s in scores(report).items()
        if s < TARGETS[c]
    ]
    if missed:
        print("Below target: " + ", ".join(missed))


def version(program: str) -> str:
    """What `program --version` prints ("Chromium 156.0.8078.129 built on Debian…", "v20.20.2")."""
    done = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


if __name__ == "__main__":
    main()
