"""docs/benchmarks.md and the printed table, from var/bench/results.json's figures."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from importlib import metadata

LOGIN = "Django LoginView GET (bare project)"
ALLAUTH = "django-allauth signup GET (bare project)"


def percentile(ordered: list[float], share: float) -> float:
    """The value at `share` (0.95: p95) of the sorted `ordered`, nearest rank; NaN if empty."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return "?"
    found = re.search(r"\d+\.\d+(\.\d+)?", out)
    return found.group(0) if found else "?"


def machine() -> dict:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                "?",
            )
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import glob

    pg = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": _version([pg[-1], "--version"]) if pg else "?",
        "redis": _version(["redis-server", "--version"]),
        **{
            name: metadata.version(name)
            for name in ("Django", "gunicorn", "locust", "django-allauth", "celery")
        },
    }


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "–"


def rows(results: dict) -> list[tuple[str, ...]]:
    scenarios = results["scenarios"]
    login = scenarios.get(LOGIN, {}).get("rps", 0)
    allauth = scenarios.get(ALLAUTH, {}).get("rps", 0)
    out = []
    for name, entry in scenarios.items():
        half = entry.get("half_peak")
        flags = []
        if entry.get("failures"):
            flags.append(f"{entry['failures']} failed")
        if entry.get("exhausted"):
            flags.append("pool ran out")
        out.append(
            (
                name,
                f"{entry['rps']:.0f}",
                _ratio(entry["rps"], login),
                _ratio(entry["rps"], allauth),
                f"{entry['p50_ms']:.0f}",
                f"{entry['p95_ms']:.0f}",
                f"{entry['p99_ms']:.0f}",
                f"{half['p99_ms']:.0f} at {half['rate']:.0f}/s" if half else "",
                ", ".join(flags),
            )
        )
    return out


HEADER = (
    "page",
    "req/s",
    "÷ LoginView",
    "÷ allauth",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "p99 ms at half peak",
    "notes",
)


def table(results: dict) -> str:
    lines = [" | ".join(HEADER)]
    lines += [" | ".join(row) for row in rows(results)]
    figures = results["figures"]
    lines.append("")
    for key in ("complete_agent_requests", "complete_client_registrations"):
        if key in figures:
            lines.append(f"{key}: {figures[key]['per_s']:.1f}/s")
    if "email" in figures:
        lines.append(f"email: {figures['email']}")
    if "review_queue" in figures:
        for rows_, entry in figures["review_queue"].items():
            lines.append(
                f"review queue {rows_}: {entry['rps']:.1f} req/s, p50 {entry['p50_ms']:.0f} ms,"
                f" {entry['queries']} queries"
            )
    lines.append(f"RSS KiB (by requests served): {figures.get('rss_kib_after')}")
    lines.append(f"session rows per 1,000 GETs: {figures.get('session_rows_per_1000_gets')}")
    lines.append("")
    lines += [f"{mark:>10}  {target}: {measured}" for target, measured, mark in targets(results)]
    return "\n".join(lines)


def _md_table(header: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(results: dict) -> list[tuple[str, str, str]]:
    """Issue 11's targets, each with what this run measured and whether it holds."""
    scenarios, f = results["scenarios"], results["figures"]
    login = scenarios.get(LOGIN, {}).get("rps", 0)
    allauth = scenarios.get(ALLAUTH, {}).get("rps", 0)
    wizard = {n: e for n, e in scenarios.items() if " wizard " in n}
    out = []
    for kind, share in (("GET", 0.8), ("POST", 0.5)):
        pages = {n: e for n, e in wizard.items() if f" {kind}" in n}
        if not pages or not login:
            continue
        worst = min(pages, key=lambda n: pages[n]["rps"])
        below = [n for n, e in pages.items() if e["rps"] < share * login]
        out.append(
            (
                f"every wizard step {kind} ≥ {share}× LoginView",
                f"lowest {pages[worst]['rps'] / login:.2f}× ({worst}); "
                f"{len(pages) - len(below)} of {len(pages)} at or above",
                _mark(not below),
            )
        )
        behind = [n for n, e in pages.items() if e["rps"] < allauth]
        out.append(
            (
                f"every wizard step {kind} ahead of allauth's signup GET",
                f"{len(pages) - len(behind)} of {len(pages)} ahead",
                _mark(not behind),
            )
        )
    rows = f.get("session_rows_per_1000_gets", {})
    if rows:
        out.append(
            (
                "0 session rows for a visitor who only looked at a first page",
                ", ".join(f"{p}: {n}" for p, n in rows.items()),
                _mark(not any(rows.values())),
            )
        )
    halves = {n: e["half_peak"]["p99_ms"] for n, e in wizard.items() if "half_peak" in e}
    if halves:
        slow = [n for n, ms in halves.items() if ms >= 100]
        out.append(
            (
                "p99 of every step < 100 ms at half its peak rate",
                f"highest {max(halves.values()):.0f} ms ({max(halves, key=halves.get)})",
                _mark(not slow),
            )
        )
    queue = f.get("review_queue", {})
    if len(queue) == 2:
        small, large = (queue[k] for k in sorted(queue, key=int))
        ratio = large["p50_ms"] / small["p50_ms"] if small["p50_ms"] else float("inf")
        out.append(
            (
                "review queue at 100,000 ≤ 2× its time at 100, ≤ 12 queries",
                f"{ratio:.2f}× (p50 {small['p50_ms']:.0f} → {large['p50_ms']:.0f} ms), "
                f"{large['queries']} queries",
                _mark(ratio <= 2 and large["queries"] <= 12),
            )
        )
    email = f.get("email", {})
    if "worker_to_plain_ratio" in email:
        out.append(
            (
                "worker emails/s ≥ 0.5× a plain send_mail loop",
                f"{email['worker_to_plain_ratio']:.2f}× ({email['worker_emails_per_s']:.0f} vs "
                f"{email['plain_emails_per_s']:.0f}/s)",
                _mark(email["worker_to_plain_ratio"] >= 0.5),
            )
        )
    if "request_p50_ms_smtp_slow" in email:
        fast, slow = email["request_p50_ms_smtp_fast"], email["request_p50_ms_smtp_slow"]
        out.append(
            (
                "a request's time does not grow when SMTP is slow",
                f"p50 {fast:.1f} ms (fast SMTP) vs {slow:.1f} ms "
                f"(SMTP {email.get('smtp_slow_delay_s', '?')} s slow)",
                _mark(slow <= max(2 * fast, fast + 10)),
            )
        )
    rss = f.get("rss_kib_after", {})
    counts = sorted(rss, key=int)
    later = [n for n in counts if int(n) >= 20000]
    if counts and later:
        first, at = sum(rss[counts[0]]), sum(rss[later[0]])
        last = sum(rss[counts[-1]])
        growth = at / first - 1
        out.append(
            (
                "web worker RSS after 20,000 requests within 10% of after 1,000",
                f"{first / 1024:.0f} MiB after {int(counts[0]):,} → {at / 1024:.0f} MiB after "
                f"{int(later[0]):,} ({growth:+.1%}, both workers); {last / 1024:.0f} MiB after "
                f"{int(counts[-1]):,}",
                _mark(growth <= 0.10),
            )
        )
    live = scenarios.get("Alta liveness /salud/vivo/")
    if live:
        out.append(
            (
                "liveness cheap enough to call every second",
                f"{live['rps']:.0f} req/s, p99 {live['p99_ms']:.0f} ms, no Celery or database",
                _mark(live["rps"] > 100),
            )
        )
    return out


def markdown(results: dict) -> str:
    m, f, s = results["machine"], results["figures"], results["settings"]
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py) on "
        f"{results['when']}; the raw figures are in `var/bench/results.json`. Figures are "
        "from one run on one machine: compare ratios within a run, not absolute numbers "
        "across machines.",
        "",
        "## Machine and versions",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; {m['os']}",
        f"- Python {m['python']}, Django {m['Django']}, gunicorn {m['gunicorn']}, "
        f"PostgreSQL {m['postgresql']}, Redis {m['redis']}, Celery {m['celery']}, "
        f"locust {m['locust']}, django-allauth {m['django-allauth']}",
        f"- gunicorn `-w 2` (sync workers) on core {s['server_core']}; locust, the scripted "
        f"users and the Celery worker on core {s['load_core']}; PostgreSQL and Redis "
        "unpinned. Alta runs with production settings (DEBUG off, collected static files, "
        "database sessions, Redis cache); the baselines are a bare project (bench/baseline) "
        "under the same gunicorn flags on the same PostgreSQL server.",
        "",
        "## Pages at saturation",
        "",
        f"{s['users']} concurrent locust users per page, as fast as answers come; medians of "
        f"{s['rounds']} interleaved rounds of {s['seconds']:.0f} s (after 1 s of warm-up). "
        "The last column is the p99 with the rate held at half the page's peak. Every answer "
        "is checked (status, the next step's field or redirect): an error page counts as a "
        "failure, never as speed.",
        "",
        _md_table(HEADER, rows(results)),
        "",
        "## Targets (issue 11)",
        "",
        _md_table(("target", "this run", ""), targets(results)),
        "",
        "The final POST of each wizard does the flow's real work, in one transaction: the "
        "agent's submit checks every step again (the captcha included), files the request and "
        "queues its emails; the client's code step checks the code, creates the account and "
        "queues its set-password link. Their figures include following the redirect to the "
        'page the person sees next ("Solicitud enviada", "Tu registro fue creado").',
        "",
    ]
    flows = [
        (label, f[key])
        for key, label in (
            ("complete_agent_requests", "Complete agent requests (identify → submit)"),
            ("complete_client_registrations", "Complete client registrations (code by email)"),
        )
        if key in f
    ]
    if flows:
        parts += ["## Complete flows", ""]
        for label, flow in flows:
            parts.append(
                f"- {label}: **{flow['per_s']:.1f}/s** ({flow['completed']} in "
                f"{flow['seconds']:.0f} s, {flow['threads']} scripted people)"
            )
        parts.append("")
        body = []
        for label, flow in flows:
            for step, st in flow["steps"].items():
                body.append(
                    (
                        label.split(" (")[0],
                        step,
                        str(st["n"]),
                        f"{st['p50_ms']:.0f}",
                        f"{st['p95_ms']:.0f}",
                        f"{st['p99_ms']:.0f}",
                    )
                )
        parts += [_md_table(("flow", "step", "n", "p50 ms", "p95 ms", "p99 ms"), body), ""]
    if "email" in f:
        parts += ["## Email", ""]
        parts += [
            f"- {key}: {value:.2f}" if isinstance(value, float) else f"- {key}: {value}"
            for key, value in f["email"].items()
        ]
        parts.append("")
    if "review_queue" in f:
        parts += ["## Review queue", ""]
        body = [
            (
                f"{int(n):,}",
                f"{e['rps']:.1f}",
                f"{e['p50_ms']:.0f}",
                f"{e['p99_ms']:.0f}",
                str(e["queries"]),
            )
            for n, e in f["review_queue"].items()
        ]
        parts += [_md_table(("requests", "req/s", "p50 ms", "p99 ms", "SQL queries"), body), ""]
    parts += ["## Memory and sessions", ""]
    for served, sizes in f.get("rss_kib_after", {}).items():
        parts.append(
            f"- RSS of the web workers after {int(served):,} requests: "
            + ", ".join(f"{kib / 1024:.1f} MiB" for kib in sizes)
        )
    for path, added in f.get("session_rows_per_1000_gets", {}).items():
        parts.append(f"- `django_session` rows added by 1,000 anonymous GETs of `{path}`: {added}")
    parts += [
        "",
        "## Reproduce",
        "",
        "```",
        "make bench          # about 20 minutes; BENCH_ROUNDS, BENCH_SECONDS, BENCH_USERS",
        "```",
        "",
        "`make bench` installs the `bench` extra (locust, django-allauth, pyinstrument) into "
        "`.venv`, starts every server itself on loopback and stops them at the end.",
        "",
    ]
    return "\n".join(parts)
