from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView

from . import codes, forms, ratelimit, services


def home(request):
    """`/`: choose Clientes or Agentes."""
    return render(request, "portal/home.html")


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "no configurado (modo embebido)"
    cache.set("salud", "ok", 5)
    if cache.get("salud") != "ok":
        raise RuntimeError("cache read back failed")
    return "ok"


def _check_celery() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager (modo embebido)"
    from portal.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no worker answered")
    return f"ok ({len(replies)} worker(s))"


@never_cache
def health(request):
    """`/salud/`: database, Redis and Celery; 200 when all answer, 503 otherwise."""
    checks, healthy = {}, True
    for name, check in (
        ("database", _check_database),
        ("redis", _check_redis),
        ("celery", _check_celery),
    ):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports, never raises
            healthy = False
            checks[name] = f"error: {type(exc).__name__}"
    body = {"status": "ok" if healthy else "error", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)


# --- Login lockout (django-axes) ------------------------------------------------------------


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a locked-out login sees the login page with the same message
    as a wrong password (the page says that failures lock the access for a while)."""
    if original_response is not None and original_response.status_code == 200:
        return original_response
    return render(request, "portal/locked.html", status=200)


def lockout_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username axes counts failures for, cut to its column
    (255 characters) so that a 100 KB "username" gets the wrong-password page, not a 500."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return None if username is None else str(username).replace("\x00", "")[:255]


# --- Account pages shared by the agent and client portals (see portal/services.py) ---------


class AccountPageMixin:
    """`template_name` and `base_template` (the layout the page extends) are per portal."""

    base_template = "base.html"
    portal_name = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(base_template=self.base_template, password_rules=forms.password_rules())
        return context


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class PasswordChangeView(LoginRequiredMixin, AccountPageMixin, FormView):
    """ "Cambio de contraseña" (001 §4). When the password was temporary or too old, the
    user is logged out and told to log in again, as the manual shows; otherwise the session
    is rotated and kept, and every other session ends (the password hash changed)."""

    form_class = forms.PasswordChangeForm
    template_name = "portal/account/password_change.html"
    done_template_name = "portal/account/password_change_done.html"
    success_url = None  # where a voluntary change returns

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        forced = services.password_needs_change(self.request.user)
        user = form.save()
        if forced:
            auth.logout(self.request)
            context = {
                "base_template": self.base_template,
                "login_url": resolve_url(self.get_login_url()),
            }
            return render(self.request, self.done_template_name, context)
        auth.update_session_auth_hash(self.request, user)  # new session key, still signed in
        messages.success(self.request, _("Contraseña cambiada exitosamente."))
        return redirect(self.success_url or "home")


@method_decorator(never_cache, name="dispatch")
class EmailChangeView(LoginRequiredMixin, AccountPageMixin, FormView):
    """Step 1 of an email change: the new address, twice; a code goes to it."""

    form_class = forms.EmailChangeForm
    template_name = "portal/account/email_change.html"
    confirm_url = None  # the EmailChangeConfirmView's URL name

    def form_valid(self, form):
        try:
            services.start_email_change(self.request.user, form.cleaned_data["email"])
        except services.EmailInUse:
            form.add_error("email", _("Este correo electrónico ya está registrado en otra cuenta."))
            return self.form_invalid(form)
        except codes.SendRefused as refused:
            form.add_error(None, wait_message(refused.wait_seconds))
            return self.form_invalid(form)
        url = resolve_url(self.confirm_url)
        next_url = safe_next(self.request)
        return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


def wait_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return _("Ya enviamos un código hace poco. Podrás pedir otro en %(minutes)s minuto(s).") % {
        "minutes": minutes
    }


def safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@method_decorator(never_cache, name="dispatch")
class EmailChangeConfirmView(LoginRequiredMixin, AccountPageMixin, FormView):
    """Step 2: the 6-digit code sent to the new address; on success it is the user's."""

    form_class = forms.CodeForm
    template_name = "portal/account/email_confirm.html"
    success_url = None
    start_url = None  # where to ask for a new code
    confirms_contact = False  # also counts as the first-entry contact confirmation

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and services.pending_email_change(request.user) is None:
            messages.info(request, _("No hay un cambio de correo pendiente."))
            return redirect(self.start_url)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            new_email=services.pending_email_change(self.request.user),
            start_url=resolve_url(self.start_url),
            next=safe_next(self.request),
        )
        return context

    def form_valid(self, form):
        user = self.request.user
        try:
            result = services.confirm_email_change(user, form.cleaned_data["code"])
        except services.NoEmailChangePending:
            return redirect(self.start_url)
        if result is codes.Check.OK:
            if self.confirms_contact:
                services.confirm_contact(user)
            messages.success(self.request, _("Tu correo electrónico quedó actualizado."))
            return redirect(safe_next(self.request) or resolve_url(self.success_url))
        errors = {
            codes.Check.WRONG: _("El código no es correcto. Revísalo e inténtalo de nuevo."),
            codes.Check.EXPIRED: _("El código venció o ya se usó. Solicita uno nuevo."),
            codes.Check.LOCKED: _("Demasiados intentos con este código. Solicita uno nuevo."),
        }
        form.add_error("code", errors[result])
        return self.form_invalid(form)


@method_decorator(never_cache, name="dispatch")
class PhoneChangeView(LoginRequiredMixin, AccountPageMixin, FormView):
    form_class = forms.PhoneForm
    template_name = "portal/account/phone.html"
    success_url = None

    def get_initial(self):
        return {"phone": self.request.user.phone}

    def form_valid(self, form):
        services.update_phone(self.request.user, form.cleaned_data["phone"])
        messages.success(self.request, _("Tu teléfono de contacto quedó actualizado."))
        return redirect(self.success_url)


@method_decorator(never_cache, name="dispatch")
class ConfirmContactView(LoginRequiredMixin, AccountPageMixin, FormView):
    """First entry: confirm or update email and phone. A new email is verified by a code
    (the EmailChangeConfirmView at `confirm_url`, with `confirms_contact=True`)."""

    form_class = forms.ContactForm
    template_name = "portal/account/confirm_contact.html"
    success_url = None
    confirm_url = None

    def get_initial(self):
        return {"email": self.request.user.email, "phone": self.request.user.phone}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": safe_next(self.request)}

    def form_valid(self, form):
        user = self.request.user
        services.update_phone(user, form.cleaned_data["phone"])
        next_url = safe_next(self.request)
        if form.cleaned_data["email"] != (user.email or "").lower():
            try:
                services.start_email_change(user, form.cleaned_data["email"])
            except services.EmailInUse:
                form.add_error(
                    "email", _("Este correo electrónico ya está registrado en otra cuenta.")
                )
                return self.form_invalid(form)
            except codes.SendRefused as refused:
                form.add_error(None, wait_message(refused.wait_seconds))
                return self.form_invalid(form)
            url = resolve_url(self.confirm_url)
            return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)
        services.confirm_contact(user)
        messages.success(self.request, _("Gracias, tus datos de contacto quedaron confirmados."))
        return redirect(next_url or resolve_url(self.success_url))


# --- "¿Olvidaste tu contraseña?" (Django's views, our form and the outbox) -----------------


class PasswordResetView(AccountPageMixin, auth_views.PasswordResetView):
    form_class = forms.PasswordResetForm
    template_name = "portal/account/password_reset.html"
    confirm_url_name = None  # URL name of the PasswordResetConfirmView
    user_kind = ""

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "client_ip": ratelimit.client_ip(self.request),
            "user_kind": self.user_kind,
        }

    def form_valid(self, form):
        base_url = f"{self.request.scheme}://{self.request.get_host()}"
        form.save(base_url=base_url, confirm_url_name=self.confirm_url_name)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(AccountPageMixin, auth_views.PasswordResetDoneView):
    template_name = "portal/account/password_reset_done.html"


class TokenOutOfSessionMixin:
    """For Django's PasswordResetConfirmView: the link's token goes, on the redirect that
    hides it from the URL, into a signed HttpOnly cookie limited to the set-password page
    instead of the session, so it never sits in `django_session` (issue 5 §6). The browser
    that holds the link holds the token; the server keeps nothing."""

    token_cookie = "alta_enlace"  # noqa: S105 - a cookie name

    def _cookie_path(self) -> str:
        return self.request.path.rsplit("/", 2)[0] + "/"

    @method_decorator(sensitive_post_parameters())
    @method_decorator(never_cache)
    def dispatch(self, *args, **kwargs):
        self.validlink = False
        self.user = self.get_user(kwargs["uidb64"])
        token = kwargs["token"]
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

    def form_valid(self, form):
        user = form.save()
        if self.post_reset_login:
            auth.login(self.request, user, self.post_reset_login_backend)
        response = FormView.form_valid(self, form)
        response.delete_cookie(self.token_cookie, path=self._cookie_path(), samesite="Strict")
        return response


class PasswordResetConfirmView(
    TokenOutOfSessionMixin, AccountPageMixin, auth_views.PasswordResetConfirmView
):
    form_class = forms.SetPasswordForm
    template_name = "portal/account/password_reset_confirm.html"


class PasswordResetCompleteView(AccountPageMixin, auth_views.PasswordResetCompleteView):
    template_name = "portal/account/password_reset_complete.html"
    login_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["login_url"] = reverse(self.login_url_name or settings.LOGIN_URL)
        return context


CAPTCHA_REFRESHES_PER_HOUR = 30


def captcha_refresh(request):
    """simple-captcha's refresh, limited per IP: each call makes a new challenge, and an
    unlimited supply lets a solver pick easy ones (DESIGN, "Known traps")."""
    from captcha.views import captcha_refresh as refresh

    ip = ratelimit.client_ip(request)
    if ratelimit.hit("captcha-refresh", ip, 60 * 60) > CAPTCHA_REFRESHES_PER_HOUR:
        return JsonResponse({"error": "demasiadas solicitudes"}, status=429)
    return refresh(request)
