"""Agent pages: the access request wizard, and the agent portal's home, "Administra tu
Usuario", Ayuda and Contacto. The account pages (login, passwords, email, phone) are
`portal.accounts` configured by `agents.accounts.AGENTS`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from formtools.wizard.views import NamedUrlSessionWizardView

from portal import ratelimit
from portal.accounts import services as account
from portal.accounts.guards import account_required
from portal.captcha import CaptchaWidget, new_challenge
from portal.links import email_base_url
from portal.wizards import CancelTexts, PortalWizardMixin, cancel_page, fingerprint

from . import forms, services
from .accounts import AGENTS
from .flow import AccessRequestFlow
from .models import AccessRequest, Agent, Announcement, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from portal.models import User

STEPS = [
    ("identify", forms.IdentifyAgentForm),
    ("channels", forms.ChannelsForm),
    ("role", forms.RoleForm),
    ("submit", forms.SubmitRequestForm),
]
STEP_TITLES = {  # lazy: translated per request, not once at import
    "identify": gettext_lazy("Identificar Agente"),
    "channels": gettext_lazy("Datos generales y Canales Disponibles"),
    "role": gettext_lazy("Datos Individual Privado"),
    "submit": gettext_lazy("Envío de solicitud"),
    "sent": gettext_lazy("Solicitud enviada"),
}
# The pending request step 1 found for the keys typed in this session: the only request
# "Enviar de nuevo el enlace de estatus" may act on (never an id the form posts).
PENDING_REQUEST_SESSION_KEY = "agent_request_pending"


class AccessRequestWizard(PortalWizardMixin, NamedUrlSessionWizardView):  # type: ignore[misc]
    """The access request in the manual's four screens, each at /agentes/solicitud/<step>/
    (the first also at /agentes/solicitud/). Buttons: Cancelar (to login), Regresar,
    Continuar.

    The forms are bound and checked on POST only; what each step learnt is the
    `AccessRequestFlow` (agents.flow), from which the next step's page is shown. formtools
    trusts the posted step and re-validates every step in `render_done`: `get` and `post`
    only accept the current step or an earlier one; the agent is identified once and the
    captcha verified once, both recorded in the flow, so nothing is checked or counted
    twice; the request is written in `done`, which checks the agent again.
    """

    form_list = STEPS
    flow_class = AccessRequestFlow
    start_url_name = "agents:request"
    url_name = "agents:request_step"
    cancel_url_name = "agents:request_cancel"
    steps_folder = "agents/steps"
    step_titles = STEP_TITLES
    funnel_title = gettext_lazy("Embudo de la solicitud de acceso de agentes")
    final_step = "sent"
    continue_label = gettext_lazy("Continuar")
    secret_fields = {"submit": ("captcha",)}  # its answer is never kept for the next page

    expired_message = gettext_lazy(
        "Tu sesión de solicitud expiró o cambió. Continúa desde este paso."
    )

    if TYPE_CHECKING:
        flow: AccessRequestFlow

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.guard_post() or super().post(*args, **kwargs)

    # --- step integrity -------------------------------------------------------------------
    def refuses_step(self, posted: str | None) -> bool:
        # Nothing past identification before an agent was identified.
        return super().refuses_step(posted) or (
            posted != self.steps.first and self.flow.agent is None
        )

    def restart_step(self) -> str:
        return super().restart_step() if self.flow.agent else self.steps.first

    # --- forms ---------------------------------------------------------------------------
    def _load_agent(self, pk: int) -> Agent | None:
        """The identified agent, read again by a POST (once per request)."""
        agents = Agent.objects.select_related("promotoria").prefetch_related("channels")
        return self.read_once(agents, pk)

    def get_form_kwargs(self, step: str | None = None) -> dict[str, Any]:
        agent = self.flow.agent
        if step == "identify":
            return {
                "client_ip": ratelimit.client_ip(self.request),
                "manage_url": reverse("agents:manage"),
                "verified": {"fp": agent.typed, "agent": agent.pk} if agent else None,
                "load_agent": self._load_agent,
                "describe_pending": self._describe_pending,
            }
        if step == "channels":
            return {"channels": agent.channels if agent else ()}
        if step == "role":
            return {"roles": self.flow.roles}
        if step == "submit":
            posted = self.request.method == "POST"
            return {
                "captcha_verified": self.flow.captcha_passed,
                "captcha_keys": self._captcha_keys() if posted else None,
            }
        return {}

    def _describe_pending(self, pending: AccessRequest) -> str:
        """ "Ya hay una solicitud": the keys typed found `pending`, so this session may have
        its status link sent again (to the request's address); the dates and that button."""
        self.request.session[PENDING_REQUEST_SESSION_KEY] = pending.pk
        context = {"status": services.request_status(pending), "message": forms.MSG_PENDING}
        return render_to_string("agents/includes/request_pending.html", context, self.request)

    def _captcha_keys(self) -> dict[str, str]:
        """Wrong captcha answers count per browser session and per client address."""
        session = self.request.session
        if not session.session_key:
            # A key to count by. A client that drops its cookie gets a new key each time,
            # which is why wrong answers count per address too.
            session.save()
        return {"session": str(session.session_key), "ip": ratelimit.client_ip(self.request)}

    def get_form_initial(self, step: str) -> dict[str, Any]:
        if step == "submit":
            return {"email": self.flow.agent.email} if self.flow.agent else {}
        initial: dict[str, Any] = super().get_form_initial(step)
        return initial

    def process_step(self, form: Form) -> QueryDict:
        step, flow = self.steps.current, self.flow
        if step == "identify" and isinstance(form, forms.IdentifyAgentForm) and form.agent:
            roles = Role.objects.filter(active=True)
            flow.identify_agent(form.agent, fingerprint(form.cleaned_data), roles)
        elif step == "channels":
            flow.choose_channels(int(pk) for pk in form.cleaned_data["channels"])
        elif step == "role":
            flow.choose_role(form.cleaned_data["role"].pk)
            flow.show_captcha(*new_challenge())  # the next page's, made by this POST
        elif step == "submit":
            flow.pass_captcha()
        self.keep_flow()
        data: QueryDict = super().process_step(form)
        return data

    def render(self, form: Form | None = None, **kwargs: Any) -> HttpResponse:
        form = form or self.get_form()
        if self.steps.current == "submit" and "captcha" in form.fields:
            self._show_captcha(form)
        return super().render(form, **kwargs)

    def _show_captcha(self, form: Form) -> None:
        """The challenge "Envío de solicitud" shows: on a GET the flow's (made by the role
        step's POST), unless it died; after a POST (a wrong answer burnt it) a new one."""
        flow, hashkey = self.flow, ""
        if self.request.method == "GET":
            flow.forget_captcha()  # arriving again: a right answer earlier does not count now
            hashkey = flow.captcha_to_show(time.time())
        if not hashkey:
            hashkey, expires = new_challenge()
            flow.show_captcha(hashkey, expires)
        self.keep_flow()
        cast(CaptchaWidget, form.fields["captcha"].widget).hashkey = hashkey

    def render_revalidation_failure(
        self, failed_step: str, form: Form, **kwargs: Any
    ) -> HttpResponse:
        self.flow.forget_captcha()
        self.keep_flow()
        response: HttpResponse = super().render_revalidation_failure(failed_step, form, **kwargs)
        return response

    def get_context_data(self, form: Form, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        current, agent = self.steps.current, self.flow.agent
        if current == "channels" and agent:
            context["agent"] = {
                **agent.general_data,
                "is_company": agent.is_company,
                "promotoria": {
                    "clave": agent.general_data["promotoria_clave"],
                    "nombre": agent.general_data["promotoria_nombre"],
                },
            }
        if current in ("role", "submit"):
            # "Datos <channels chosen>" (the manual's "Datos Individual Privado"), in the
            # heading and in the list of steps alike.
            title = self._role_step_title()
            context["step_titles"] = [
                (name, title if name == "role" else other) for name, other in context["step_titles"]
            ]
            if current == "role":
                context["step_title"] = title
        return context

    def _role_step_title(self) -> StrOrPromise:
        return role_step_title(self.flow.chosen_channel_names())

    # --- the end -------------------------------------------------------------------------
    def done(
        self, form_list: list[Form], form_dict: dict[str, Form], **kwargs: Any
    ) -> HttpResponse:
        identify = cast(forms.IdentifyAgentForm, form_dict["identify"])
        keys = identify.cleaned_data
        try:
            access_request = services.submit_access_request(
                clave_agente=keys["clave_agente"],
                clave_promotoria=keys["clave_promotoria"],
                rfc=keys["rfc"],
                channel_ids=[int(pk) for pk in form_dict["channels"].cleaned_data["channels"]],
                role=form_dict["role"].cleaned_data["role"],
                email=form_dict["submit"].cleaned_data["email"],
                language=translation.get_language() or "",
                base_url=email_base_url(self.request),
            )
        except services.IdentificationError as refused:
            # Another tab or a double click got there first, or the agent changed meanwhile:
            # back to step 1 with the typed data and the manual's message for the reason.
            self.restart_flow()
            identify.add_error(None, identify.refusal(refused))
            return self.render(identify)
        self.request.session["agent_request_sent"] = access_request.pk
        return redirect("agents:request_sent")


CANCEL_WORDS = CancelTexts(
    title=gettext_lazy("¿Cancelar la solicitud?"),
    explanation=gettext_lazy(
        "Si la cancelas, se borra lo que capturaste en esta solicitud (tus claves, los "
        "canales, el rol y el correo) y vuelves a la página de ingreso. Para solicitar tu "
        "acceso después tendrás que empezar de nuevo."
    ),
    confirm=gettext_lazy("Sí, cancelar la solicitud"),
    back=gettext_lazy("No, volver a la solicitud"),
)


def role_step_title(channel_names: Sequence[str]) -> StrOrPromise:
    """Step 3's title: "Datos <channels chosen>" (the manual's "Datos Individual Privado"),
    or the step's own title before any is chosen."""
    if not channel_names:
        return STEP_TITLES["role"]
    return _("Datos %(channels)s") % {"channels": " / ".join(channel_names)}


@never_cache
@require_http_methods(["GET", "POST"])
def cancel_request(request: HttpRequest) -> HttpResponse:
    """Cancelar: asks first; its POST forgets the wizard's data and returns to the login
    page."""
    return cancel_page(
        request,
        wizards=[AccessRequestWizard],
        words=CANCEL_WORDS,
        landing=reverse("agents:login"),
        forget=[PENDING_REQUEST_SESSION_KEY],
    )


@never_cache
def resend_status_link(request: HttpRequest) -> HttpResponse:
    """ "Enviar de nuevo el enlace de estatus" (a POST from step 1's pending message): to
    the request that step 1 found in this session, at its own address; the same answer
    whatever happened. Anything else goes back to step 1, saying what to do."""
    pending = request.session.get(PENDING_REQUEST_SESSION_KEY)
    if request.method != "POST" or not isinstance(pending, int):
        messages.warning(request, forms.MSG_STATUS_LINK_NOT_IDENTIFIED)
        return redirect("agents:request")
    services.send_status_link(
        request_id=pending, ip=ratelimit.client_ip(request), base_url=email_base_url(request)
    )
    messages.success(request, forms.MSG_STATUS_LINK_SENT)
    return redirect("agents:request")


@never_cache
def request_status(request: HttpRequest, token: str) -> HttpResponse:
    """The request's status from the signed link in its emails, without a login; a link
    that is tampered with, expired or names no request gets one page that tells nothing."""
    access_request = services.request_for_status_token(token)
    if access_request is None:
        response = render(request, "agents/request_status_invalid.html", status=404)
    else:
        context = {
            "status": services.request_status(access_request),
            "credentials_by_link": settings.AGENT_CREDENTIALS == "link",
        }
        response = render(request, "agents/request_status.html", context)
    # The token is in the address: no other site may see it in a Referer, no index keep it.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def request_sent(request: HttpRequest) -> HttpResponse:
    """ "Solicitud enviada", shown after the redirect, so a reload sends nothing."""
    from .models import AccessRequest

    pk = request.session.get("agent_request_sent")
    access_request = (
        AccessRequest.objects.select_related("agent").filter(pk=pk).first() if pk else None
    )
    if access_request is None:
        return redirect("agents:login")
    # The steps as this agent took them: "Datos <channels chosen>", as the wizard named it.
    names = [channel.name for channel in access_request.channels.all()]
    titles = {**STEP_TITLES, "role": role_step_title(names)}
    context = {
        "access_request": access_request,
        "step_titles": [(n, titles[n]) for n in [*dict(STEPS), "sent"]],
        "step_number": len(STEPS) + 1,
        "step_total": len(STEPS) + 1,
        "step_title": STEP_TITLES["sent"],
        "roles": Role.objects.all(),
    }
    return render(request, "agents/request_sent.html", context)


# --- The agent portal ------------------------------------------------------------------------
agent_required = account_required(AGENTS)


def _alerts(user: User) -> list[dict[str, object]]:
    alerts: list[dict[str, object]] = []
    days = account.days_until_password_reset(user)
    if days is not None:
        alerts.append(
            {
                "title": _("Reset de Contraseña"),
                "text": _(
                    "Se acerca la fecha de reset de contraseña para acceder a tu cuenta. "
                    "Consulta cómo realizar el reset próximamente en la sección de Ayuda."
                ),
                "days": days,
            }
        )
    return alerts


@agent_required
def home(request: HttpRequest) -> HttpResponse:
    """Inicio: Bienvenido, Alertas, Novedades and Búsqueda de Agentes."""
    user = cast("User", request.user)  # agent_required let only agents in
    search = forms.AgentSearchForm(request.GET or None)
    searched, found = False, None
    if search.is_valid():
        searched = True
        found = services.find_agent_in_promotoria(user=user, numero=search.cleaned_data["numero"])
    announcements = Announcement.objects.filter(active=True, published_at__lte=timezone.now())[:10]
    context = {
        "alerts": _alerts(user),
        "announcements": announcements,
        "search": search,
        "searched": searched,
        "found": found,
        "tab": "home",
    }
    return render(request, "agents/home.html", context)


@agent_required
def tools(request: HttpRequest) -> HttpResponse:
    """Herramientas: the agent's tools (for now, Búsqueda de Agentes and the account)."""
    return render(request, "agents/tools.html", {"search": forms.AgentSearchForm(), "tab": "tools"})


@agent_required
def manage(request: HttpRequest) -> HttpResponse:
    """ "Administra tu Usuario": password, email, phone."""
    user = cast("User", request.user)  # agent_required let only agents in
    context = {"pending_email": account.pending_email_change(user)}
    return render(request, "agents/manage.html", context)


def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "agents/help.html", {"base_template": AGENTS.base_template})


def contact_page(request: HttpRequest) -> HttpResponse:
    return render(request, "agents/contact.html", {"base_template": AGENTS.base_template})
