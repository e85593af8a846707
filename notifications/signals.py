"""What notifications tells the apps that send email, without importing them."""

from django.dispatch import Signal

# Sent once when the mail server refuses a row for good (a 5xx to RCPT or DATA), after the
# row is failed: keyword arguments `email` (the OutboxEmail) and `code` (the reply code).
# The apps that wrote the row mark the address undeliverable where a person can fix it.
email_refused = Signal()
