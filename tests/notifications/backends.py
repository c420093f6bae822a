"""Channels for tests: an SMS gateway that records, mail servers that fail."""

import os
from pathlib import Path
from smtplib import SMTPException

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from notifications.sms import SmsError, SmsResult


class RecordingSmsBackend:
    """Keeps what it was asked to send (class-wide, as a backend is made per send)."""

    sent: list[tuple[str, str]] = []
    fail_with: str = ""

    def send(self, to: str, text: str) -> SmsResult:
        if self.fail_with:
            raise SmsError(self.fail_with)
        self.sent.append((to, text))
        return SmsResult(provider_id=f"rec-{len(self.sent)}")


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise SMTPException("421 service not available")


class FlakyEmailBackend(BaseEmailBackend):
    """Refuses the first FLAKY_MAIL_FAILURES messages to each address that starts with
    "flaky", then accepts them; other addresses are accepted at once.

    It counts and keeps messages in files under FLAKY_MAIL_DIR (settings, or the
    environment), so a test can read what a worker process sent: `<address>.attempts`
    holds one line per try, `<address>.sent` the subjects of the messages accepted.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = Path(getattr(settings, "FLAKY_MAIL_DIR", "") or os.environ["FLAKY_MAIL_DIR"])
        self.failures = int(
            getattr(settings, "FLAKY_MAIL_FAILURES", 0) or os.environ.get("FLAKY_MAIL_FAILURES", 1)
        )

    def send_messages(self, email_messages):
        for message in email_messages:
            for address in message.to:
                attempts = self.folder / f"{address}.attempts"
                with attempts.open("a") as log:
                    log.write(message.subject + "\n")
                tries = len(attempts.read_text().splitlines())
                if address.startswith("flaky") and tries <= self.failures:
                    raise SMTPException(f"451 try again later ({address})")
                with (self.folder / f"{address}.sent").open("a") as sent:
                    sent.write(message.subject + "\n")
        return len(email_messages)
