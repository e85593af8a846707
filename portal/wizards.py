"""What both wizards (agent request, client registration) need on top of formtools."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.template.response import SimpleTemplateResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import normalize_name

from portal import failed_post, funnel, ratelimit, texts

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

M = TypeVar("M", bound=Model)


class WizardSteps(Protocol):
    """The part of formtools' `StepsHelper` (`wizard.steps`) the wizards use."""

    @property
    def all(self) -> list[str]: ...
    @property
    def current(self) -> str: ...
    @property
    def first(self) -> str: ...
    @property
    def last(self) -> str: ...
    @property
    def prev(self) -> str | None: ...
    @property
    def step1(self) -> int: ...


class WizardStorage(Protocol):
    """The part of formtools' session storage (`wizard.storage`) the wizards use."""

    prefix: str  # the wizard's key in the session
    data: dict[str, Any]  # all of it, as the session holds it
    current_step: str | None
    extra_data: dict[str, Any]  # what the wizard recorded: identities checked, codes sent

    def get_step_data(self, step: str) -> QueryDict | None: ...
    def get_step_files(self, step: str) -> Any: ...
    def show_step(self, step: str) -> None: ...
    def reset(self) -> None: ...


def fingerprint(data: dict[str, Any]) -> str:
    """A digest of what the person typed, to know a step was already checked as is."""
    plain = {k: str(v) for k, v in sorted(data.items())}
    return hashlib.sha256(json.dumps(plain).encode()).hexdigest()


class IdentifyOnceForm(Form):
    """A wizard's identification step, checked once: `verified` (what the wizard stored
    when it passed, with the `fingerprint` of the typed data) lets the same data pass again,
    in a later request or formtools' final re-validation of every step, without identifying
    again and counting another attempt against the limit.

    Subclasses `identify` from the cleaned data, `restore` what `verified` names, and turn
    each of their `refused_by` exceptions into the flow's message with `refusal`.
    """

    refused_by: tuple[type[Exception], ...] = ()

    def __init__(
        self,
        *args: Any,
        client_ip: str = "",
        verified: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.client_ip = client_ip
        self.verified = verified or {}

    def identify(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def restore(self, verified: dict[str, Any]) -> bool:
        """Load what `verified` names; False when it is gone (then identify again)."""
        raise NotImplementedError

    def refusal(self, error: Exception) -> ValidationError:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        if self.verified.get("fp") == fingerprint(data) and self.restore(self.verified):
            return data
        try:
            self.identify(data)
        except ratelimit.RateLimited:
            raise ValidationError(texts.TOO_MANY_ATTEMPTS, code="rate_limited") from None
        except self.refused_by as refused:
            raise self.refusal(refused) from None
        return data


@dataclass
class SessionFlow:
    """A wizard's typed state (agents.flow, registration.flow), kept in the wizard's storage
    as plain JSON. `changed` says it must be stored again (`PortalWizardMixin.keep_flow`);
    subclasses `read` what `as_session` wrote."""

    changed: bool = field(default=False, compare=False, repr=False, kw_only=True)

    def as_session(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        del data["changed"]
        return data

    @classmethod
    def from_session(cls, data: Mapping[str, Any] | None) -> Self:
        """The flow a session holds; a new one for nothing, or for what an older release
        stored in another shape (the wizard starts again at step 1)."""
        if not data:
            return cls()
        try:
            return cls.read(data)
        except (KeyError, TypeError, ValueError):
            return cls()

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> Self:
        raise NotImplementedError


FLOW = "flow"  # the flow's key in the wizard's storage (formtools' `extra_data`)
# The step whose stored data failed formtools' final re-validation: its next GET shows it
# bound, with the errors that sent the person back there.
RECHECK = "recheck"
# The steps this flow already counted in the funnel (portal.funnel): Regresar and the same
# step posted again count once.
COUNTED = "funnel"
# A step's POST that failed (portal.failed_post): its step, what was typed but secrets, and
# the errors, shown by the next GET of that step, which removes it.
FAILED = "failed"


class PortalWizardMixin:
    """One page layout for every step, each step at its own URL, and only the current step
    or an earlier one. Precedes formtools' `NamedUrlSessionWizardView`.

    Pages: `portal/wizard_step.html` shows "Paso N de M" with `step_titles` (the last
    being `final_step`, the screen after `done`), the step's `steps_folder/<step>.html`,
    and the buttons Cancelar (`cancel_url_name`), Regresar, and `continue_label`.

    URLs: `start_url_name` is the entry (step 1 itself, shown without a redirect: a
    campaign click-through costs one request); `url_name` takes the step's name, and
    formtools' `done_step_name` there is refused like any other non-step. Every POST
    answers with a redirect to the step to show; a form with errors too (303 to its own
    step, whose GET shows them with the typed data, see FAILED), so Back, Forward and
    reload only ever GET a step's page. `secret_fields` names, per step, what is never
    kept for that GET (passwords never are): it shows empty.

    Steps: formtools trusts the posted step and the step in the URL: a junk name, or a later
    one, would be processed or shown as if the earlier steps were done. Here either leads
    to the first step not yet done, with `expired_message`; Regresar only goes backwards.

    State: what the steps learnt is the wizard's `flow` (a `flow_class`, kept in the
    storage by `keep_flow`); formtools' step data only keeps what was typed, for the
    re-validation and to show it again. A step's GET shows the form unbound, what was typed
    as its initial values, so no form is validated (nor a row read) to show a page.
    """

    # Saves the session only when the wizard changed it (formtools' own marks every read).
    storage_name = "portal.sessions.WizardSessionStorage"

    template_name = "portal/wizard_step.html"
    start_url_name = ""
    url_name = ""
    cancel_url_name = ""
    steps_folder = ""
    step_titles: Mapping[str, StrOrPromise] = {}
    funnel_title: StrOrPromise = ""  # the wizard's funnel on the dashboard (portal.funnel)
    final_step = ""
    continue_label: StrOrPromise = ""
    expired_message: StrOrPromise = ""
    flow_class: type[SessionFlow] = SessionFlow
    secret_fields: Mapping[str, tuple[str, ...]] = {}

    if TYPE_CHECKING:  # what formtools' NamedUrlSessionWizardView (untyped) gives the mixin
        request: HttpRequest
        prefix: str
        steps: WizardSteps
        storage: WizardStorage
        done_step_name: str

        def get_form_list(self) -> dict[str, type[Form]]: ...
        def get_form(
            self, step: str | None = None, data: Any = None, files: Any = None
        ) -> Form: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        steps = [name for name, _form in getattr(cls, "form_list", ())]
        if steps:
            funnel.register(
                wizard=cls.funnel_name(),
                title=cls.funnel_title or cls.funnel_name(),
                steps=steps,
                titles=cls.step_titles,
            )

    @classmethod
    def funnel_name(cls) -> str:
        """The wizard's name in the funnel: its app ("agents", "registration")."""
        return cls.__module__.partition(".")[0]

    def count_in_funnel(self, step: str) -> None:
        """Count `step` passed, once per flow (the storage remembers it until reset)."""
        counted = self.storage.extra_data.get(COUNTED, [])
        if step not in counted:
            self.storage.extra_data = {**self.storage.extra_data, COUNTED: [*counted, step]}
            funnel.count(wizard=self.funnel_name(), step=step)

    def process_step(self, form: Form) -> Any:
        # Called for a step's valid POST only: showing a page counts nothing.
        self.count_in_funnel(self.steps.current)
        return super().process_step(form)  # type: ignore[misc]

    @classmethod
    def get_initkwargs(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # formtools wants the step URLs' name as an argument of `as_view`; it is the class's.
        kwargs.setdefault("url_name", cls.url_name)
        initkwargs: dict[str, Any] = super().get_initkwargs(*args, **kwargs)  # type: ignore[misc]
        return initkwargs

    @cached_property
    def flow(self) -> Any:
        """What this browser's wizard learnt so far (read once per request)."""
        return self.flow_class.from_session(self.storage.extra_data.get(FLOW))

    def keep_flow(self) -> None:
        """Store the flow in the session if it changed."""
        if self.flow.changed:
            self.storage.extra_data = {**self.storage.extra_data, FLOW: self.flow.as_session()}
            self.flow.changed = False

    def restart_flow(self) -> None:
        """Forget the wizard's data and its flow (cancelled, completed, or refused)."""
        self.storage.reset()
        self.__dict__["flow"] = self.flow_class()

    def get_step_url(self, step: str) -> str:
        return reverse(self.url_name, kwargs={"step": step})

    def read_once(self, queryset: QuerySet[M], pk: int) -> M | None:
        """The row `pk` of `queryset`, read once per request (a view instance serves one):
        formtools builds a step's form several times per request (the posted step, the next
        one, its context, the final re-validation of every step) and each wanted the
        identified row again. Only the read is shared: who was identified is still what
        the storage recorded."""
        reads: dict[tuple[type[Model], int], Any] = self.__dict__.setdefault("_reads", {})
        key = (queryset.model, pk)
        if key not in reads:
            reads[key] = queryset.filter(pk=pk).first()
        return cast("M | None", reads[key])

    def remember_read(self, row: Model) -> None:
        """`row`, just identified, is what the next step of this request will read."""
        self.__dict__.setdefault("_reads", {})[(type(row), row.pk)] = row

    def step_template(self, step: str) -> str:
        return f"{self.steps_folder}/{step}.html"

    def get_context_data(self, form: Form, **kwargs: Any) -> dict[str, Any]:
        # super() is the wizard view this mixin precedes.
        context: dict[str, Any] = super().get_context_data(form=form, **kwargs)  # type: ignore[misc]
        names = [*self.get_form_list(), self.final_step]
        current = self.steps.current
        context.update(
            step_titles=[(name, self.step_titles[name]) for name in names],
            step_title=self.step_titles[current],
            step_number=self.steps.step1,
            step_total=len(names),
            step_template=self.step_template(current),
            # Once: each read of formtools' `wizard.steps.prev` builds the form list again.
            prev_step=self.steps.prev,
            wizard_url=self.get_step_url(current),
            # Cancelar asks first (`cancel_page`), and its "No" comes back to this step.
            cancel_url=f"{reverse(self.cancel_url_name)}?"
            + urlencode({BACK: self.get_step_url(current)}),
            continue_label=self.continue_label,
        )
        return context

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = never_cache(super().dispatch)(request, *args, **kwargs)  # type: ignore[misc]
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The step named in the URL (step 1 at the entry URL) with what was stored for it,
        or a redirect to the step to continue from when that step is not reachable yet.

        formtools leaves an empty wizard in the session, so every visitor who only looks at
        step 1 (a crawler, a campaign click-through) would cost a new session row and a
        cookie. With nothing in progress that entry says nothing the wizard would not assume
        without it (no storage is step 1, and the first POST creates it), so it is dropped
        once the page is rendered (the page reads the storage until then); a session left
        empty is then neither saved nor sent.
        """
        in_progress = self.has_progress()
        step = kwargs.get("step") or self.steps.first
        if self.refuses_step(step):
            response: HttpResponseBase = self.redirect_to_restart()
        else:
            # Shown, not saved: the step to process is the one a POST names.
            self.storage.show_step(step)
            extra = self.storage.extra_data
            failed = extra.get(FAILED)
            recheck = extra.get(RECHECK) == step
            if failed is not None or recheck:  # a failure is shown once, here or not at all
                drop = {FAILED, RECHECK} if recheck else {FAILED}
                self.storage.extra_data = {k: v for k, v in extra.items() if k not in drop}
            form: Form | None = None
            if isinstance(failed, dict) and failed.get("step") == step:
                form = failed_post.from_kept(
                    failed, lambda data: self.get_form(step=step, data=data)
                )
            elif recheck:
                form = self.get_form(step=step, data=self.storage.get_step_data(step))
            response = self.render(self.typed_form(step) if form is None else form)
        if not in_progress:
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.add_post_render_callback(lambda rendered: self.drop_storage())
            else:
                self.drop_storage()
        return response

    def render(self, form: Form | None = None, **kwargs: Any) -> HttpResponse:
        """A page, but for a POST whose form has errors (formtools shows it at once, as
        does a `done` that refuses): 303 to the step, whose GET shows them (FAILED)."""
        if self.request.method == "POST" and form is not None and form.is_bound and form.errors:
            step = self.steps.current
            failure = failed_post.kept(form, secret=self.secret_fields.get(step, ()))
            self.storage.extra_data = {**self.storage.extra_data, FAILED: {"step": step, **failure}}
            # A `done` that refuses comes here before formtools resets the storage: the
            # storage as it is now is what `render_done` puts back for the GET.
            self.__dict__["_storage_to_show"] = copy.deepcopy(self.storage.data)
            return failed_post.redirect_303(self.get_step_url(step))
        response: HttpResponse = super().render(form, **kwargs)  # type: ignore[misc]
        return response

    def typed_form(self, step: str) -> Form:
        """The step's form, unbound, with what was typed there as its initial values."""
        form = self.get_form(step=step)
        stored = self.storage.get_step_data(step)
        if stored is not None:
            for name, field in form.fields.items():
                form.initial[name] = field.widget.value_from_datadict(
                    stored, {}, form.add_prefix(name)
                )
        return form

    def render_revalidation_failure(
        self, failed_step: str, form: Form, **kwargs: Any
    ) -> HttpResponse:
        # formtools redirects to the step; its GET shows why (see RECHECK).
        self.storage.extra_data = {**self.storage.extra_data, RECHECK: failed_step}
        response: HttpResponse = super().render_revalidation_failure(failed_step, form, **kwargs)  # type: ignore[misc]
        return response

    def render_done(self, form: Form, **kwargs: Any) -> HttpResponse:
        # The last step's POST completes the wizard and redirects to the flow's own page.
        # formtools would redirect to its done URL first and complete on that GET: one more
        # request, and a GET that writes.
        kwargs["step"] = self.done_step_name
        response: HttpResponse = super().render_done(form, **kwargs)  # type: ignore[misc]
        refused = self.__dict__.pop("_storage_to_show", None)
        if refused is not None:  # `done` refused: its step shows why (see `render`)
            self.storage.data = refused
        if self.left_wizard(response):
            funnel.count(wizard=self.funnel_name(), step=funnel.FINISHED)
        return response

    def left_wizard(self, response: HttpResponse) -> bool:
        """Whether `done` completed: it sends the person to the flow's own page, where a
        refusal shows a step again or redirects to one (or to the wizard's entry)."""
        if response.status_code not in (302, 303):
            return False
        wizard_urls = {reverse(self.start_url_name), *map(self.get_step_url, self.steps.all)}
        return response["Location"] not in wizard_urls

    def has_progress(self) -> bool:
        """Whether the storage holds anything a visitor did (steps posted, checks passed)."""
        return bool(self.storage.extra_data) or any(
            self.storage.get_step_data(step) is not None for step in self.steps.all
        )

    def drop_storage(self) -> None:
        self.request.session.pop(self.storage.prefix, None)

    def first_incomplete_step(self) -> str:
        for step in self.steps.all:
            if self.storage.get_step_data(step) is None:
                return step
        return self.steps.last

    def refuses_step(self, posted: str | None) -> bool:
        steps = list(self.get_form_list())
        if posted not in steps:
            return True
        expected = self.storage.current_step or self.steps.first
        position = steps.index(posted)
        return position > steps.index(expected) and position > steps.index(
            self.first_incomplete_step()
        )

    def restart_step(self) -> str:
        return self.first_incomplete_step()

    def redirect_to_restart(self) -> HttpResponse:
        """To the step to continue from, saying why the one asked for is not shown."""
        messages.warning(self.request, self.expired_message)
        step = self.restart_step()
        self.storage.current_step = step
        return redirect(self.get_step_url(step))

    def guard_post(self) -> HttpResponse | None:
        """A redirect when the posted step or the Regresar target is refused, else None."""
        management = ManagementForm(self.request.POST, prefix=self.prefix)
        posted = management.cleaned_data["current_step"] if management.is_valid() else None
        if self.refuses_step(posted):
            return self.redirect_to_restart()
        steps = list(self.get_form_list())
        goto = self.request.POST.get("wizard_goto_step")
        if goto in steps and steps.index(goto) >= steps.index(self.steps.current):
            return redirect(self.get_step_url(self.steps.current))
        return None


# --- Cancelar --------------------------------------------------------------------------------
BACK = "volver"  # the cancel page's parameter: the step to return to


@dataclass(frozen=True)
class CancelTexts:
    """What a wizard's cancel page says: its question, what is lost, and the two answers."""

    title: StrOrPromise
    explanation: StrOrPromise
    confirm: StrOrPromise
    back: StrOrPromise


def cancel_page(
    request: HttpRequest,
    *,
    wizards: Sequence[type[PortalWizardMixin]],
    words: CancelTexts,
    landing: str,
    forget: Sequence[str] = (),
) -> HttpResponse:
    """Cancelar: a GET asks (a prefetch, a crawler or a mis-tap wipes nothing) and offers
    the way back to the step the person was on, with everything kept; only the POST of its
    button forgets the `wizards`' data and the session's `forget` keys, then goes to
    `landing` (the portal's login)."""
    if request.method == "POST":
        for wizard in wizards:
            request.session.pop(f"wizard_{normalize_name(wizard.__name__)}", None)
        for key in forget:
            request.session.pop(key, None)
        return redirect(landing)
    back = request.GET.get(BACK, "")
    steps = {name for wizard in wizards for name in (wizard.start_url_name, wizard.url_name)}
    if not _resolves_to(back, steps):
        back = reverse(wizards[0].start_url_name)
    context = {"words": words, "back_url": back, "cancel_url": request.path}
    return render(request, "portal/cancel_confirm.html", context)


def _resolves_to(path: str, names: set[str]) -> bool:
    """Whether `path` is this site's page of one of the URL `names` (no other site's)."""
    if not path.startswith("/") or path.startswith("//"):
        return False
    try:
        return resolve(path).view_name in names
    except Resolver404:
        return False
