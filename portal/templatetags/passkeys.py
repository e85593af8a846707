"""{% passkey_config "register" as config %}: the endpoints and CSRF token that
static/js/passkeys.js reads (through json_script) on a page of the portal in `account`."""

from __future__ import annotations

from django import template

from portal.accounts.passkeys import widget_config

register = template.Library()


@register.simple_tag(takes_context=True)
def passkey_config(context: template.Context, ceremony: str) -> dict[str, str]:
    return widget_config(
        context["request"],
        account=context["account"],
        ceremony=ceremony,
        next_url=context.get("next") or "",
    )
