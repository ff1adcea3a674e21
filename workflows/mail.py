"""The ``notify`` node's sender: the Django side of ``StepContext.mail`` (the core has no Django).

It resolves ``user:NAME`` and ``group:NAME`` to the addresses of active users, checks every
address, and sends one message through the configured backend (``EMAIL_BACKEND``, README
"Configuration"). Errors carry their retry meaning (DESIGN §5.7): a recipient that resolves to
nobody or an address that cannot be valid fails the step at once, naming it; a connection or
SMTP failure is retried under the node's policy. The Message-ID is derived from the step's
idempotency key, so a retry after a send whose result was lost is the same message to mail clients.
"""

from __future__ import annotations

import hashlib
import smtplib
import time
from collections.abc import Mapping
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.validators import validate_email

from workflows.core import recipients
from workflows.core.errors import NonRetryableError, StepError
from workflows.core.steps.base import StepContext
from workflows.core.steps.notify import MAX_RECIPIENTS

MAX_TIMEOUT_S = 60.0  # the longest a mail server may stay silent, whatever EMAIL_TIMEOUT says


class UnknownRecipient(NonRetryableError):
    """A ``user:`` or ``group:`` recipient that resolves to no address."""


def send(message: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    addresses = resolve(message.get("to") or [])
    message_id = message_id_for(ctx.idempotency_key)
    connection = get_connection(timeout=_timeout(ctx.deadline))
    mail = EmailMultiAlternatives(
        subject=str(message.get("subject", "")),
        body=str(message.get("body", "")),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=addresses,
        headers={"Message-ID": message_id},
        connection=connection,
    )
    if message.get("html"):
        mail.attach_alternative(str(message["html"]), "text/html")
    try:
        sent = mail.send()
    except smtplib.SMTPRecipientsRefused as exc:
        refused = ", ".join(f"{address} ({code})" for address, (code, _) in sorted(exc.recipients.items()))
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):  # 5xx: permanent, retrying cannot help
            raise NonRetryableError(f"the mail server refused every recipient: {refused}", type="RecipientsRefused") from None
        raise StepError(f"the mail server deferred every recipient: {refused}", type="MailDeliveryError") from None
    except BadHeaderError as exc:  # the step's input was rendered one-line; a hand-edited row is not
        raise NonRetryableError(f"the message has a bad header: {exc}", type="BadHeader") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise StepError(f"the mail could not be sent: {type(exc).__name__}: {exc}", type="MailDeliveryError") from None
    return {"to": addresses, "sent": sent, "message_id": message_id}


def resolve(entries: list[Any]) -> list[str]:
    """Every recipient's addresses, in order, each once (compared case-insensitively)."""
    User = get_user_model()
    email_field = User.get_email_field_name()
    addresses: dict[str, str] = {}
    for entry in entries:
        try:
            recipient = recipients.parse(entry)
        except recipients.RecipientError as exc:
            raise NonRetryableError(str(exc), type="InvalidRecipient") from None
        if recipient.kind == "address":
            found = [recipient.value]
        elif recipient.kind == "user":
            user = User._default_manager.filter(**{User.USERNAME_FIELD: recipient.value}).first()
            if user is None or not user.is_active:
                raise UnknownRecipient(f"{recipient}: no active user is named {recipient.value!r}")
            found = [getattr(user, email_field, "") or ""]
            if not found[0]:
                raise UnknownRecipient(f"{recipient}: the user has no e-mail address")
        else:
            group = Group.objects.filter(name=recipient.value).first()
            if group is None:
                raise UnknownRecipient(f"{recipient}: no group is named {recipient.value!r}")
            members = User._default_manager.filter(groups=group, is_active=True).exclude(**{email_field: ""}).order_by("pk")
            found = list(members.values_list(email_field, flat=True)[: MAX_RECIPIENTS + 1])
            if not found:
                raise UnknownRecipient(f"{recipient}: the group has no active member with an e-mail address")
        for address in found:
            address = address.strip()
            if not _valid(address):
                whose = "" if recipient.kind == "address" else f" (the address of {recipient})"
                raise NonRetryableError(f"{address!r}{whose} is not a valid e-mail address", type="InvalidRecipient")
            addresses.setdefault(address.lower(), address)
            if len(addresses) > MAX_RECIPIENTS:
                raise NonRetryableError(f"more than {MAX_RECIPIENTS} addresses once users and groups are resolved", type="TooManyRecipients")
    return list(addresses.values())


def _valid(address: str) -> bool:
    if not recipients.is_address(address):
        return False
    try:
        validate_email(address)
    except DjangoValidationError:
        return False
    return True


def message_id_for(key: str) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "flowdesk.localhost"
    return f"<flowdesk.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _timeout(deadline: float | None) -> float:
    """Seconds the mail server may stay silent: ``EMAIL_TIMEOUT``, less once the step's deadline is nearer."""
    limit = min(float(getattr(settings, "EMAIL_TIMEOUT", None) or MAX_TIMEOUT_S), MAX_TIMEOUT_S)
    if deadline is not None:
        limit = min(limit, deadline - time.time())
    return max(1.0, limit)
