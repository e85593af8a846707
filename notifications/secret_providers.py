"""The outbox's secret providers, one per email template: the function that makes an email's
secrets (a code, a temporary password, a link carrying a token) when it is sent, so none is
stored. Each app registers the providers of its own templates in its AppConfig.ready(), which
runs in every process, the workers included."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .models import OutboxEmail

SecretProvider = Callable[["OutboxEmail"], dict[str, Any]]

_by_template: dict[str, SecretProvider] = {}


def register(template: str, provider: SecretProvider) -> None:
    """Make `provider` the maker of `template`'s secrets; a second one for the same template
    is refused, since only one of them could ever run."""
    if template in _by_template:
        raise ImproperlyConfigured(
            f"Outbox template {template!r} already has a secret provider: "
            f"{dotted_path(_by_template[template])}"
        )
    _by_template[template] = provider


def provider_for(template: str) -> SecretProvider | None:
    """The function that makes `template`'s secrets, or None for an email without any."""
    return _by_template.get(template)


def ensure(template: str, provider: SecretProvider) -> None:
    """Refuse (ImproperlyConfigured) to queue `template` unless `provider` makes its secrets:
    for code whose caller chooses the template, whose email would otherwise go out without
    its secret."""
    if provider_for(template) is not provider:
        raise ImproperlyConfigured(
            f"Outbox template {template!r} must be registered with {dotted_path(provider)}"
        )


def dotted_path(provider: SecretProvider) -> str:
    """Where `provider` is imported from, as a row stores it for the previous release's
    workers: its package when that re-exports it ("registration.services.f", not
    "registration.services.blocking.f", which that release cannot import), else its module
    ("portal.codes.generate_for_email")."""
    module, name = provider.__module__, provider.__qualname__
    package = module.rpartition(".")[0]
    if package and getattr(sys.modules.get(package), name, None) is provider:
        return f"{package}.{name}"
    return f"{module}.{name}"
