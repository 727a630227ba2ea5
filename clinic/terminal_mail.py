"""E-mails printed for a person at a terminal, where no SMTP server is set (`make run`).

Django's console backend prints the raw MIME message: quoted-printable text
with long lines split by "=", then the HTML part full of "=3D", so a link
copied from it is broken. This one prints what the patient reads: a header
line (to whom, the subject), the plain-text body as it is, every link whole
on its line, and a line per attachment. Production sends through SMTP and
never uses it.
"""

import sys
import threading

from django.core.mail.backends.base import BaseEmailBackend

RULE = "─" * 72


def readable(message) -> str:
    """One e-mail as a person reads it in a terminal."""
    lines = [
        RULE,
        f"E-mail to {', '.join(message.to)}: {message.subject}",
        RULE,
        message.body.rstrip(),
    ]
    for attachment in message.attachments:
        if hasattr(attachment, "get_filename"):
            name, kind = attachment.get_filename(), attachment.get_content_type()
        else:
            name, _content, kind = attachment
        lines.append(f"[attached: {name or 'a file'} ({kind})]")
    lines.append(RULE)
    return "\n".join(lines) + "\n\n"


class EmailBackend(BaseEmailBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        with self._lock:
            for message in email_messages:
                self.stream.write(readable(message))
            self.stream.flush()
        return len(email_messages)
