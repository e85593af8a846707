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

import time
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.forms import Form
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from formtools.wizard.views import NamedUrlSessionWizardView

from portal import codes, ratelimit, texts
from portal.accounts.guards import account_required
from portal.accounts.services import mask_email
from portal.links import email_base_url
from portal.wizards import CancelTexts, PortalWizardMixin, cancel_page, fingerprint

from . import forms, services
from .accounts import CLIENTS
from .flow import IdentifiedPerson, RegistrationFlow
from .models import Person

if TYPE_CHECKING:
    from portal.models import User


STEP_TITLES = {
    "identify": gettext_lazy("Identificación"),
    "products": gettext_lazy("Productos y correo electrónico"),
    "code": gettext_lazy("Código de confirmación"),
    "confirmation": gettext_lazy("Confirmación"),
}
REGISTERED = "client_registered"  # session: email shown on the confirmation screen


# --- the wizard ----------------------------------------------------------------------------------
class ClientRegistrationWizard(PortalWizardMixin, NamedUrlSessionWizardView):  # type: ignore[misc]
    """ "Aún no estoy registrado": policy data, products and email, code; each step at
    /clientes/registro/<step>/, the first also at /clientes/registro/.

    The forms are bound and checked on POST only; what each step learnt is the
    `RegistrationFlow` (registration.flow), from which the next step's page is shown. The
    code is sent by the POST that chose the address (or by "Reenviar código"), never by
    showing a page."""

    form_list = [
        ("identify", forms.IdentifyForm),
        ("products", forms.ProductsForm),
        ("code", forms.RegistrationCodeForm),
    ]
    flow_class = RegistrationFlow
    template_name = "registration/wizard_step.html"
    identify_template = "registration/steps/identify.html"
    start_url_name = "registration:register"
    url_name = "registration:register_step"
    cancel_url_name = "registration:cancel"
    steps_folder = "registration/steps"
    step_titles = STEP_TITLES
    funnel_title = gettext_lazy("Embudo del registro de clientes")
    final_step = "confirmation"
    continue_label = gettext_lazy("SIGUIENTE")
    expired_message = gettext_lazy(
        "Tu sesión de registro expiró o cambió. Continúa desde este paso."
    )
    secret_fields = {"code": ("code",)}  # the emailed code is never kept after an error

    if TYPE_CHECKING:
        flow: RegistrationFlow

    def _load_person(self, pk: int) -> Person | None:
        return self.read_once(Person.objects.all(), pk)

    def _person(self) -> Person | None:
        """The identified person, read again by a POST (once per request)."""
        identified = self.flow.person
        return self._load_person(identified.pk) if identified else None

    # --- step integrity -------------------------------------------------------------------
    def refuses_step(self, posted: str | None) -> bool:
        # Nothing past identification before a person was identified.
        steps = list(self.get_form_list())
        return super().refuses_step(posted) or (posted != steps[0] and self.flow.person is None)

    def restart_step(self) -> str:
        return super().restart_step() if self.flow.person else self.steps.first

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
        flow, posted = self.flow, self.request.method == "POST"
        if step == "identify":
            person = flow.person
            return {
                "client_ip": ratelimit.client_ip(self.request),
                "verified": {
                    "fp": person.typed,
                    "person": person.pk,
                    "invitation": person.invitation,
                }
                if person
                else None,
                "load_person": self._load_person,
            }
        if step == "products":
            if not posted:
                return {"shown": flow.person}
            session = self.request.session
            if not session.session_key:
                session.save()  # "taken" answers count per session: it needs a key now
            return {
                "person": self._person(),
                "session_key": session.session_key or "",
                "client_ip": ratelimit.client_ip(self.request),
            }
        if step == "code":
            return {
                "person": self._person() if posted else None,
                "email": flow.email,
                "verified": flow.is_confirmed(),
            }
        return {}

    def typed_digest(self, form: Form) -> str:
        """The digest of the identification as typed (what `IdentifyOnceForm` compares)."""
        return fingerprint(form.cleaned_data)

    def process_step(self, form: Form) -> QueryDict:
        step, flow = self.steps.current, self.flow
        if step == "identify":
            identify = cast("forms.IdentifyForm | forms.IdentifyKeyForm", form)
            person = cast(Person, identify.person)
            emails = services.emails_on_file(person)
            flow.identify_person(
                IdentifiedPerson.of(
                    person,
                    self.typed_digest(form),
                    identify.invitation.pk if identify.invitation else None,
                    emails_on_file=services.masked_emails(emails),
                    new_email_allowed=services.new_email_allowed(person),
                )
            )
            self.remember_read(person)  # the next step needs it too
        elif step == "products":
            flow.choose_email(form.cleaned_data["email"], form.cleaned_data["email_shown"])
            self._send_code()  # unless one was sent for this address already
        elif step == "code":
            flow.confirm_code()
        self.keep_flow()
        data: QueryDict = super().process_step(form)
        return data

    # --- the code that verifies the email ----------------------------------------------
    def _send_code(self, *, force: bool = False) -> None:
        """Send a code for the chosen email unless one was already sent for it."""
        flow, person = self.flow, self._person()
        if not flow.email or person is None or (not force and not flow.needs_code()):
            return
        now = time.time()
        try:
            code_id = services.send_registration_code(
                person,
                flow.email,
                session_key=self.request.session.session_key or "",
                ip=ratelimit.client_ip(self.request),
            )
        except codes.SendRefused as refused:
            flow.code_refused(now, refused.wait_seconds)
            messages.warning(self.request, texts.code_wait(refused.wait_seconds))
        else:
            flow.code_sent(code_id, now, codes.RESEND_COOLDOWN.total_seconds())
            messages.info(self.request, str(texts.CODE_SENT) % {"email": self._email_shown()})
        self.keep_flow()

    def _email_shown(self) -> str:
        return self.flow.email_shown or mask_email(self.flow.email)

    def step_template(self, step: str) -> str:
        return self.identify_template if step == "identify" else super().step_template(step)

    def get_context_data(self, form: Form, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        current, flow = self.steps.current, self.flow
        if current == "products":
            policies = flow.person.policies if flow.person else ()
            context["policies"] = [
                {"numero_poliza": number, "producto": product, "estatus": status}
                for number, product, status in policies
            ]
        if current == "code":
            context["email"] = self._email_shown() if flow.email else ""
            context["wait_seconds"] = flow.seconds_until_resend(time.time())
            context["undeliverable"] = bool(
                flow.code_id
                and flow.code_to == flow.email
                and codes.refused_by_mail_server(flow.code_id)
            )
        return context

    # --- the end: the account ----------------------------------------------------------
    def done(
        self, form_list: list[Form], form_dict: dict[str, Form], **kwargs: Any
    ) -> HttpResponse:
        identify = cast("forms.IdentifyForm | forms.IdentifyKeyForm", form_dict["identify"])
        person, invitation = cast(Person, identify.person), identify.invitation
        products = form_dict["products"].cleaned_data
        flow = self.flow
        if not flow.is_confirmed(products["email"]) or (
            flow.person is None or flow.person.pk != person.pk
        ):
            # The email changed in another tab after the code was checked: a new code.
            self.storage.current_step = "code"
            flow.choose_email(products["email"], products["email_shown"])
            self._send_code()
            return redirect(self.get_step_url("code"))
        try:
            user = services.register_client(
                person.pk,
                products["email"],
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
            self.restart_flow()
            messages.error(self.request, forms.already_registered_message())
            return redirect(self.start_url_name)
        self.restart_flow()
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
    # The invitation's key is a secret too: typed again after an error.
    secret_fields = {"identify": ("clave_registro",), "code": ("code",)}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if "token" in kwargs:
            return self._open_link(kwargs["token"])
        return super().get(request, *args, **kwargs)

    def _open_link(self, token: str) -> HttpResponse:
        """/clientes/registro/clave/enlace/<token>/, the invitation's link: its key fills in
        the first page, which the link leaves for at once (303), so the token is neither in
        the address bar nor in a Referer. A link that is not valid leads to the same page,
        to type the key, saying why."""
        try:
            key = services.key_from_link(token)
        except services.BadInvitationLink:
            self.flow.forget_link()
            self.keep_flow()
            messages.error(self.request, forms.MSG_BAD_INVITATION_LINK)
        else:
            # A link starts the registration again, for the person it was sent to.
            self.restart_flow()
            shown = services.show_key(key)
            self.flow.open_link(services.hash_key(key), shown[:4] + "-••••-••••")
            self.keep_flow()
        self.storage.current_step = self.steps.first
        # 303 See Other: the page to show next, fetched with GET.
        response = HttpResponseRedirect(reverse(self.start_url_name))
        response.status_code = 303
        return response

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.request.POST.get("other_key") and self.steps.current == self.steps.first:
            # "Usar otra clave": the field unlocks, to type a key.
            refused = self.guard_post()
            if refused:
                return refused
            self.flow.forget_link()
            self.keep_flow()
            return redirect(self.get_step_url(self.steps.first))
        return super().post(*args, **kwargs)

    def get_form_kwargs(self, step: str | None = None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(step)
        if step == "identify":
            kwargs["linked_key"] = self.flow.linked_key
            kwargs["linked_key_shown"] = self.flow.linked_key_shown
        return kwargs

    def typed_digest(self, form: Form) -> str:
        # The key is a secret: the stored step data holds a placeholder in its place (below),
        # so the digest the re-validation compares is of the data with the placeholder. A
        # linked key's cleaned value is its HMAC's mark, which no stored data needs to repeat.
        if cast("forms.IdentifyKeyForm", form).linked_key:
            return fingerprint(form.cleaned_data)
        return fingerprint({**form.cleaned_data, "clave_registro": self.key_placeholder})

    def process_step(self, form: Form) -> QueryDict:
        data = super().process_step(form)
        if self.steps.current == "identify":
            # formtools keeps the posted step in the session: a placeholder there, not the key.
            data = data.copy()
            data[f"{self.get_form_prefix()}-clave_registro"] = self.key_placeholder
        return data


CANCEL_WORDS = CancelTexts(
    title=gettext_lazy("¿Cancelar el registro?"),
    explanation=gettext_lazy(
        "Si lo cancelas, se borra lo que capturaste en este registro (tus datos de póliza, "
        "el correo elegido y el código de confirmación) y vuelves a la página de ingreso. "
        "Para registrarte después tendrás que empezar de nuevo y esperar un código nuevo."
    ),
    confirm=gettext_lazy("Sí, cancelar el registro"),
    back=gettext_lazy("No, volver al registro"),
)


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest) -> HttpResponse:
    """Cancelar: asks first; its POST forgets both wizards' data and returns to the login
    page."""
    return cancel_page(
        request,
        wizards=[ClientRegistrationWizard, KeyRegistrationWizard],
        words=CANCEL_WORDS,
        landing=reverse("registration:login"),
    )


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
