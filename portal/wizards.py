"""What both wizards (agent request, client registration) need on top of formtools."""

from django.contrib import messages
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from formtools.wizard.forms import ManagementForm


class GuardedStepsMixin:
    """Accept only the current step or an earlier one, and Regresar only backwards.

    formtools trusts the posted step (DESIGN, "Known traps"): a missing or junk name
    answers 400 and a later one is processed as if the earlier steps were done. Here
    either shows the first step not yet done, with `expired_message`.
    """

    expired_message = ""

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
