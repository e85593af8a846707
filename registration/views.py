"""Client pages: the registration wizards (by policy data, or by an invitation's key), the
confirmation screen and "Mis productos". The account pages (login, set password, email) are
`portal.accounts` configured by `registration.accounts.CLIENTS`.

Each step has its own URL and every POST answers with a redirect, so the browser's Back and
Forward show the steps again. formtools trusts the posted step and re-validates every step in
`render_done`: `get` and `post` only accept the current step or an earlier one; the
identification and the code are checked once and recorded in the wizard's storage; the
account is created only in `done`. No password ever goes through the wizard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from formtools.wizard.views import NamedUrlSessionWizardView, normalize_name

from portal import codes, ratelimit, texts
from portal.accounts.guards import account_required
from portal.accounts.services import mask_email
from portal.links import email_base_url
from portal.wizards import PortalWizardMixin, fingerprint

from . import forms, services
from .accounts import CLIENTS
from .models import Person

if TYPE_CHECKING:
    from portal.models import User

    from .models import RegistrationKey

STEP_TITLES = {
    "identify": gettext_lazy("Identificación"),
    "products": gettext_lazy("Productos y correo electrónico"),
    "code": gettext_lazy("Código de confirmación"),
    "confirmation": gettext_lazy("Confirmación"),
}
IDENTITY = "identity"  # {"fp", "person", "invitation"}: identification checked once
EMAIL = "email"  # the email chosen in "products"
# How the code step names that email: as typed, or masked when it is an address on file
# (whoever identified with a printed policy has not yet proved control of it).
EMAIL_SHOWN = "email_shown"
CODE_SENT = "code_sent"  # {"person", "email"}: a code was sent for this pair
VERIFIED = "verified"  # {"person", "email"}: the code was right for this pair
REGISTERED = "client_registered"  # session: email shown on the confirmation screen


# --- the wizard ----------------------------------------------------------------------------------
class ClientRegistrationWizard(PortalWizardMixin, NamedUrlSessionWizardView):  # type: ignore[misc]
    """ "Aún no estoy registrado": policy data, products and email, code; each step at
    /clientes/registro/<step>/, the first also at /clientes/registro/."""

    form_list = [
        ("identify", forms.IdentifyForm),
        ("products", forms.ProductsForm),
        ("code", forms.RegistrationCodeForm),
    ]
    template_name = "registration/wizard_step.html"
    identify_template = "registration/steps/identify.html"
    start_url_name = "registration:register"
    url_name = "registration:register_step"
    cancel_url_name = "registration:cancel"
    steps_folder = "registration/steps"
    step_titles = STEP_TITLES
    final_step = "confirmation"
    continue_label = gettext_lazy("SIGUIENTE")
    expired_message = gettext_lazy(
        "Tu sesión de registro expiró o cambió. Continúa desde este paso."
    )

    # --- storage helpers ----------------------------------------------------------------
    def _extra(self, key: str, default: Any = None) -> Any:
        return self.storage.extra_data.get(key, default)

    def _set_extra(self, **values: Any) -> None:
        self.storage.extra_data = {**self.storage.extra_data, **values}

    def _load_person(self, pk: int) -> Person | None:
        return self.read_once(Person.objects.all(), pk)

    def _person(self) -> Person | None:
        identity = self._extra(IDENTITY)
        return self._load_person(identity["person"]) if identity else None

    def _pair(self) -> dict[str, Any] | None:
        identity, email = self._extra(IDENTITY), self._extra(EMAIL)
        return {"person": identity["person"], "email": email} if identity and email else None

    # --- step integrity -------------------------------------------------------------------
    def refuses_step(self, posted: str | None) -> bool:
        # Nothing past identification before a person was identified.
        steps = list(self.get_form_list())
        return super().refuses_step(posted) or (
            posted != steps[0] and self._extra(IDENTITY) is None
        )

    def restart_step(self) -> str:
        return super().restart_step() if self._extra(IDENTITY) else self.steps.first

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = self.guard_post()
        if refused:
            return refused
        resend = self.request.POST.get("resend") and self.steps.current == "code"
        if resend and not self.request.POST.get("wizard_goto_step"):
            self._send_code(force=True)
            return redirect(self.get_step_url("code"))
        response: HttpResponse = super().post(*args, **kwargs)
        return response

    # --- forms --------------------------------------------------------------------------
    def get_form_kwargs(self, step: str | None = None) -> dict[str, Any]:
        if step == "identify":
            return {
                "client_ip": ratelimit.client_ip(self.request),
                "verified": self._extra(IDENTITY),
                "load_person": self._load_person,
            }
        if step == "products":
            session = self.request.session
            if not session.session_key:
                session.save()  # "taken" answers count per session: it needs a key now
            return {
                "person": self._person(),
                "session_key": session.session_key or "",
                "client_ip": ratelimit.client_ip(self.request),
            }
        if step == "code":
            pair = self._pair()
            return {
                "person": self._person(),
                "email": self._extra(EMAIL, ""),
                "verified": pair is not None and self._extra(VERIFIED) == pair,
            }
        return {}

    def _identified(self, form: Form) -> tuple[Person, RegistrationKey | None]:
        """The person (and invitation) that a valid identification form found."""
        identify = cast("forms.IdentifyForm | forms.IdentifyKeyForm", form)
        return cast(Person, identify.person), identify.invitation

    def process_step(self, form: Form) -> QueryDict:
        step = self.steps.current
        if step == "identify":
            person, invitation = self._identified(form)
            identity = {
                "fp": fingerprint(form.cleaned_data),
                "person": person.pk,
                "invitation": invitation.pk if invitation else None,
            }
            if identity != self._extra(IDENTITY):
                self.storage.extra_data = {IDENTITY: identity}
            self.remember_read(person)  # the next step needs it too
        elif step == "products":
            cleaned = form.cleaned_data
            self._set_extra(**{EMAIL: cleaned["email"], EMAIL_SHOWN: cleaned["email_shown"]})
        elif step == "code":
            self._set_extra(**{VERIFIED: self._pair()})
        data: QueryDict = super().process_step(form)
        return data

    # --- the code that verifies the email ----------------------------------------------
    def _send_code(self, *, force: bool = False) -> None:
        """Send a code for the chosen email unless one was already sent for it."""
        pair, person = self._pair(), self._person()
        if pair is None or person is None:
            return
        if not force and self._extra(CODE_SENT) == pair:
            return
        try:
            services.send_registration_code(
                person,
                pair["email"],
                session_key=self.request.session.session_key or "",
                ip=ratelimit.client_ip(self.request),
            )
        except codes.SendRefused as refused:
            messages.warning(self.request, texts.code_wait(refused.wait_seconds))
            return
        self._set_extra(**{CODE_SENT: pair})
        messages.info(self.request, str(texts.CODE_SENT) % {"email": self._email_shown()})

    def _email_shown(self) -> str:
        return str(self._extra(EMAIL_SHOWN) or mask_email(self._extra(EMAIL, "")))

    def render(self, form: Form | None = None, **kwargs: Any) -> HttpResponse:
        if self.steps.current == "code" and self._extra(VERIFIED) != self._pair():
            self._send_code()
        return super().render(form or self.get_form(), **kwargs)

    def step_template(self, step: str) -> str:
        return self.identify_template if step == "identify" else super().step_template(step)

    def get_context_data(self, form: Form, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        current = self.steps.current
        if current == "products":
            person = self._person()
            context["policies"] = person.policies.all() if person else []
        if current == "code":
            email = self._extra(EMAIL, "")
            context["email"] = self._email_shown() if email else ""
            context["wait_seconds"] = services.seconds_until_next_code(email) if email else 0
            person = self._person()
            context["undeliverable"] = bool(
                email and person and services.registration_code_undeliverable(person, email)
            )
        return context

    # --- the end: the account ----------------------------------------------------------
    def done(
        self, form_list: list[Form], form_dict: dict[str, Form], **kwargs: Any
    ) -> HttpResponse:
        person, invitation = self._identified(form_dict["identify"])
        email = form_dict["products"].cleaned_data["email"]
        pair = {"person": person.pk, "email": email}
        if (
            self._extra(VERIFIED) != pair
            or self._extra(IDENTITY, {}).get("person") != pair["person"]
        ):
            # The email changed in another tab after the code was checked: a new code.
            self.storage.current_step = "code"
            shown = form_dict["products"].cleaned_data["email_shown"]
            self._set_extra(**{EMAIL: email, EMAIL_SHOWN: shown})
            return self.render(self.get_form(step="code"))
        try:
            user = services.register_client(
                person.pk,
                email,
                base_url=email_base_url(self.request),
                invitation_id=invitation.pk if invitation else None,
            )
        except (services.EmailTaken, services.NewEmailNotAllowed):
            self.storage.current_step = "products"
            form = self.get_form(step="products", data=self.storage.get_step_data("products"))
            if form.is_valid():  # else the form itself already says the email is taken
                form.add_error(None, texts.EMAIL_TAKEN)
            return self.render(form)
        except services.AlreadyRegistered:
            self.storage.reset()
            messages.error(self.request, forms.already_registered_message())
            return redirect(self.start_url_name)
        self.storage.reset()
        self.request.session[REGISTERED] = user.email
        return redirect("registration:registered")


class KeyRegistrationWizard(ClientRegistrationWizard):
    """ "Recibí un correo para registrarme": key and policy, then the same steps; each at
    /clientes/registro/clave/<step>/, the first also at /clientes/registro/clave/."""

    form_list = [
        ("identify", forms.IdentifyKeyForm),
        ("products", forms.ProductsForm),
        ("code", forms.RegistrationCodeForm),
    ]
    identify_template = "registration/steps/identify_key.html"
    start_url_name = "registration:register_key"
    url_name = "registration:register_key_step"
    key_placeholder = "********"

    def process_step(self, form: Form) -> QueryDict:
        data = super().process_step(form)
        if self.steps.current == "identify":
            # formtools keeps the posted step in the session: a placeholder there, not the key,
            # a secret. The identity was checked once; its fingerprint now matches the placeholder.
            data = data.copy()
            data[f"{self.get_form_prefix()}-clave_registro"] = self.key_placeholder
            identity = self._extra(IDENTITY)
            cleaned = {**form.cleaned_data, "clave_registro": self.key_placeholder}
            self._set_extra(**{IDENTITY: {**identity, "fp": fingerprint(cleaned)}})
        return data


@never_cache
def cancel(request: HttpRequest) -> HttpResponse:
    """Cancelar: forget both wizards' data and return to the login page."""
    for wizard in (ClientRegistrationWizard, KeyRegistrationWizard):
        request.session.pop(f"wizard_{normalize_name(wizard.__name__)}", None)
    return redirect("registration:login")


@never_cache
def registered(request: HttpRequest) -> HttpResponse:
    """The confirmation screen (after the redirect, so a reload creates nothing)."""
    email = request.session.get(REGISTERED)
    if not email:
        return redirect("registration:login")
    names = [*STEP_TITLES]
    context = {
        "email": email,
        "step_titles": list(STEP_TITLES.items()),
        "step_number": len(names),
        "step_total": len(names),
        "step_title": STEP_TITLES["confirmation"],
    }
    return render(request, "registration/registered.html", context)


# --- the client login, and blocking an account from the new-address notice ----------------------
@never_cache
@require_http_methods(["GET", "POST"])
def block_account(request: HttpRequest, token: str) -> HttpResponse:
    """ "Bloquear la cuenta": GET asks to confirm (mail scanners open links), POST blocks."""
    try:
        person = services.person_for_block_token(token)
    except services.BadBlockLink:
        return render(request, "registration/block_account.html", {"bad_link": True}, status=400)
    if request.method == "POST":
        try:
            person = services.block_account(token=token)
        except services.BadBlockLink:
            return render(
                request, "registration/block_account.html", {"bad_link": True}, status=400
            )
    context = {"person": person, "blocked": person.account_blocked_at is not None}
    return render(request, "registration/block_account.html", context)


# --- "Mis productos" ----------------------------------------------------------------------------
@account_required(CLIENTS)
def home(request: HttpRequest) -> HttpResponse:
    """ "Mis productos"."""
    user = cast("User", request.user)  # account_required let only clients in
    person = Person.objects.filter(user=user).first()
    policies = person.policies.all() if person else []
    return render(request, "registration/home.html", {"person": person, "policies": policies})
