"""The agents' decisions, as plain typed functions, by sub-domain:

- `identification`: find the agent named by the three keys, rate-limited, and file the
  access request;
- `review`: the back office's approval or rejection, the account an approval issues and
  its temporary password;
- `usernames`: the username rule (four letters from the name, four digits);
- `business_days`: the review deadline in Mexican business days;
- `status`: the agent's signed link to the request's status, and its page's facts.

Everything public is re-exported here: callers write `services.approve_request(...)`.
The outbox finds an email's secret provider by its template (registered in agents/apps.py),
never by the dotted path older rows carry, so moving a provider breaks no queued email.
"""

from .business_days import (
    business_days_between,
    is_business_day,
    is_overdue,
    overdue_cutoff,
    request_age,
)
from .identification import (
    AgentHasAccess,
    AgentNotFound,
    IdentificationError,
    RequestPending,
    email_differs_from_saa,
    find_agent,
    find_agent_in_promotoria,
    identify_agent,
    notify_saa_of_other_email,
    submit_access_request,
)
from .review import (
    REVIEW_PERMISSION,
    STANDARD_REJECTION_REASONS,
    AlreadyDecided,
    DecisionError,
    EmailNotConfirmed,
    TemporaryPasswordNotNeeded,
    approve_request,
    can_review,
    generate_temporary_password,
    issue_agent_account,
    needs_email_confirmation,
    reject_request,
    resend_credentials,
    temporary_password_provider,
)
from .status import (
    RequestStatus,
    expected_decision_date,
    request_for_status_token,
    request_status,
    send_status_link,
    status_link_provider,
    status_token,
)
from .usernames import NoUsernameLeft, generate_username, username_prefix

__all__ = [
    "REVIEW_PERMISSION",
    "STANDARD_REJECTION_REASONS",
    "AgentHasAccess",
    "AgentNotFound",
    "AlreadyDecided",
    "DecisionError",
    "EmailNotConfirmed",
    "IdentificationError",
    "NoUsernameLeft",
    "RequestPending",
    "RequestStatus",
    "TemporaryPasswordNotNeeded",
    "approve_request",
    "business_days_between",
    "email_differs_from_saa",
    "expected_decision_date",
    "can_review",
    "find_agent",
    "find_agent_in_promotoria",
    "generate_temporary_password",
    "generate_username",
    "issue_agent_account",
    "identify_agent",
    "is_business_day",
    "is_overdue",
    "needs_email_confirmation",
    "notify_saa_of_other_email",
    "overdue_cutoff",
    "reject_request",
    "resend_credentials",
    "request_age",
    "request_for_status_token",
    "request_status",
    "send_status_link",
    "status_link_provider",
    "status_token",
    "submit_access_request",
    "temporary_password_provider",
    "username_prefix",
]
