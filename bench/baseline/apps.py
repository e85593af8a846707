"""Alta's agent models in the baseline project: the same model classes over the same tables
(`public.agents_*`, created and loaded by Alta), without the app's start-up hooks."""

from __future__ import annotations

from django.apps import AppConfig


class AgentModelsConfig(AppConfig):
    """`agents` for its models.py only: its ready() registers Alta's email providers and
    signal receivers, which import Alta's portal package; the baseline sends no email."""

    name = "agents"
    label = "agents"
    verbose_name = "Agentes (tablas de Alta)"

    def ready(self) -> None:
        pass
