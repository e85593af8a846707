"""Demo data for `make run`: each app's `demo.load(stdout)`, in INSTALLED_APPS order.

Every app with a `demo` module loads its own fictional data and returns the logins it
made, so this command (and `portal`) knows no feature app. `portal.demo` comes first: the
administrator's login, for every back-office task.
"""

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Carga datos de demostración (ficticios) de cada aplicación e imprime sus accesos."

    def handle(self, *args: Any, **options: Any) -> None:
        for app in apps.get_app_configs():
            name = f"{app.name}.demo"
            if find_spec(name) is None:
                continue
            for line in import_module(name).load(self.stdout):
                self.stdout.write(self.style.SUCCESS(line))
