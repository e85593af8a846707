"""The client's registration as the client guide tells it, held between its pages.

"Identificación" finds the person (by policy data, or by an invitation's key and a policy);
"Productos y correo electrónico" shows their policies and the addresses on file to choose
the username from; "Código de confirmación" proves control of the chosen address. Each page
shows what an earlier POST learnt, so the flow keeps it: the person's id and what the pages
show of them (the policies, the addresses on file masked), the address chosen, where the
code went and when another may be sent, and whether it was confirmed. A step's GET renders
from here without reading a row; every POST reads and checks again what it decides on, and
the account is created by `registration.services.register_client`, which locks the person.

An invitation's link brings its key to "Identificación" already written: the flow keeps it as
its HMAC (`linked_key`, what `registration.services.hash_key` stores) and the few characters
the locked field shows, never the key.

The flow lives in the session as plain JSON (`as_session` / `from_session`): no code, no key
(only a digest of the typed identification, `typed`, and of a linked key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal.wizards import SessionFlow

if TYPE_CHECKING:
    from .models import Person

Policy = tuple[str, str, str]  # (número de póliza, producto, estatus), as "Tus productos" lists it


@dataclass(frozen=True)
class IdentifiedPerson:
    """The person "Identificación" found for the data whose digest is `typed` (and the
    invitation whose key was typed, if any), and what the next page shows of them."""

    pk: int
    typed: str
    invitation: int | None
    policies: tuple[Policy, ...]
    emails_on_file: tuple[str, ...]  # masked, in the order the email step offers them
    new_email_allowed: bool  # "o ingresa uno nuevo" is offered

    @classmethod
    def of(
        cls,
        person: Person,
        typed: str,
        invitation: int | None,
        *,
        emails_on_file: Sequence[str],
        new_email_allowed: bool,
    ) -> IdentifiedPerson:
        return cls(
            pk=person.pk,
            typed=typed,
            invitation=invitation,
            policies=tuple((p.numero_poliza, p.producto, p.estatus) for p in person.policies.all()),
            emails_on_file=tuple(emails_on_file),
            new_email_allowed=new_email_allowed,
        )


@dataclass
class RegistrationFlow(SessionFlow):
    """Where one browser's registration stands (one per wizard and session)."""

    person: IdentifiedPerson | None = None
    email: str = ""  # the username chosen
    email_shown: str = ""  # how the code step names it: as typed, or masked when on file
    code_to: str = ""  # the address the newest code was sent to
    code_id: int | None = None  # that code's row (its delivery is looked up by it)
    resend_at: float = 0.0  # when "Reenviar código" may send again, as a Unix time
    confirmed: str = ""  # the address whose code was right
    linked_key: str = ""  # the HMAC of the key an invitation link brought
    linked_key_shown: str = ""  # what the locked key field shows of it ("ZL6W-••••-••••")

    # --- the invitation's link ----------------------------------------------------------------
    def open_link(self, digest: str, shown: str) -> None:
        """An invitation link was opened: its key is the one "Identificación" uses."""
        self.linked_key, self.linked_key_shown = digest, shown
        self.changed = True

    def forget_link(self) -> None:
        """ "Usar otra clave": the key is typed again."""
        if self.linked_key:
            self.linked_key = self.linked_key_shown = ""
            self.changed = True

    # --- the guide's steps ------------------------------------------------------------------
    def identify_person(self, person: IdentifiedPerson) -> None:
        """ "Identificación" passed. Another person, invitation or typed data starts again:
        nothing chosen or proved for the earlier data carries over."""
        earlier = self.person
        if earlier is None or (earlier.pk, earlier.typed, earlier.invitation) != (
            person.pk,
            person.typed,
            person.invitation,
        ):
            self.email = self.email_shown = self.code_to = self.confirmed = ""
            self.code_id, self.resend_at = None, 0.0
        self.person = person
        self.changed = True

    def choose_email(self, email: str, shown: str) -> None:
        """ "Tu nombre de usuario": `email`, named `shown` on the code step. Another address
        than before needs its own code."""
        if (email, shown) != (self.email, self.email_shown):
            self.email, self.email_shown = email, shown
            self.changed = True

    def needs_code(self) -> bool:
        """Whether the chosen address still has to be sent a code."""
        return bool(self.email) and self.code_to != self.email and not self.is_confirmed()

    def code_sent(self, code_id: int, now: float, cooldown: float) -> None:
        self.code_to, self.code_id, self.resend_at = self.email, code_id, now + cooldown
        self.changed = True

    def code_refused(self, now: float, wait: float) -> None:
        """No code was sent now: another may be asked for in `wait` seconds."""
        self.resend_at = now + wait
        self.changed = True

    def seconds_until_resend(self, now: float) -> int:
        return max(0, int(self.resend_at - now + 0.999))

    def confirm_code(self) -> None:
        """The code sent to the chosen address was right."""
        self.confirmed = self.email
        self.changed = True

    def is_confirmed(self, email: str | None = None) -> bool:
        """Whether a code proved `email` (by default the one chosen now)."""
        email = self.email if email is None else email
        return bool(email) and self.confirmed == email

    # --- held in the session ----------------------------------------------------------------
    @classmethod
    def read(cls, data: Mapping[str, Any]) -> RegistrationFlow:
        person = data.get("person")
        return cls(
            person=IdentifiedPerson(
                pk=int(person["pk"]),
                typed=str(person["typed"]),
                invitation=int(person["invitation"]) if person["invitation"] else None,
                policies=tuple(
                    (str(number), str(product), str(status))
                    for number, product, status in person["policies"]
                ),
                emails_on_file=tuple(str(e) for e in person["emails_on_file"]),
                new_email_allowed=bool(person["new_email_allowed"]),
            )
            if person
            else None,
            email=str(data.get("email", "")),
            email_shown=str(data.get("email_shown", "")),
            code_to=str(data.get("code_to", "")),
            code_id=int(data["code_id"]) if data.get("code_id") else None,
            resend_at=float(data.get("resend_at", 0.0)),
            confirmed=str(data.get("confirmed", "")),
            linked_key=str(data.get("linked_key", "")),
            linked_key_shown=str(data.get("linked_key_shown", "")),
        )
