"""The one access guard of both portals: signed in, and as this portal's kind of user.

Someone signed out goes to the portal's login page and comes back after signing in;
someone signed in as another kind of user (the other portal's, staff) is refused (403).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import resolve_url
from django.views.decorators.cache import never_cache

from . import AccountConfig, config_for

if TYPE_CHECKING:
    from portal.models import User

View = Callable[..., HttpResponse]


def refused(request: HttpRequest, config: AccountConfig) -> HttpResponse | None:
    """The answer when `request` may not see `config`'s pages, else None."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), resolve_url(config.url_name("login")))
    if config_for(request.user) != config:
        raise PermissionDenied
    return None


def account_required(config: AccountConfig) -> Callable[[View], View]:
    """Decorate a function view of `config`'s portal (never cached: it is personal)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return refused(request, config) or view(request, *args, **kwargs)

        return never_cache(guarded)

    return decorate


class AccountRequiredMixin:
    """The same guard for class-based views with a `config`."""

    config: AccountConfig = None  # type: ignore[assignment]  # given to as_view()
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return refused(request, self.config) or super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    @property
    def account_user(self) -> User:
        """The signed-in user (the guard let only this portal's users in)."""
        return cast("User", self.request.user)
