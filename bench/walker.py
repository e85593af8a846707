"""A scripted user of the two wizards over real HTTP, reading pages as a browser does.

Each step's form is read from the page (its action, hidden inputs, the wizard's step name),
filled with the step's fields and posted; redirects are followed, so the walker works with
one URL per wizard or one URL per step. The captcha's answer is read from the database and
the emailed code from the SMTP sink: the only two things a person reads elsewhere.

`Walker.replay()` gives the next POST as a request to send later (path, headers, body), so
the load generator can send exactly what a person's browser would, from that session.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import requests

from bench.data import AgentRow, PersonRow

AGENT_WIZARD = "/agentes/solicitud/"
CLIENT_WIZARD = "/clientes/registro/"


class _Form:
    """A POST form of a page: its action and its inputs' values."""

    def __init__(self, action: str) -> None:
        self.action: str | None = action
        self.inputs: dict[str, str] = {}
        self.checkboxes: dict[str, list[str]] = {}

    def is_wizard(self) -> bool:
        return any(name.endswith("-current_step") for name in self.inputs)


class _Forms(HTMLParser):
    """Every POST form of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._inside: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and values.get("method", "").lower() == "post":
            self._inside = _Form(values.get("action", ""))
            self.forms.append(self._inside)
        elif tag == "input" and self._inside and "name" in values:
            kind = values.get("type", "text")
            if kind == "hidden":
                self._inside.inputs[values["name"]] = values.get("value", "")
            elif kind in ("checkbox", "radio"):
                self._inside.checkboxes.setdefault(values["name"], []).append(
                    values.get("value", "")
                )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = None


@dataclass
class Replay:
    """One request as the browser of a session would send it."""

    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class Walker:
    """One person's browser: a cookie jar, an address (X-Forwarded-For) and the last page."""

    def __init__(self, base: str, address: str, captcha_answer: Callable[[str], str]):
        self.base = base
        self.http = requests.Session()
        self.http.headers.update({"X-Forwarded-For": address, "Accept-Language": "es-MX"})
        self.address = address
        self.captcha_answer = captcha_answer
        self.page: requests.Response | None = None
        self.timings: list[tuple[str, float]] = []

    # --- reading the page ----------------------------------------------------------------
    def form(self) -> _Form:
        """The wizard's form (the one holding its step), else the page's first POST form:
        a page may hold others before it (the header's language switch)."""
        assert self.page is not None
        parsed = _Forms()
        parsed.feed(self.page.text)
        wizard = [f for f in parsed.forms if f.is_wizard()]
        return (wizard or parsed.forms or [_Form("")])[0]

    def step(self) -> str:
        """The wizard step the page shows (its management form's current_step)."""
        inputs = self.form().inputs
        return next((v for k, v in inputs.items() if k.endswith("-current_step")), "")

    def path(self) -> str:
        assert self.page is not None
        return urlsplit(self.page.url).path

    # --- acting ----------------------------------------------------------------------------
    def get(self, path: str, name: str = "") -> requests.Response:
        started = time.perf_counter()
        self.page = self.http.get(self.base + path, timeout=60)
        self.timings.append((name or f"GET {path}", time.perf_counter() - started))
        self.page.raise_for_status()
        return self.page

    def payload(self, fields: dict[str, str | list[str]]) -> tuple[str, str]:
        """The path and urlencoded body this page's form would post with `fields`."""
        form = self.form()
        step = next(v for k, v in form.inputs.items() if k.endswith("-current_step"))
        data: list[tuple[str, str]] = list(form.inputs.items())
        captcha = f"{step}-captcha_0"
        if captcha in form.inputs:
            data.append((f"{step}-captcha_1", self.captcha_answer(form.inputs[captcha])))
        for name, value in fields.items():
            for one in value if isinstance(value, list) else [value]:
                data.append((f"{step}-{name}", one))
        action = form.action or self.path()
        return (urlsplit(action).path or self.path()), urlencode(data)

    def replay(self, fields: dict[str, str | list[str]]) -> Replay:
        """The POST of this page with `fields`, to be sent later from this session."""
        path, body = self.payload(fields)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookies,
            "X-Forwarded-For": self.address,
            "Accept-Language": "es-MX",
            "Referer": self.base + self.path(),
        }
        return Replay("POST", path, headers, body)

    def revisit(self) -> Replay:
        """A GET of the page shown now, from this session (a reload)."""
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        headers = {"Cookie": cookies, "X-Forwarded-For": self.address, "Accept-Language": "es-MX"}
        return Replay("GET", self.path(), headers)

    def post(self, fields: dict[str, str | list[str]], name: str = "") -> requests.Response:
        path, body = self.payload(fields)
        name = name or f"POST {self.step()}"
        started = time.perf_counter()
        self.page = self.http.post(
            self.base + path,
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.base + self.path(),
            },
            timeout=60,
        )
        self.timings.append((name, time.perf_counter() - started))
        self.page.raise_for_status()
        return self.page


# --- the two flows, step by step (the fields a person types) ------------------------------
def agent_fields(agent: AgentRow, step: str, channel_ids: list[str], role_id: str) -> dict:
    if step == "identify":
        return {
            "clave_agente": agent.clave_agente,
            "clave_promotoria": agent.clave_promotoria,
            "rfc": agent.rfc,
        }
    if step == "channels":
        return {"channels": channel_ids}
    if step == "role":
        return {"role": role_id}
    if step == "submit":
        return {"email": agent.email, "email_confirmation": agent.email}
    raise ValueError(step)


def client_fields(person: PersonRow, step: str, code: str = "") -> dict:
    if step == "identify":
        return {
            "numero_poliza": person.numero_poliza,
            "nombre": person.nombre,
            "apellido_paterno": person.apellido_paterno,
            # As a person types it (the CSV's aaaa-mm-dd is the data, not the form).
            "fecha_nacimiento": person.fecha_nacimiento.strftime("%d/%m/%Y"),
        }
    if step == "products":
        return {"email_choice": "0"}  # the address on file, by its position in the list
    if step == "code":
        return {"code": code}
    raise ValueError(step)


AGENT_STEPS = ("identify", "channels", "role", "submit")
CLIENT_STEPS = ("identify", "products", "code")
AGENT_DONE = re.compile(r"/agentes/solicitud/enviada/")
CLIENT_DONE = re.compile(r"/clientes/registro/listo/")
