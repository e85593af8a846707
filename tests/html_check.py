"""The Nu Html Checker over every page the suite renders (a pytest plugin: `-p tests.html_check`).

Every text/html answer Django gives in this process, to the test client and to the live server's
browser alike, is kept (one copy of each page: CSRF tokens, nonces, digits and other tokens are
blanked before hashing), and at the session's end vnu.jar (tools/vnu, installed by `make test`)
checks them all in one run. An error fails the session, printed with the request's path, the
template that rendered it and the test that asked for it. `-p no:tests.html_check` leaves it out.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "tools" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# A fuzz test posts thousands of different values to one form: past this many different bodies
# of one path the rest tell nothing new and only lengthen vnu's run.
PAGES_PER_PATH = 25

# Tests whose pages are not checked: the fuzz tests post arbitrary code points, and a refused
# form shows what was typed back in its field (escaped): C0/C1 controls there are code points
# HTML forbids in a document, which browsers show anyway. What they prove is no 500.
UNCHECKED_TESTS = ("tests/system/test_fuzz",)

# Messages of markup that is not ours and that we cannot change, each with its reason:
# (substring of the message, substring of the template or path it may come from).
IGNORED: list[tuple[str, str]] = [
    # Django's ReadOnlyPasswordHashWidget (auth/widgets/read_only_password_hash.html) puts the
    # read-only field's `disabled` on the <div> it draws: Django's admin markup, not ours.
    ("Attribute “disabled” not allowed on element “div”", "/admin/portal/user/"),
]

# What changes from one rendering of the same page to the next and says nothing of its markup.
_VOLATILE = re.compile(
    rb"csrfmiddlewaretoken\" value=\"[^\"]*\"|nonce=\"[^\"]*\"|[A-Za-z0-9_\-+/=]{20,}|\d+"
)


@dataclass
class Page:
    path: str
    status: int
    test: str
    templates: list[str]
    file: Path


@dataclass
class Problem:
    page: Page
    line: int | None
    message: str
    extract: str

    def __str__(self) -> str:
        where = self.page.templates[0] if self.page.templates else "no template"
        return (
            f"{self.page.path[:120]} [{self.page.status}] ({where}, line {self.line}): "
            f"{self.message}\n"
            f"    {self.extract.strip()[:160]!r}\n    first seen in {self.page.test}"
        )


@dataclass
class Recorder:
    """The pages seen in this session, one file per distinct body."""

    folder: Path
    pages: dict[str, Page] = field(default_factory=dict)
    per_path: dict[str, int] = field(default_factory=dict)
    responses: int = 0
    capped: int = 0
    test: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, *, path: str, status: int, body: bytes, templates: list[str]) -> None:
        if not body.strip() or self.test.startswith(UNCHECKED_TESTS):
            return
        key = hashlib.sha256(_VOLATILE.sub(b"0", body)).hexdigest()[:24]
        path_key = re.sub(r"\d+", "0", path)
        with self.lock:
            self.responses += 1
            if key in self.pages:
                return
            if self.per_path.get(path_key, 0) >= PAGES_PER_PATH:
                self.capped += 1
                return
            self.per_path[path_key] = self.per_path.get(path_key, 0) + 1
            file = self.folder / f"{key}.html"
            file.write_bytes(body)
            self.pages[key] = Page(path, status, self.test, templates, file)


def check_pages(pages: list[Page], *, jar: Path = VNU_JAR) -> list[Problem]:
    """Run vnu.jar once over the pages' files; the errors found, each with its page."""
    if not pages:
        return []
    by_file = {page.file.resolve(): page for page in pages}
    # The folder (not each file) on the command line: no argv too long with thousands of pages.
    folders = sorted({str(page.file.parent) for page in pages})
    command = ["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json",
               "--stdout", "--exit-zero-always", *folders]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        messages: list[dict[str, Any]] = json.loads(run.stdout)["messages"]
    except (ValueError, KeyError):
        raise RuntimeError(f"vnu.jar gave no report: {run.stderr or run.stdout}") from None
    problems = []
    for message in messages:
        file = Path(message.get("url", "").removeprefix("file:")).resolve()
        page = by_file.get(file)
        if page is None:  # a file of the folder that is no page of ours
            continue
        text = message.get("message", "")
        if any(
            part in text and any(where in name for name in [page.path, *page.templates])
            for part, where in IGNORED
        ):
            continue
        problems.append(Problem(page, message.get("lastLine"), text, message.get("extract", "")))
    return problems


_recorder: Recorder | None = None
_local = threading.local()
_outcome: dict[str, Any] = {}


def _install(recorder: Recorder) -> None:
    """Wrap BaseHandler.get_response (the test client's handler and the live server's alike)
    and listen to the templates each answer renders (the test environment's signal)."""
    from django.core.handlers.base import BaseHandler
    from django.test.signals import template_rendered

    original = BaseHandler.get_response

    def get_response(self, request):  # type: ignore[no-untyped-def]
        _local.templates = []
        response = original(self, request)
        try:
            from django.conf import settings

            content_type = response.get("Content-Type", "")
            if (
                content_type.startswith("text/html")
                and not response.streaming
                and not settings.DEBUG  # Django's own debug pages are not ours
            ):
                recorder.record(
                    path=request.get_full_path(),
                    status=response.status_code,
                    body=response.content,
                    templates=_page_first(response, _local.templates),
                )
        finally:
            _local.templates = []
        return response

    def rendered(sender, template, context, **kwargs):  # type: ignore[no-untyped-def]
        templates = getattr(_local, "templates", None)
        if templates is not None and template.name:
            templates.append(template.name)

    BaseHandler.get_response = get_response  # type: ignore[method-assign]
    template_rendered.connect(rendered, weak=False, dispatch_uid="tests-html-check")


def _page_first(response: Any, rendered: list[str]) -> list[str]:
    """The templates an answer rendered, the page's own first: a TemplateResponse's name, or
    the first one rendered that is no include (a context processor may render one before)."""
    names = list(dict.fromkeys(rendered))
    own = getattr(response, "template_name", None)
    if isinstance(own, list | tuple):
        own = own[0] if own else None
    own = getattr(own, "name", own)
    if not isinstance(own, str):
        own = next((n for n in names if "includes/" not in n and "/widgets/" not in n), None)
    return [own, *(n for n in names if n != own)] if own else names


def pytest_configure(config: pytest.Config) -> None:
    global _recorder
    if config.option.collectonly or hasattr(config, "workerinput"):
        return
    _recorder = Recorder(Path(tempfile.mkdtemp(prefix="alta-html-")))
    _install(_recorder)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # type: ignore[no-untyped-def]
    if _recorder is not None:
        _recorder.test = item.nodeid
    return (yield)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _recorder is None or not _recorder.pages or exitstatus == pytest.ExitCode.INTERRUPTED:
        return
    if not VNU_JAR.exists():
        _outcome["missing"] = True
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    started = time.monotonic()
    problems = check_pages(list(_recorder.pages.values()))
    _outcome.update(problems=problems, seconds=time.monotonic() - started)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _recorder is None or not _recorder.pages:
        return
    write = terminalreporter.write_line
    if _outcome.get("missing"):
        terminalreporter.section("Nu Html Checker", red=True)
        write(f"{VNU_JAR} is missing: `make test` installs it (npm ci in tools/vnu).")
        return
    if "problems" not in _outcome:
        return
    problems: list[Problem] = _outcome["problems"]
    recorder = _recorder
    terminalreporter.section("Nu Html Checker", red=bool(problems), green=not problems)
    write(
        f"{len(recorder.pages)} distinct pages of {recorder.responses} HTML answers checked in "
        f"{_outcome['seconds']:.1f} s ({recorder.capped} more past {PAGES_PER_PATH} per path): "
        f"{len(problems)} errors."
    )
    # One entry per message and template, with how many pages show it and the first of them.
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        template = problem.page.templates[0] if problem.page.templates else problem.page.path
        groups.setdefault((problem.message, template), []).append(problem)
    for (_, _), found in groups.items():
        others = f" (and {len(found) - 1} more pages)" if len(found) > 1 else ""
        write(f"{found[0]}{others}")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _recorder is not None:
        shutil.rmtree(_recorder.folder, ignore_errors=True)
