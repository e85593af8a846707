"""The agent portal's accounts: generated usernames (SPXA1522), the manual's expired
temporary password, and contact data confirmed at the first entry."""

from portal.accounts import AccountConfig

AGENTS = AccountConfig(
    user_kind="agent",
    namespace="agents",
    display_name="Agentes",
    account_page="manage",
    first_entry_checks=True,
)
