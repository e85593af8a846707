"""/dev/correo/: the embedded mode's inbox, every email sent, newest first (DEBUG only)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


def _read(path: Path) -> dict[str, str]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return {
        "id": path.stem,
        "subject": message["Subject"],
        "to": message["To"],
        "date": message["Date"],
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
    }


def _files() -> list[Path]:
    directory = Path(settings.DEV_INBOX_DIR)
    return sorted(directory.glob("*.eml"), reverse=True) if directory.exists() else []


def inbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404
    messages = [_read(path) for path in _files()[:200]]
    return render(request, "notifications/inbox.html", {"emails": messages})


# Our emails carry inline styles (mail clients need them); only this DEBUG page shows them.
# django-csp types a view as taking the request alone; this one takes the message id too.
@csp_update({"style-src": [UNSAFE_INLINE]})  # type: ignore[arg-type]
def message(request: HttpRequest, message_id: str) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404
    path = Path(settings.DEV_INBOX_DIR) / f"{message_id}.eml"
    if "/" in message_id or not path.exists():
        raise Http404
    return render(request, "notifications/message.html", {"email": _read(path)})
