"""The second-factor pages, mounted in each portal's URLconf and, for staff, under /admin/
(namespace "backoffice"): sign-in with an app's code or a recovery code, enrolment (a passkey
or an authenticator app, then ten recovery codes), and the factors in "Administra tu Usuario".

Each view gets its portal's AccountConfig as `config`; which page a session may open is
decided by its stage (portal.accounts.mfa), the account gate redirecting to the right one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from portal import texts

from . import AccountConfig, forms, mfa
from .views import safe_next

if TYPE_CHECKING:
    from portal.models import User

Stage = mfa.Stage


def _locked_text() -> str:
    minutes = mfa.limited_minutes()
    return str(texts.SECOND_FACTOR_LOCKED % {"minutes": minutes})


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class SecondFactorPage(View):
    """Signed in as this portal's kind of user, at a stage this page serves."""

    config: AccountConfig = None  # type: ignore[assignment]  # given to as_view()
    stages: frozenset[Stage] = frozenset({Stage.DONE})
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect(self.config.url_name("login"))
        if mfa.account_kind(user) != self.config.user_kind:
            raise PermissionDenied
        stage = mfa.stage(request)
        if stage not in self.stages:
            return redirect(self.page_for(stage))
        return super().dispatch(request, *args, **kwargs)

    def page_for(self, stage: Stage) -> str:
        name = {Stage.VERIFY: "mfa_verify", Stage.ENROL: "mfa_setup"}.get(stage)
        return resolve_url(self.config.url_name(name) if name else self.config.account_url_name)

    @property
    def user(self) -> User:
        return cast("User", self.request.user)

    def next_url(self) -> str:
        return safe_next(self.request) or resolve_url(self.config.home_url_name)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        if self.config.user_kind == "staff":  # admin's frame: its header and site names
            context.update(admin.site.each_context(self.request))
        return {
            **context,
            "base_template": self.config.base_template,
            "account": self.config,
            "account_url": resolve_url(self.config.account_url_name),
            "next": safe_next(self.request),
            "stage": mfa.stage(self.request),
        }


# --- Sign in: password, then the second factor -------------------------------------------------


class VerifyView(SecondFactorPage, FormView[forms.SecondFactorCodeForm]):
    """ "Segundo factor": the app's code, a passkey, or "usar un código de recuperación"."""

    stages = frozenset({Stage.VERIFY})
    form_class = forms.SecondFactorCodeForm
    template_name = "portal/account/mfa_verify.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        factors = mfa.factors(self.user)
        context.update(
            has_app=any(f.kind == "app" for f in factors),
            has_passkey=any(f.kind == "passkey" for f in factors),
        )
        return context

    def form_valid(self, form: forms.SecondFactorCodeForm) -> HttpResponse:
        result = mfa.verify_code(self.request, self.user, form.cleaned_data["code"])
        if result is mfa.Check.OK:
            return redirect(self.next_url())
        form.add_error(
            "code", _locked_text() if result is mfa.Check.LOCKED else texts.SECOND_FACTOR_WRONG
        )
        return self.form_invalid(form)


class RecoveryView(SecondFactorPage, FormView[forms.RecoveryCodeForm]):
    stages = frozenset({Stage.VERIFY})
    form_class = forms.RecoveryCodeForm
    template_name = "portal/account/mfa_recovery.html"

    def form_valid(self, form: forms.RecoveryCodeForm) -> HttpResponse:
        result = mfa.verify_recovery_code(self.request, self.user, form.cleaned_data["code"])
        if result is mfa.Check.OK:
            left = mfa.recovery_codes_left(self.user)
            messages.warning(self.request, str(texts.RECOVERY_CODE_USED % {"count": left}))
            return redirect(self.config.account_url_name)
        form.add_error(
            "code", _locked_text() if result is mfa.Check.LOCKED else texts.RECOVERY_CODE_WRONG
        )
        return self.form_invalid(form)


# --- Enrolment -------------------------------------------------------------------------------


class SetupView(SecondFactorPage, TemplateView):
    """Choose a passkey or an authenticator app; where optional, "Ahora no"."""

    stages = frozenset({Stage.ENROL, Stage.DONE})
    template_name = "portal/account/mfa_setup.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not mfa.offered(request.user):
            raise Http404  # not offered to this kind of account
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["required"] = mfa.stage(self.request) is Stage.ENROL
        context["first_factor"] = not mfa.has_second_factor(self.user)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """ "Ahora no" (only where the factor is optional)."""
        if mfa.skip_enrolment(request):
            messages.info(request, texts.SECOND_FACTOR_SKIPPED)
            return redirect(self.next_url())
        return redirect(self.config.url_name("mfa_setup"))


class AppView(SecondFactorPage, FormView[forms.SecondFactorCodeForm]):
    """An authenticator app: the QR code and the key as text, then one code to confirm."""

    stages = frozenset({Stage.ENROL, Stage.DONE})
    form_class = forms.SecondFactorCodeForm
    template_name = "portal/account/mfa_app.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The same key on a reload or after a wrong code: the person may have scanned it.
        device = mfa.pending_app(self.user) or mfa.start_app(self.user)
        context.update(qr_svg=mfa.app_qr_svg(device), key_text=mfa.app_key_text(device))
        return context

    def form_valid(self, form: forms.SecondFactorCodeForm) -> HttpResponse:
        found = mfa.confirm_app(self.request, self.user, form.cleaned_data["code"])
        if isinstance(found, mfa.Check):
            form.add_error(
                "code", _locked_text() if found is mfa.Check.LOCKED else texts.SECOND_FACTOR_WRONG
            )
            return self.form_invalid(form)
        messages.success(self.request, texts.SECOND_FACTOR_ADDED)
        return redirect(mfa.factor_enrolled(self.request, self.user, found, change="app_added"))


class RecoveryCodesView(SecondFactorPage, FormView[Form]):  # a bare Form the first time
    """Ten recovery codes, shown once in the answer to the POST that makes them (only their
    HMAC is kept). New ones replace the old, so renewing asks for the password."""

    form_class = forms.CurrentPasswordForm
    template_name = "portal/account/mfa_recovery_codes.html"

    def renewing(self) -> bool:
        return mfa.recovery_codes_left(self.user) > 0

    def get_form(self, form_class: type[Form] | None = None) -> Form:
        data = self.request.POST if self.request.method == "POST" else None
        if not self.renewing():
            return Form(data)
        return forms.CurrentPasswordForm(data, user=self.user, request=self.request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(renewing=self.renewing(), left=mfa.recovery_codes_left(self.user))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not mfa.has_second_factor(self.user):
            return redirect(self.config.url_name("mfa_setup"))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Form) -> HttpResponse:
        renewing = self.renewing()
        codes = mfa.issue_recovery_codes(self.user)
        if renewing:
            mfa.queue_factor_notice(self.user, change="recovery_renewed")
        context = self.get_context_data(form=form)
        context.update(codes=codes, codes_text="\r\n".join(codes) + "\r\n")
        return render(self.request, "portal/account/mfa_recovery_codes_shown.html", context)


# --- "Administra tu Usuario" -----------------------------------------------------------------


class ManageView(SecondFactorPage, FormView[forms.FactorRemoveForm]):
    """The factors: each with its date and a remove form (password + a current factor)."""

    form_class = forms.FactorRemoveForm
    template_name = "portal/account/mfa_manage.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.user, "request": self.request}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            factors=mfa.factors(self.user),
            recovery_left=mfa.recovery_codes_left(self.user),
            policy=str(mfa.policy_for(self.user)),
        )
        return context

    def form_valid(self, form: forms.FactorRemoveForm) -> HttpResponse:
        result = mfa.check_current_factor(self.request, self.user, form.cleaned_data["code"])
        if result is not mfa.Check.OK:
            form.add_error(
                "code", _locked_text() if result is mfa.Check.LOCKED else texts.CURRENT_FACTOR_WRONG
            )
            return self.form_invalid(form)
        if mfa.remove_factor(self.request, self.user, form.cleaned_data["factor"]):
            messages.success(self.request, texts.SECOND_FACTOR_REMOVED)
        if mfa.stage(self.request) is Stage.ENROL:  # the last one, where it is required
            return redirect(self.config.url_name("mfa_setup"))
        return redirect(self.config.url_name("mfa_manage"))


# URL name → (path, view), mounted by portal.accounts.urls in each portal and for staff.
MFA_PAGES: dict[str, tuple[str, type[View]]] = {
    "mfa_verify": ("segundo-factor/", VerifyView),
    "mfa_recovery": ("segundo-factor/recuperacion/", RecoveryView),
    "mfa_setup": ("segundo-factor/activar/", SetupView),
    "mfa_app": ("segundo-factor/app/", AppView),
    "mfa_recovery_codes": ("segundo-factor/codigos/", RecoveryCodesView),
    "mfa_manage": ("segundo-factor/administrar/", ManageView),
}
