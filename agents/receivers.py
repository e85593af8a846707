"""Agents' answers to notifications' signals."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from notifications.models import OutboxEmail

from .models import AccessRequest


def mark_request_undeliverable(sender: Any, email: OutboxEmail, **kwargs: Any) -> None:
    """The mail server refused an email of an access request for good: mark the request, if
    the address refused is still its own (not the SAA's, told of another email)."""
    request_id = email.context.get("request_id")
    if request_id is None:
        return
    AccessRequest.objects.filter(
        pk=request_id, email__iexact=email.to, email_undeliverable_at=None
    ).update(email_undeliverable_at=timezone.now())
