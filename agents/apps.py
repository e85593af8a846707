from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agentes"

    def ready(self):
        from . import admin_portal  # noqa: F401 - "Novedades" in admin, beside agents.admin
