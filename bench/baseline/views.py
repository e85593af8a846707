"""The agent access request as a stock formtools wizard: each step at /solicitud/<step>/,
its state in the database session, the request filed in `done` in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect
from formtools.wizard.views import NamedUrlSessionWizardView

from agents.models import AccessRequest

from . import forms

AGENT = "agent_id"  # the agent step 1 identified: whose channels step 2 offers
CAPTCHA_PASSED = "captcha_passed"  # the last step's POST answered the captcha


class AccessRequestWizard(NamedUrlSessionWizardView):
    form_list = [
        ("identify", forms.IdentifyForm),
        ("channels", forms.ChannelsForm),
        ("role", forms.RoleForm),
        ("submit", forms.SubmitForm),
    ]
    template_name = "stock/step.html"
    revalidating = False

    def get_form_kwargs(self, step: str | None = None) -> dict[str, Any]:
        if step == "channels":
            return {"agent_id": self.storage.extra_data.get(AGENT)}
        if step == "submit":
            # Only formtools' revalidation before `done` skips the captcha: a POST of the
            # step itself always answers a fresh one.
            passed = self.revalidating and self.storage.extra_data.get(CAPTCHA_PASSED)
            return {"captcha_passed": bool(passed)}
        return {}

    def process_step(self, form: Form) -> Any:
        if self.steps.current == "identify":
            # Another agent's keys: what was passed for the previous one is forgotten.
            self.storage.extra_data = {AGENT: form.agent.pk}
        elif self.steps.current == "submit":
            self.storage.extra_data = {**self.storage.extra_data, CAPTCHA_PASSED: True}
        return super().process_step(form)

    def render_done(self, form: Form, **kwargs: Any) -> HttpResponse:
        self.revalidating = kwargs.get("step") == self.done_step_name
        return super().render_done(form, **kwargs)

    def done(self, form_list: list[Form], form_dict: dict[str, Form], **kwargs: Any) -> Any:
        # formtools validated every step again just now: the agent by its three keys (in
        # vigor, no access, no pending request), the channels among the agent's own.
        identify = form_dict["identify"]
        try:
            with transaction.atomic():
                request = AccessRequest.objects.create(
                    agent=identify.agent,
                    role=form_dict["role"].cleaned_data["role"],
                    email=form_dict["submit"].cleaned_data["email"],
                )
                request.channels.set(form_dict["channels"].cleaned_data["channels"])
        except IntegrityError:
            # Another tab filed one first (one pending request per agent): step 1 says so.
            return self.render_revalidation_failure("identify", identify, **kwargs)
        return redirect("request_sent")
