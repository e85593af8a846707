"""Account pages of both portals. Each view is mounted once per portal by
`portal.accounts.urls.account_urlpatterns`, with that portal's AccountConfig as `config`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from portal import codes, failed_post, ratelimit, texts
from portal.links import email_base_url

from . import AccountConfig, config_for, forms, mfa, services
from .guards import AccountRequiredMixin

if TYPE_CHECKING:
    from portal.models import User


def safe_next(request: HttpRequest) -> str:
    """The `next` parameter when it points into this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _requester(request: HttpRequest) -> dict[str, str]:
    """The session and address that limits on code mails and email answers count by."""
    if request.session.session_key is None:
        request.session.save()  # a signed-in user always has one; this is a safeguard
    return {"session_key": request.session.session_key or "", "ip": ratelimit.client_ip(request)}


class AccountPageMixin:
    """The portal's layout and URLs for the account templates."""

    config: AccountConfig = None  # type: ignore[assignment]  # given to as_view()
    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        return {**context, **self.page_context()}

    def page_context(self) -> dict[str, Any]:
        config = self.config
        return {
            "base_template": config.base_template,
            "account": config,
            "login_url": resolve_url(config.url_name("login")),
            "password_reset_url": resolve_url(config.url_name("password_reset")),
            "account_url": resolve_url(config.account_url_name),
        }


# --- Login and logout ------------------------------------------------------------------------


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class LoginView(AccountPageMixin, auth_views.LoginView):
    """Django's login (a new session key) with the portal's form; a temporary password goes
    straight to "Cambio de contraseña". A refused POST answers 303 to this page, which shows
    the errors and the name typed (never the password) once (portal.failed_post): Back,
    Forward and reload never send the password again nor count another failure."""

    authentication_form = forms.LoginForm

    @property
    def failed_slot(self) -> str:
        return f"failed_post:{self.config.namespace}:login"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if config_for(request.user) == self.config:  # already signed in here
            return HttpResponseRedirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self) -> list[str]:
        return [self.config.login_template]

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "config": self.config}

    def get_form(
        self, form_class: type[auth_forms.AuthenticationForm] | None = None
    ) -> auth_forms.AuthenticationForm:
        if self.request.method == "GET" and self.failed_slot in self.request.session:
            make = form_class or self.get_form_class()
            kwargs = self.get_form_kwargs()
            refused = failed_post.shown(
                self.request.session, self.failed_slot, lambda data: make(**kwargs, data=data)
            )
            if isinstance(refused, auth_forms.AuthenticationForm):
                return refused
        return super().get_form(form_class)

    def form_invalid(self, form: Form) -> HttpResponse:
        failed_post.keep(self.request.session, self.failed_slot, form)
        return failed_post.redirect_303(_with_next(self.request.path, safe_next(self.request)))

    def get_default_redirect_url(self) -> str:
        if services.password_needs_change(cast("User", self.request.user)):
            return resolve_url(self.config.url_name("password_change"))
        return resolve_url(self.config.home_url_name)


class LogoutView(auth_views.LogoutView):
    config: AccountConfig = None  # type: ignore[assignment]  # given to as_view()

    def get_default_redirect_url(self) -> str:
        return resolve_url(self.config.url_name("login"))


# --- Password change -------------------------------------------------------------------------


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class PasswordChangeView(
    AccountRequiredMixin, AccountPageMixin, FormView[forms.PasswordChangeForm]
):
    """ "Cambio de contraseña". A temporary or too old password: the user is logged out and
    told to log in again, as the agent manual shows. Otherwise the session key is rotated
    and kept, and every other session ends (the password hash changed)."""

    form_class = forms.PasswordChangeForm
    template_name = "portal/account/password_change.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.account_user, "request": self.request}

    def form_valid(self, form: forms.PasswordChangeForm) -> HttpResponse:
        forced = services.password_needs_change(self.account_user)
        user = form.save()
        if forced:
            auth.logout(self.request)
            context = self.page_context()  # signed out: no form to show
            return render(self.request, "portal/account/password_change_done.html", context)
        auth.update_session_auth_hash(self.request, user)
        messages.success(self.request, texts.PASSWORD_CHANGED)
        return redirect(self.config.account_url_name)


# --- Email change with a code ----------------------------------------------------------------


class SendsEmailCodeMixin(AccountRequiredMixin):
    """For the pages where a new email is typed (email change, first-entry contact data)."""

    form_invalid: Callable[[Form], HttpResponse]  # FormView's

    def send_email_code(self, form: Form) -> HttpResponse:
        """Send a code to the form's new `email` and go to its confirmation page, or show
        the form again with the reason (the address is taken, or a code was sent too
        recently)."""
        try:
            services.start_email_change(
                self.account_user, form.cleaned_data["email"], **_requester(self.request)
            )
        except services.EmailInUse:
            form.add_error("email", texts.EMAIL_TAKEN)
            return self.form_invalid(form)
        except services.EmailUnavailable:
            form.add_error("email", texts.EMAIL_UNAVAILABLE)
            return self.form_invalid(form)
        except codes.SendRefused as refused:
            form.add_error(None, texts.code_wait(refused.wait_seconds))
            return self.form_invalid(form)
        url = resolve_url(self.config.url_name("email_confirm"))
        return redirect(_with_next(url, safe_next(self.request)))


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class EmailChangeView(SendsEmailCodeMixin, AccountPageMixin, FormView[forms.EmailChangeForm]):
    """Step 1: the new address twice and the current password; a code goes to it."""

    form_class = forms.EmailChangeForm
    template_name = "portal/account/email_change.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.account_user, "request": self.request}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["next"] = safe_next(self.request)
        return context

    def form_valid(self, form: forms.EmailChangeForm) -> HttpResponse:
        return self.send_email_code(form)


@method_decorator(never_cache, name="dispatch")
class EmailChangeConfirmView(AccountRequiredMixin, AccountPageMixin, FormView[forms.CodeForm]):
    """Step 2: the 6-digit code sent to the new address; on success it is the user's, the
    old address is told and the user's other sessions end.
    "Reenviar código" sends a new one (after a cooldown); "Cancelar" drops the change."""

    form_class = forms.CodeForm
    template_name = "portal/account/email_confirm.html"
    new_email: str | None = None  # the address awaiting its code, read once per request

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if config_for(request.user) == self.config:  # else the guard answers
            self.new_email = services.pending_email_change(self.account_user)
            if self.new_email is None:
                messages.info(request, texts.NO_EMAIL_CHANGE_PENDING)
                return redirect(self.config.account_url_name)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        new_email = self.new_email
        context.update(
            new_email=new_email,
            wait_seconds=codes.seconds_until_next_send(new_email) if new_email else 0,
            next=safe_next(self.request),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = self.account_user
        if "cancel" in request.POST:
            services.cancel_email_change(user)
            messages.info(request, texts.EMAIL_CHANGE_CANCELLED)
            return redirect(self.config.account_url_name)
        if "resend" in request.POST:
            try:
                email = services.resend_email_change_code(user, **_requester(request))
            except codes.SendRefused as refused:
                messages.warning(request, texts.code_wait(refused.wait_seconds))
            except (services.EmailInUse, services.EmailUnavailable) as refused:
                services.cancel_email_change(user)  # another account took it meanwhile
                taken = isinstance(refused, services.EmailInUse)
                messages.error(request, texts.EMAIL_TAKEN if taken else texts.EMAIL_UNAVAILABLE)
                return redirect(self.config.url_name("email_change"))
            else:
                messages.info(request, str(texts.CODE_SENT) % {"email": email})
            return redirect(_with_next(request.path, safe_next(request)))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: forms.CodeForm) -> HttpResponse:
        user = self.account_user
        try:
            result = services.confirm_email_change(
                user,
                form.cleaned_data["code"],
                current_session_key=self.request.session.session_key,
            )
        except services.NoEmailChangePending:
            return redirect(self.config.account_url_name)
        except services.EmailInUse:
            services.cancel_email_change(user)
            messages.error(self.request, texts.EMAIL_TAKEN)
            return redirect(self.config.url_name("email_change"))
        if result is not codes.Check.OK:
            form.add_error("code", texts.code_error(result.value))
            return self.form_invalid(form)
        first_entry = self.config.contact_confirmation and user.contact_confirmed_at is None
        if self.config.contact_confirmation:
            services.confirm_contact(user)
        messages.success(self.request, texts.EMAIL_CHANGED)
        target = safe_next(self.request) or resolve_url(self.config.account_url_name)
        return redirect(_offer_second_factor(self.config, user, target) if first_entry else target)


# --- Contact data (portals that confirm it at the first entry) -------------------------------


@method_decorator(never_cache, name="dispatch")
class PhoneChangeView(AccountRequiredMixin, AccountPageMixin, FormView[forms.PhoneForm]):
    form_class = forms.PhoneForm
    template_name = "portal/account/phone.html"

    def get_initial(self) -> dict[str, Any]:
        return {"phone": self.account_user.phone}

    def form_valid(self, form: forms.PhoneForm) -> HttpResponse:
        services.update_phone(self.account_user, form.cleaned_data["phone"])
        messages.success(self.request, texts.PHONE_CHANGED)
        return redirect(self.config.account_url_name)


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class ConfirmContactView(SendsEmailCodeMixin, AccountPageMixin, FormView[forms.ContactForm]):
    """First entry: confirm or update email and phone; a new email is verified by a code
    on the email-confirmation page, which then counts as the confirmation."""

    form_class = forms.ContactForm
    template_name = "portal/account/confirm_contact.html"

    def get_initial(self) -> dict[str, Any]:
        user = self.account_user
        return {"email": user.email, "phone": user.phone}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.account_user, "request": self.request}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "next": safe_next(self.request)}

    def form_valid(self, form: forms.ContactForm) -> HttpResponse:
        user = self.account_user
        services.update_phone(user, form.cleaned_data["phone"])
        if form.cleaned_data["email"] != (user.email or "").lower():
            return self.send_email_code(form)
        services.confirm_contact(user)
        messages.success(self.request, texts.CONTACT_CONFIRMED)
        target = safe_next(self.request) or resolve_url(self.config.home_url_name)
        return redirect(_offer_second_factor(self.config, user, target))


def _offer_second_factor(config: AccountConfig, user: User, target: str) -> str:
    """After the first entry's checks: the second factor's offer where it is optional and
    none is enrolled (it says "Ahora no" and goes on to `target`), else `target`."""
    if mfa.offer_enrolment(user):
        return _with_next(resolve_url(config.url_name("mfa_setup")), target)
    return target


# --- "¿Olvidaste tu contraseña?" and set-password links ------------------------------------


@method_decorator(never_cache, name="dispatch")
class PasswordResetView(AccountPageMixin, FormView[forms.PasswordResetForm]):
    """The same answer whether or not the address (or username) has an account."""

    form_class = forms.PasswordResetForm
    template_name = "portal/account/password_reset.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "config": self.config,
            "client_ip": ratelimit.client_ip(self.request),
        }

    def form_valid(self, form: forms.PasswordResetForm) -> HttpResponse:
        services.request_password_reset(
            self.config, form.cleaned_data["email"], base_url=email_base_url(self.request)
        )
        return redirect(self.config.url_name("password_reset_done"))


class PasswordResetDoneView(AccountPageMixin, TemplateView):
    template_name = "portal/account/password_reset_done.html"


class SetPasswordView(AccountPageMixin, auth_views.PasswordResetConfirmView):
    """A set-password link ("aquí", "¿Olvidaste tu contraseña?"). Its token goes, on the
    redirect that hides it from the URL, into a signed HttpOnly cookie limited to this page
    instead of Django's session, so no token sits in `django_session`: the browser that
    holds the link holds the token, and the server keeps nothing."""

    form_class = forms.SetPasswordForm
    template_name = "portal/account/password_reset_confirm.html"
    token_generator = default_token_generator
    token_cookie = "alta_enlace"  # noqa: S105 - a cookie name

    def _cookie_path(self) -> str:
        return self.request.path.rsplit("/", 2)[0] + "/"

    @method_decorator(sensitive_post_parameters())
    @method_decorator(never_cache)
    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.validlink = False
        self.user = self.get_user(kwargs["uidb64"])
        token = kwargs["token"]
        if self.user is not None and self.user.kind != self.config.user_kind:
            self.user = None
        if self.user is not None and token == self.reset_url_token:
            held = self.request.get_signed_cookie(self.token_cookie, None, salt=self.token_cookie)
            if self.token_generator.check_token(self.user, held):
                self.validlink = True
                return FormView.dispatch(self, *args, **kwargs)
        elif self.user is not None and self.token_generator.check_token(self.user, token):
            response = HttpResponseRedirect(self.request.path.replace(token, self.reset_url_token))
            response.set_signed_cookie(
                self.token_cookie, token, salt=self.token_cookie, path=self._cookie_path(),
                max_age=settings.PASSWORD_RESET_TIMEOUT, secure=settings.SESSION_COOKIE_SECURE,
                httponly=True, samesite="Strict",
            )  # fmt: skip
            return response
        return self.render_to_response(self.get_context_data())

    def get_success_url(self) -> str:
        return resolve_url(self.config.url_name("password_reset_complete"))

    def form_valid(self, form: forms.SetPasswordForm) -> HttpResponse:
        form.save()
        response = HttpResponseRedirect(self.get_success_url())
        response.delete_cookie(self.token_cookie, path=self._cookie_path(), samesite="Strict")
        return response


class PasswordResetCompleteView(AccountPageMixin, TemplateView):
    """ "¡Éxito!"; the button returns to the portal's login."""

    template_name = "portal/account/password_reset_complete.html"
