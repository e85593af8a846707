"""Contact data: the phone, and the confirmation of email and phone asked at every entry
until given."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from portal.models import User


def update_phone(user: User, phone: str) -> None:
    user.phone = phone.strip()
    user.save(update_fields=["phone"])


def confirm_contact(user: User) -> None:
    """The user confirmed (or updated) email and phone: no longer asked at every entry."""
    user.contact_confirmed_at = timezone.now()
    user.save(update_fields=["contact_confirmed_at"])
