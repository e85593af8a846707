"""The agent portal (001 §4): login, home, "Administra tu Usuario", Ayuda, Contacto.

Account pages (password, email, phone, reset) are portal's generic views configured here;
`portal.middleware` keeps an agent on "Cambio de contraseña" or the contact confirmation
until done.
"""

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts import services as account
from portal.accounts.guards import account_required

from .accounts import AGENTS
from .models import Agent, Announcement

agent_required = account_required(AGENTS)


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
    return render(request, "agents/help.html", {"base_template": AGENTS.base_template})


def contact_page(request):
    return render(request, "agents/contact.html", {"base_template": AGENTS.base_template})
