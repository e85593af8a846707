"""The agent portal (001 §4): login, home, "Administra tu Usuario", Ayuda, Contacto.

Account pages (password, email, phone, reset) are portal's generic views configured here;
`portal.middleware` keeps an agent on "Cambio de contraseña" or the contact confirmation
until done.
"""

from functools import wraps

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portal import forms as portal_forms
from portal import services as account
from portal import views as portal_views

from .models import Agent, Announcement

BASE = "agents/portal_base.html"


def agent_required(view):
    """Signed in (else the login page, then back here) and an agent account."""

    @login_required(login_url="agents:login")
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.kind != "agent":
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class AgentLoginView(auth_views.LoginView):
    """`/agentes/ingresar/` (001 §4): Usuario, Clave, Ingresar. Django's login() gives the
    session a new key; a temporary password goes straight to "Cambio de contraseña"."""

    template_name = "agents/login.html"
    authentication_form = portal_forms.AgentLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if account.password_needs_change(self.request.user):
            return reverse("agents:password_change")
        return reverse("agents:home")


class AgentSearchForm(forms.Form):
    numero = forms.CharField(label=_("Numero de Agente"), max_length=20)


def find_agent_in_promotoria(user, numero: str) -> Agent | None:
    """Búsqueda de Agentes: only agents of the user's own promotoría are found."""
    own = Agent.objects.filter(user=user).only("promotoria_id").first()
    if own is None:
        return None
    return (
        Agent.objects.select_related("promotoria")
        .filter(promotoria_id=own.promotoria_id, clave_agente__iexact="".join(numero.split()))
        .first()
    )


def _alerts(user) -> list[dict]:
    alerts = []
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
def home(request):
    """Inicio: Bienvenido, Alertas, Novedades and Búsqueda de Agentes."""
    search = AgentSearchForm(request.GET or None)
    searched, found = False, None
    if search.is_valid():
        searched = True
        found = find_agent_in_promotoria(request.user, search.cleaned_data["numero"])
    announcements = Announcement.objects.filter(active=True, published_at__lte=timezone.now())[:10]
    context = {
        "alerts": _alerts(request.user),
        "announcements": announcements,
        "search": search,
        "searched": searched,
        "found": found,
        "tab": "inicio",
    }
    return render(request, "agents/home.html", context)


@agent_required
def tools(request):
    """Herramientas: the agent's tools (for now, Búsqueda de Agentes and the account)."""
    return render(request, "agents/tools.html", {"search": AgentSearchForm(), "tab": "tools"})


@agent_required
def manage(request):
    """ "Administra tu Usuario": password, email, phone."""
    context = {"pending_email": account.pending_email_change(request.user)}
    return render(request, "agents/manage.html", context)


def help_page(request):
    return render(request, "agents/help.html", {"base_template": BASE})


def contact_page(request):
    return render(request, "agents/contact.html", {"base_template": BASE})


def _agent_only(view_class, **options):
    """A portal account view for agents: agent page layout, agent login when signed out."""
    view = view_class.as_view(base_template=BASE, login_url=reverse_lazy("agents:login"), **options)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and request.user.kind != "agent":
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


password_change = _agent_only(
    portal_views.PasswordChangeView,
    success_url=reverse_lazy("agents:manage"),
)
email_change = _agent_only(
    portal_views.EmailChangeView,
    confirm_url="agents:email_confirm",
)
email_confirm = _agent_only(
    portal_views.EmailChangeConfirmView,
    success_url="agents:manage",
    start_url="agents:manage",
    confirms_contact=True,  # a verified new email also answers the first-entry question
)
phone_change = _agent_only(
    portal_views.PhoneChangeView,
    success_url=reverse_lazy("agents:manage"),
)
confirm_contact = _agent_only(
    portal_views.ConfirmContactView,
    success_url="agents:home",
    confirm_url="agents:email_confirm",
)

password_reset = portal_views.PasswordResetView.as_view(
    base_template=BASE,
    confirm_url_name="agents:password_reset_confirm",
    user_kind="agent",
    success_url=reverse_lazy("agents:password_reset_done"),
)
password_reset_done = portal_views.PasswordResetDoneView.as_view(base_template=BASE)
password_reset_confirm = portal_views.PasswordResetConfirmView.as_view(
    base_template=BASE,
    success_url=reverse_lazy("agents:password_reset_complete"),
)
password_reset_complete = portal_views.PasswordResetCompleteView.as_view(
    base_template=BASE,
    login_url_name="agents:login",
)
