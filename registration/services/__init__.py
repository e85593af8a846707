"""Client registration's decisions, as plain typed functions, by sub-domain:

- `identification`: find the policyholder named by policy data or by an invitation's key,
  rate-limited;
- `emails`: which address may be the account's username (on file, typed, taken);
- `verification`: the code that verifies that address;
- `account`: the client's account and its set-password email;
- `blocking`: the notice to the addresses on file of an account on a new one, and its link
  that blocks the account;
- `invitations`: back office's invitation and the registration key it carries.

Everything public is re-exported here: callers write `services.register_client(...)`.
The outbox finds an email's secret provider by its template (registered in
registration/apps.py); the dotted path a row also carries for the previous release's workers
is the one re-exported here (notifications.secret_providers.dotted_path), which resolves
before and after the split.
"""

from .account import register_client
from .blocking import (
    BLOCK_LINK_LIFETIME,
    BLOCK_LINK_SALT,
    BadBlockLink,
    block_account,
    block_link_for_email,
    make_block_token,
    person_for_block_token,
    queue_new_email_notices,
)
from .emails import (
    EmailRefused,
    EmailTaken,
    NewEmailNotAllowed,
    check_chosen_email,
    email_taken,
    emails_on_file,
    masked_emails,
    new_email_allowed,
)
from .identification import (
    AlreadyRegistered,
    IdentificationError,
    NoMatch,
    hash_key,
    identify_by_key,
    identify_by_key_digest,
    identify_by_policy,
    normalize_key,
    normalize_name,
)
from .invitations import (
    INVITATION_LINK_SALT,
    KEY_ALPHABET,
    KEY_LENGTH,
    BadInvitationLink,
    NoEmailOnFile,
    generate_key_for_email,
    invite,
    key_from_link,
    show_key,
)
from .verification import (
    CODE_PURPOSE,
    check_registration_code,
    registration_code_undeliverable,
    seconds_until_next_code,
    send_registration_code,
)

__all__ = [
    "BLOCK_LINK_LIFETIME",
    "BLOCK_LINK_SALT",
    "CODE_PURPOSE",
    "INVITATION_LINK_SALT",
    "KEY_ALPHABET",
    "KEY_LENGTH",
    "AlreadyRegistered",
    "BadBlockLink",
    "BadInvitationLink",
    "EmailRefused",
    "EmailTaken",
    "IdentificationError",
    "NewEmailNotAllowed",
    "NoEmailOnFile",
    "NoMatch",
    "block_account",
    "block_link_for_email",
    "check_chosen_email",
    "check_registration_code",
    "email_taken",
    "emails_on_file",
    "generate_key_for_email",
    "hash_key",
    "identify_by_key",
    "identify_by_key_digest",
    "identify_by_policy",
    "invite",
    "key_from_link",
    "make_block_token",
    "masked_emails",
    "new_email_allowed",
    "normalize_key",
    "normalize_name",
    "person_for_block_token",
    "queue_new_email_notices",
    "register_client",
    "registration_code_undeliverable",
    "send_registration_code",
    "show_key",
    "seconds_until_next_code",
]
