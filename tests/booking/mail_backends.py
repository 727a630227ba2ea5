"""Mail backends for tests: the only thing mocked is the SMTP server's answer."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RaisingEmailBackend(BaseEmailBackend):
    """An SMTP server that is down: every send fails as smtplib would fail."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed (test outage)")
