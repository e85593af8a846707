"""docs/benchmarks.md and the printed table, from var/bench/results.json's figures."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from importlib import metadata

LOGIN = "Django LoginView GET (bare project)"
ALLAUTH = "django-allauth signup GET (bare project)"
ALLAUTH_POST = "django-allauth signup POST (account created)"
# The agents' access request built from stock parts (bench/baseline): its pages are named
# "<STOCK> <step> <GET|POST>...", Alta's "Alta agent wizard <step> <GET|POST>...".
STOCK = "Stock formtools build"
# Each wizard's last POST, the one that files the request or creates the account.
FINAL_POSTS = ("Alta agent wizard submit POST", "Alta client wizard code POST")
_AGENT_STEP = re.compile(
    rf"^(Alta agent wizard|{re.escape(STOCK)}) (identify|channels|role|submit) (GET|POST)\b"
)


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


def stock_peers(scenarios: dict) -> dict[str, str]:
    """Each of Alta's agent step pages measured in this run → the stock build's page of the
    same step and method, where that was measured too."""
    stock, alta = {}, {}
    for name in scenarios:
        found = _AGENT_STEP.match(name)
        if found:
            side = stock if found.group(1) == STOCK else alta
            side[(found.group(2), found.group(3))] = name
    return {name: stock[key] for key, name in alta.items() if key in stock}


def rows(results: dict) -> list[tuple[str, ...]]:
    scenarios = results["scenarios"]
    login = scenarios.get(LOGIN, {}).get("rps", 0)
    allauth = scenarios.get(ALLAUTH, {}).get("rps", 0)
    peers = stock_peers(scenarios)
    out = []
    for name, entry in scenarios.items():
        peer = scenarios[peers[name]]["rps"] if name in peers else 0
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
                _ratio(entry["rps"], peer) if peer else "",
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
    "÷ stock",
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
    lines += [
        f"{mark:>10}  {target}: {measured}"
        for target, measured, mark in [*targets(results), *kept_targets(results)]
    ]
    return "\n".join(lines)


def _md_table(header: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _short(name: str) -> str:
    """ "Alta agent wizard role GET" as "agent role GET": the targets' cells name many."""
    return name.removeprefix("Alta ").replace(" wizard ", " ", 1)


def _at_least(
    pages: dict[str, tuple[float, float]], share: float, against: str
) -> tuple[str, bool]:
    """`pages`: name → (its req/s, the req/s it is compared with). The lowest ratio, how many
    reach `share`×, and for each one below, how far it is from the target."""
    ratios = {n: rps / base for n, (rps, base) in pages.items() if base}
    if not ratios:
        return f"not measured ({against})", False
    worst = min(ratios, key=ratios.__getitem__)
    below = sorted((n for n, r in ratios.items() if r < share), key=ratios.__getitem__)
    text = (
        f"lowest {ratios[worst]:.2f}× ({_short(worst)}); {len(ratios) - len(below)} of "
        f"{len(ratios)} at or above"
    )
    if below:
        shortfalls = ", ".join(
            f"{_short(n)}: {pages[n][0]:.0f} req/s, {share * pages[n][1]:.0f} needed "
            f"({1 - ratios[n] / share:.0%} short)"
            for n in below
        )
        text += f". Missed by: {shortfalls}"
    return text, not below


def targets(results: dict) -> list[tuple[str, str, str]]:
    """Issue 22's targets, each with what this run measured, whether it holds, and where it
    does not, by how much."""
    scenarios, f = results["scenarios"], results["figures"]
    login = scenarios.get(LOGIN, {}).get("rps", 0)
    allauth = scenarios.get(ALLAUTH, {}).get("rps", 0)
    signup = scenarios.get(ALLAUTH_POST, {}).get("rps", 0)
    wizard = {n: e for n, e in scenarios.items() if n.startswith("Alta ") and " wizard " in n}
    gets = {n: e["rps"] for n, e in wizard.items() if " GET" in n}
    out = []
    for share, base, against in (
        (0.8, login, "LoginView GET"),
        (1.5, allauth, "allauth's signup GET"),
    ):
        text, ok = _at_least({n: (rps, base) for n, rps in gets.items()}, share, against)
        out.append((f"every step GET ≥ {share}× {against}", text, _mark(ok)))
    peers = stock_peers(scenarios)
    if peers:
        pairs = {n: (scenarios[n]["rps"], scenarios[p]["rps"]) for n, p in peers.items()}
        text, ok = _at_least(pairs, 1.2, "stock build")
        unpaired = [n for n in wizard if n.startswith("Alta agent wizard") and n not in peers]
        if unpaired:
            text += f"; no stock peer measured for {', '.join(map(_short, unpaired))}"
        out.append(
            ("every agent step GET and POST ≥ 1.2× the same step of the stock build", text,
             _mark(ok))
        )  # fmt: skip
    finals = {n: e["rps"] for n, e in wizard.items() if n.startswith(FINAL_POSTS)}
    if finals:
        text, ok = _at_least({n: (rps, signup) for n, rps in finals.items()}, 1.0, ALLAUTH_POST)
        out.append(("each wizard's final POST ≥ 1.0× allauth's signup POST", text, _mark(ok)))
    email = f.get("email", {})
    if "worker_to_plain_ratio" in email:
        ratio = email["worker_to_plain_ratio"]
        text = (
            f"{ratio:.2f}× ({email['worker_emails_per_s']:.0f} vs "
            f"{email['plain_emails_per_s']:.0f} emails/s)"
        )
        if ratio < 0.7:
            text += (
                f"; {0.7 * email['plain_emails_per_s']:.0f}/s needed ({1 - ratio / 0.7:.0%} short)"
            )
        if "worker_each_emails_per_s" in email:  # rows written one per request, not together
            each = email["worker_each_emails_per_s"]
            text += (
                f"; rows written one per transaction, the writes on the same cores: {each:.0f}/s"
                f" ({each / email['plain_emails_per_s']:.2f}×)"
            )
        out.append(("worker emails/s ≥ 0.7× a plain send_mail loop", text, _mark(ratio >= 0.7)))
    halves = {n: e["half_peak"]["p99_ms"] for n, e in wizard.items() if "half_peak" in e}
    if halves:
        slow = sorted((n for n, ms in halves.items() if ms >= 50), key=halves.__getitem__)
        worst = max(halves, key=halves.__getitem__)
        text = (
            f"highest {halves[worst]:.0f} ms ({_short(worst)}); {len(halves) - len(slow)} of "
            f"{len(halves)} under 50 ms"
        )
        if slow:
            text += ". Missed by: " + ", ".join(
                f"{_short(n)}: {halves[n]:.0f} ms ({halves[n] - 50:.0f} ms over)"
                for n in reversed(slow)
            )
        out.append(("p99 < 50 ms for every step at half its peak rate", text, _mark(not slow)))
    rss = f.get("rss_kib_after", {})
    counts = sorted(rss, key=int)
    later = [n for n in counts if int(n) >= 20000]
    if counts and later:
        first, at = sum(rss[counts[0]]), sum(rss[later[0]])
        last = sum(rss[counts[-1]])
        growth = at / first - 1
        warmed = f.get("warmed_pages", [])
        text = (
            f"{first / 1024:.0f} MiB after {int(counts[0]):,} → {at / 1024:.0f} MiB after "
            f"{int(later[0]):,} ({growth:+.1%}, both workers); {last / 1024:.0f} MiB after "
            f"{int(counts[-1]):,}; {len(warmed)} pages warmed before the first reading "
            f"({sum(1 for p in warmed if p.startswith('/admin/'))} of them admin pages)"
        )
        if growth > 0.10:
            text += f"; {growth - 0.10:.1%} over"
        out.append(
            (
                "RSS after 20,000 requests within 10 % of after 1,000, every page warmed first",
                text,
                _mark(growth <= 0.10),
            )
        )
    return out


def kept_targets(results: dict) -> list[tuple[str, str, str]]:
    """Issue 11's targets that issue 22 did not replace, with what this run measured. (Its
    step GET and POST ratios to LoginView and allauth's signup GET, the 100 ms p99, the
    worker at 0.5× and the RSS row are replaced by issue 22's.)"""
    scenarios, f = results["scenarios"], results["figures"]
    out = []
    rows = f.get("session_rows_per_1000_gets", {})
    if rows:
        out.append(
            (
                "0 session rows for a visitor who only looked at a first page",
                ", ".join(f"{p}: {n}" for p, n in rows.items()),
                _mark(not any(rows.values())),
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
        "database sessions, Redis cache). The baselines are a bare project (bench/baseline) "
        "under the same gunicorn flags and in the same database: Django's LoginView, "
        "django-allauth's signup (GET, and the POST that creates an account), and the stock "
        "build of the agents' access request (formtools' NamedUrlSessionWizardView, "
        "database sessions, simple-captcha's stock field, formtools' stock template) on "
        "Alta's own agent models, tables, indexes and imported rows; its own tables (users, "
        "sessions, captchas) are in a schema of their own.",
        "",
        "## Pages at saturation",
        "",
        f"{s['users']} concurrent locust users per page, as fast as answers come; medians of "
        f"{s['rounds']} interleaved rounds of {s['seconds']:.0f} s (after 1 s of warm-up). "
        "The last column is the p99 with the rate held at half the page's peak. Every answer "
        "is checked (status, the next step's field or redirect): an error page counts as a "
        'failure, never as speed. "÷ stock" compares each of Alta\'s agent steps with the '
        f"same step of the stock build ({STOCK} rows), sent and checked the same way; the "
        "stock build's final POST follows formtools' redirect to its done step, where the "
        'request is filed, and then to "Solicitud enviada".',
        "",
        _md_table(HEADER, rows(results)),
        "",
        "## Targets (issue 22)",
        "",
        _md_table(("target", "this run", ""), targets(results)),
        "",
        "Kept from issue 11 (its step ratios to LoginView and to allauth's signup GET, the "
        "100 ms p99, the worker at 0.5× and its RSS row are replaced by issue 22's above):",
        "",
        _md_table(("target", "this run", ""), kept_targets(results)),
        "",
        "The final POST of each wizard does the flow's real work, in one transaction: the "
        "agent's submit checks every step again (the captcha included), files the request and "
        "queues its emails; the client's code step checks the code, creates the account and "
        "queues its set-password link. Their figures include following the redirect to the "
        'page the person sees next ("Solicitud enviada", "Tu registro fue creado"). '
        "allauth's signup POST, their peer, checks the password with `startproject`'s "
        "validators and hashes it with Alta's hasher (Argon2), which is most of its time; "
        "neither final POST of Alta hashes a password (a client's account gets one later, "
        "from the emailed link).",
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
