"""Post/Redirect/Get for a POST that failed: its form's errors and what was typed are kept in
the session (one slot per form), the POST answers 303 to a GET of the same page, and that GET
shows the form again from the slot, which it removes. So Back, Forward and reload only ever
GET a page, and no browser offers to send a form again.

The GET builds the form bound to the kept data and gives it the kept errors without
validating it again: validating may count an attempt, use a code or read rows. Secrets are
never kept: password fields, and the fields a caller names (an emailed code, a captcha's
answer, a registration key), show empty, as they did after an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import Form, PasswordInput
from django.forms.utils import ErrorDict
from django.http import HttpResponseRedirect, QueryDict
from django.utils.safestring import SafeData, mark_safe

# What a POST carries besides the form's fields: never kept.
NOT_TYPED = frozenset({"csrfmiddlewaretoken"})


def redirect_303(url: str) -> HttpResponseRedirect:
    """A redirect the browser follows with a GET (303 See Other), whatever the method."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _secret_keys(form: Form, secret: Iterable[str]) -> list[str]:
    """The posted names of `form`'s secret fields (a multi-widget's `<name>_0`… included)."""
    names = {name for name, field in form.fields.items() if isinstance(field.widget, PasswordInput)}
    names.update(name for name in secret if name in form.fields)
    return [form.add_prefix(name) for name in names]


def kept(form: Form, *, secret: Iterable[str] = ()) -> dict[str, Any]:
    """What to keep of `form`, just refused: what was typed but secrets, and its errors."""
    secrets = _secret_keys(form, secret)
    data = {
        key: form.data.getlist(key) if isinstance(form.data, QueryDict) else form.data[key]
        for key in form.data
        if key not in NOT_TYPED
        and key not in secrets
        and not any(key.startswith(f"{name}_") for name in secrets)
        and (not form.prefix or key.startswith(f"{form.prefix}-"))
    }
    errors = {
        field: [_kept_error(error) for error in error_list.as_data()]
        for field, error_list in form.errors.items()
    }
    return {"data": data, "errors": errors}


def _kept_error(error: ValidationError) -> dict[str, Any]:
    # Safe as Django would show it: a message of our own markup (a link) with no parameters;
    # one with parameters (what was typed, perhaps) is a plain string, escaped when shown.
    text = error.message % error.params if error.params else error.message
    return {"message": str(text), "code": error.code, "safe": isinstance(text, SafeData)}


def keep(session: MutableMapping[str, Any], slot: str, form: Form, **kwargs: Any) -> None:
    """Keep `form`'s failure in `session[slot]` for the next GET (`shown`)."""
    session[slot] = kept(form, **kwargs)


def as_query_dict(data: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def with_errors(form: Form, errors: dict[str, list[dict[str, Any]]]) -> Form:
    """`form` (bound) showing `errors` as if it had been validated: no field's or the form's
    `clean` runs."""
    form._errors = ErrorDict(renderer=form.renderer)  # type: ignore[attr-defined]
    form.cleaned_data = {}
    for field, entries in errors.items():
        if field != "__all__" and field not in form.fields:
            field = "__all__"  # a field this form no longer has: still said
        for entry in entries:
            # Only what `_kept_error` found safe, from the server's own session store.
            safe = entry.get("safe")
            message = mark_safe(entry["message"]) if safe else entry["message"]  # noqa: S308  # nosec B308, B703
            form.add_error(
                None if field == "__all__" else field,
                ValidationError(message, code=entry.get("code")),
            )
    return form


def shown(
    session: MutableMapping[str, Any], slot: str, make_form: Callable[[QueryDict], Form]
) -> Form | None:
    """The form kept in `session[slot]`, which this removes: `make_form(data)` binds it, and
    it gets the kept errors. None when the slot is empty (or of another shape)."""
    failure = session.pop(slot, None)
    return from_kept(failure, make_form)


def from_kept(failure: Any, make_form: Callable[[QueryDict], Form]) -> Form | None:
    """The form that `kept` described, or None when `failure` is not one."""
    if not isinstance(failure, dict) or not isinstance(failure.get("data"), dict):
        return None
    form = make_form(as_query_dict(failure["data"]))
    return with_errors(form, failure.get("errors") or {})
