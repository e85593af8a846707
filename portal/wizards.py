"""What both wizards (agent request, client registration) need on top of formtools."""

import hashlib
import json

from django.contrib import messages
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from formtools.wizard.forms import ManagementForm


def fingerprint(data: dict) -> str:
    """A digest of what the person typed, to know a step was already checked as is."""
    plain = {k: str(v) for k, v in sorted(data.items())}
    return hashlib.sha256(json.dumps(plain).encode()).hexdigest()


class PortalWizardMixin:
    """One page layout for every step, and only the current step or an earlier one.

    Pages: `portal/wizard_step.html` shows "Paso N de M" with `step_titles` (the last
    being `final_step`, the screen after `done`), the step's `steps_folder/<step>.html`,
    and the buttons Cancelar (`cancel_url_name`), Regresar, and `continue_label`.

    Steps: formtools trusts the posted step (DESIGN, "Known traps"): a missing or junk
    name answers 400 and a later one is processed as if the earlier steps were done. Here
    either shows the first step not yet done, with `expired_message`; Regresar only goes
    backwards.
    """

    template_name = "portal/wizard_step.html"
    url_name = ""
    cancel_url_name = ""
    steps_folder = ""
    step_titles: dict = {}
    final_step = ""
    continue_label = ""
    expired_message = ""

    def step_template(self, step: str) -> str:
        return f"{self.steps_folder}/{step}.html"

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        names = [*self.get_form_list(), self.final_step]
        current = self.steps.current
        context.update(
            step_titles=[(name, self.step_titles[name]) for name in names],
            step_title=self.step_titles[current],
            step_number=self.steps.step1,
            step_total=len(names),
            step_template=self.step_template(current),
            wizard_url=reverse(self.url_name),
            cancel_url=reverse(self.cancel_url_name),
            continue_label=self.continue_label,
        )
        return context

    def dispatch(self, request, *args, **kwargs):
        return never_cache(super().dispatch)(request, *args, **kwargs)

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

    def guard_post(self) -> HttpResponse | None:
        """A response when the posted step or the Regresar target is refused, else None."""
        management = ManagementForm(self.request.POST, prefix=self.prefix)
        posted = management.cleaned_data["current_step"] if management.is_valid() else None
        if self.refuses_step(posted):
            messages.warning(self.request, self.expired_message)
            self.storage.current_step = self.restart_step()
            return self.render(self.get_form())
        steps = list(self.get_form_list())
        goto = self.request.POST.get("wizard_goto_step")
        if goto in steps and steps.index(goto) >= steps.index(self.steps.current):
            return self.render(self.get_form())
        return None
