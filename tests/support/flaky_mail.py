"""A mail backend for end-to-end tests: Django's file backend, except that a message whose subject
holds ``[flaky]`` fails the first time it is sent, as a dropped SMTP connection does. The worker
that retries may be another process, so "the first time" is a marker file beside the mails."""

from __future__ import annotations

import hashlib
import smtplib
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            if "[flaky]" not in message.subject:
                continue
            key = hashlib.sha256(str(message.extra_headers.get("Message-ID", message.subject)).encode()).hexdigest()[:16]
            try:
                with (Path(self.file_path) / f"flaky-{key}.marker").open("x"):
                    pass
            except FileExistsError:
                continue
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed (the test backend's first try)")
        return super().send_messages(email_messages)
