"""Personal data masked where a task needs to recognise a record, not to copy its values
(admin lists): the full value stays on the record's own page. Emails use
`portal.accounts.services.mask_email`, the mask of the notices and the client's email step."""

from __future__ import annotations

RFC_KEPT_START = 4  # the initials of the name
RFC_KEPT_END = 3  # the homoclave; the birth date between them is hidden


def mask_rfc(rfc: str) -> str:
    """ "ROLM800101AB1" → "ROLM******AB1": enough to tell two records apart in a list, not
    the birth date it holds. A value too short to keep both ends is hidden whole."""
    rfc = rfc.strip()
    hidden = len(rfc) - RFC_KEPT_START - RFC_KEPT_END
    if hidden < 1:
        return "*" * len(rfc) or "***"
    return f"{rfc[:RFC_KEPT_START]}{'*' * hidden}{rfc[-RFC_KEPT_END:]}"
