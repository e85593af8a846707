"""`manage.py reset_second_factor USERNAME --reason "…"`: the operator's way back for an
account whose second factor is lost when nobody in admin can reset it (the last superuser).
Recorded like a reset from admin, with no reviewer; the owner is emailed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.accounts import mfa


class Command(BaseCommand):
    help = "Reset (delete) every second factor of an account; it enrols again at next sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why (kept in the audit).")

    def handle(self, *args: Any, username: str, reason: str, **options: Any) -> None:
        if not reason.strip():
            raise CommandError("--reason must say why the factor is reset.")
        user = get_user_model().objects.filter(username__iexact=username.strip()).first()
        if user is None:
            raise CommandError(f"No account is named {username!r}.")
        record = mfa.reset_second_factor(user=user, reason=reason, reset_by=None)
        self.stdout.write(
            f"Second factor of {user.get_username()} reset ({record.factors_removed} removed); "
            "the owner was emailed and signs in with the password, then enrols again."
        )
