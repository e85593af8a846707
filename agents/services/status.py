"""The agent's request status: a signed, expiring link (no login) to one request's state,
mailed with "Solicitud recibida" and again on demand from step 1, never shown on a page.

The link is a capability: whoever holds it reads the request's state and dates (no RFC,
keys or address). It is made when an email is sent (a secret provider), so none sits in
the outbox, and it carries only the request's id, signed with a salt of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from agents.models import AccessRequest
from notifications.services import queue_email
from portal import ratelimit
from portal.accounts.services import mask_email
from portal.business_days import add_business_days

from .business_days import is_overdue

if TYPE_CHECKING:
    from notifications.models import OutboxEmail

STATUS_LINK_SALT = "agents.request_status"
STATUS_LINK_TEMPLATE = "enlace_estatus_solicitud"  # the link sent again from step 1


def status_token(*, request_id: int) -> str:
    """The signed token of request `request_id`'s status page; it carries when it was made,
    so it dies settings.REQUEST_STATUS_LINK_DAYS after."""
    return signing.dumps(request_id, salt=STATUS_LINK_SALT)


def request_for_status_token(token: str) -> AccessRequest | None:
    """The request a status token names; None when it was tampered with, is of another salt,
    expired, or names no request (all alike to the person holding it)."""
    try:
        request_id = signing.loads(
            token,
            salt=STATUS_LINK_SALT,
            max_age=timedelta(days=settings.REQUEST_STATUS_LINK_DAYS),
        )
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(request_id, int):
        return None
    return AccessRequest.objects.filter(pk=request_id).first()


def status_url(*, request_id: int, base_url: str) -> str:
    """The status page of request `request_id` as an absolute address for an email."""
    path = reverse("agents:request_status", kwargs={"token": status_token(request_id=request_id)})
    return base_url.rstrip("/") + path


def status_link_provider(outbox_email: OutboxEmail) -> dict[str, Any]:
    """Outbox secret provider for "solicitud_recibida" and the link sent again: the status
    link, made at send time. A row the previous release queued has no `base_url`: it goes
    out as before, without the link."""
    context = outbox_email.context
    if not context.get("base_url") or not context.get("request_id"):
        return {}
    return {
        "status_url": status_url(request_id=context["request_id"], base_url=context["base_url"]),
        "status_link_days": settings.REQUEST_STATUS_LINK_DAYS,
    }


def expected_decision_date(access_request: AccessRequest) -> date:
    """The day the review deadline ends: the local day it was sent plus
    settings.REVIEW_SLA_BUSINESS_DAYS Mexican business days."""
    sent_on = timezone.localdate(access_request.created_at)
    return add_business_days(sent_on, settings.REVIEW_SLA_BUSINESS_DAYS)


@dataclass(frozen=True)
class RequestStatus:
    """What the status page and step 1 tell the agent about a request, and nothing more."""

    folio: int
    status: str  # AccessRequest.Status
    sent_on: date
    expected_on: date
    decided_on: date | None
    overdue: bool
    rejection_reason: str  # "" when none, or anonymised by retention
    masked_email: str  # where the decision goes, masked; "" once anonymised

    @property
    def pending(self) -> bool:
        return self.status == AccessRequest.Status.PENDING

    @property
    def approved(self) -> bool:
        return self.status == AccessRequest.Status.APPROVED

    @property
    def rejected(self) -> bool:
        return self.status == AccessRequest.Status.REJECTED

    @property
    def status_label(self) -> str:
        return str(AccessRequest.Status(self.status).label)


def request_status(access_request: AccessRequest, today: date | None = None) -> RequestStatus:
    """The state of `access_request` as the agent may see it."""
    decided_at = access_request.decided_at
    return RequestStatus(
        folio=access_request.pk,
        status=access_request.status,
        sent_on=timezone.localdate(access_request.created_at),
        expected_on=expected_decision_date(access_request),
        decided_on=timezone.localdate(decided_at) if decided_at else None,
        overdue=is_overdue(access_request, today),
        rejection_reason=access_request.rejection_reason,
        masked_email=mask_email(access_request.email) if access_request.email else "",
    )


def send_status_link(*, request_id: int, ip: str, base_url: str) -> bool:
    """Queue the status link to the request's own address (never a typed one) if it is still
    pending and under the limits; True when queued. The caller answers the same either way.

    Counted per request and per client address: whoever knows an agent's (semi-public) keys
    can ask for it, but never receives it, nor floods the agent's inbox."""
    if not ratelimit.consume("request_status_link", request=str(request_id), ip=ip):
        return False
    access_request = AccessRequest.objects.filter(
        pk=request_id, status=AccessRequest.Status.PENDING
    ).first()
    if access_request is None or not access_request.email:
        return False
    queue_email(
        access_request.email,
        STATUS_LINK_TEMPLATE,
        {"request_id": access_request.pk, "base_url": base_url},
        language=access_request.language or settings.LANGUAGE_CODE,
    )
    return True
