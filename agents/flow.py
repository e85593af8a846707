"""The access request as the manual tells it, held between its pages.

"Identificar Agente" finds the agent by the three keys; "Datos generales y Canales
Disponibles" shows the SAA's data and the channels to choose from; "Datos <canales>" asks
for the "Rol Deseado"; "Envío de solicitud" asks for the email and the captcha. Each page
shows what an earlier POST learnt, so the flow keeps it: the agent's id and what the pages
show of them, the channels and role chosen, the captcha on screen and whether it was
answered. A step's GET renders from here without reading a row; every POST reads and checks
again what it decides on, and the final one (`agents.services.submit_access_request`)
checks the agent, the channels and the pending request inside its transaction.

The flow lives in the session as plain JSON (`as_session` / `from_session`); it holds no
secret: the keys typed are kept only as a digest (`typed`), the captcha's answer never.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal.wizards import SessionFlow

if TYPE_CHECKING:
    from .models import Agent, Role

# "Datos generales", in the manual's order (templates/agents/includes/agent_data.html).
GENERAL_DATA = (
    "clave_agente", "tipo_agente", "nombre", "apellido_paterno", "apellido_materno", "email",
    "rfc", "tipo_cedula", "numero_cedula", "tipo_razon_social", "nombre_razon_social",
    "nombre_apoderado_legal", "direccion", "clave_promotor", "nombre_promotor",
    "domicilio_fiscal", "sector", "mercado",
)  # fmt: skip

Choice = tuple[int, str]  # (pk, name), as a choice field lists it


@dataclass(frozen=True)
class IdentifiedAgent:
    """The agent "Identificar Agente" found for the keys whose digest is `typed`, and what
    the next pages show of them, as read then."""

    pk: int
    typed: str
    general_data: Mapping[str, str]  # GENERAL_DATA, plus the promotoría's clave and nombre
    is_company: bool
    channels: tuple[Choice, ...]  # the channels the agent may ask for
    email: str  # the SAA's address: "Envío de solicitud" starts with it

    @classmethod
    def of(cls, agent: Agent, typed: str) -> IdentifiedAgent:
        data = {name: str(getattr(agent, name)) for name in GENERAL_DATA}
        data["promotoria_clave"] = agent.promotoria.clave
        data["promotoria_nombre"] = agent.promotoria.nombre
        return cls(
            pk=agent.pk,
            typed=typed,
            general_data=data,
            is_company=agent.is_company,
            channels=tuple((c.pk, c.name) for c in agent.channels.all()),
            email=agent.email,
        )


@dataclass
class AccessRequestFlow(SessionFlow):
    """Where one browser's access request stands (one per session, like the wizard's data)."""

    agent: IdentifiedAgent | None = None
    roles: tuple[Choice, ...] = ()  # "Rol Deseado"'s choices, read with the agent
    channels: tuple[int, ...] = ()
    role: int | None = None
    captcha: str = ""  # the challenge "Envío de solicitud" shows (simple-captcha's hashkey)
    captcha_expires: float = 0.0  # its end, as a Unix time
    captcha_passed: bool = False

    # --- the manual's steps ---------------------------------------------------------------
    def identify_agent(self, agent: Agent, typed: str, roles: Iterable[Role]) -> None:
        """ "Identificar Agente" passed for `agent` with the keys whose digest is `typed`.
        Another agent, or the same keys typed otherwise, starts the request again: nothing
        chosen or proved for the earlier keys (channels, role, captcha) carries over."""
        same = self.agent is not None and (self.agent.pk, self.agent.typed) == (agent.pk, typed)
        identified = IdentifiedAgent.of(agent, typed)
        if not same:
            self.channels, self.role = (), None
            self.captcha, self.captcha_expires, self.captcha_passed = "", 0.0, False
        self.agent = identified
        self.roles = tuple((r.pk, r.name) for r in roles)
        self.changed = True

    def is_identified(self, typed: str) -> bool:
        """Whether the keys whose digest is `typed` are the ones step 1 checked."""
        return self.agent is not None and self.agent.typed == typed

    def choose_channels(self, channel_ids: Iterable[int]) -> None:
        """ "Canales Disponibles": only the agent's own channels are kept; ValueError when
        none of them is chosen (the manual's "Se debe seleccionar al menos un canal.")."""
        offered = {pk for pk, _ in self.agent.channels} if self.agent else set()
        chosen = tuple(sorted(set(channel_ids) & offered))
        if not chosen:
            raise ValueError("no channel of the agent's")
        if chosen != self.channels:
            self.channels = chosen
            self.changed = True

    def chosen_channel_names(self) -> list[str]:
        """The names of the channels chosen, in the agent's order: "Datos <canales>"."""
        if self.agent is None:
            return []
        return [name for pk, name in self.agent.channels if pk in self.channels]

    def choose_role(self, role_id: int) -> None:
        """ "Rol Deseado"."""
        if role_id != self.role:
            self.role = role_id
            self.changed = True

    # --- the captcha of "Envío de solicitud" ------------------------------------------------
    def show_captcha(self, hashkey: str, expires: float) -> None:
        """A new challenge is on screen; an earlier answer no longer counts."""
        self.captcha, self.captcha_expires, self.captcha_passed = hashkey, expires, False
        self.changed = True

    def captcha_to_show(self, now: float) -> str:
        """The challenge the page shows, "" when there is none still alive (make one)."""
        return self.captcha if self.captcha and now < self.captcha_expires else ""

    def pass_captcha(self) -> None:
        """The captcha was answered right: the final re-check does not ask again."""
        self.captcha, self.captcha_passed = "", True
        self.changed = True

    def forget_captcha(self) -> None:
        """Arriving at "Envío de solicitud" again, or its re-check failed: ask again."""
        if self.captcha_passed:
            self.captcha_passed = False
            self.changed = True

    # --- held in the session ----------------------------------------------------------------
    @classmethod
    def read(cls, data: Mapping[str, Any]) -> AccessRequestFlow:
        agent = data.get("agent")
        return cls(
            agent=IdentifiedAgent(
                pk=int(agent["pk"]),
                typed=str(agent["typed"]),
                general_data=dict(agent["general_data"]),
                is_company=bool(agent["is_company"]),
                channels=tuple((int(pk), str(name)) for pk, name in agent["channels"]),
                email=str(agent["email"]),
            )
            if agent
            else None,
            roles=tuple((int(pk), str(name)) for pk, name in data.get("roles", ())),
            channels=tuple(int(pk) for pk in data.get("channels", ())),
            role=int(data["role"]) if data.get("role") is not None else None,
            captcha=str(data.get("captcha", "")),
            captcha_expires=float(data.get("captcha_expires", 0.0)),
            captcha_passed=bool(data.get("captcha_passed", False)),
        )
