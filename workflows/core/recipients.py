"""Who a ``notify`` node writes to: e-mail addresses, ``user:NAME`` and ``group:NAME``.

Parsing is pure and strict so the same rules hold at publish (literal recipients), when the step is
reached (rendered ones) and in the worker: an address is a plain ``local@domain`` (no display name,
no quoted local part, no comments), which also means no recipient can carry a line break into a
header. Resolving users and groups to addresses needs the database: ``workflows/mail.py`` does it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ADDRESS = 254  # RFC 5321's path limit, less the angle brackets
MAX_LOCAL = 64
MAX_NAME = 150  # Django's username and group name lengths

_ATOM = r"[-!#$%&'*+/=?^_`{|}~0-9A-Za-z]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*\Z")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+(?:[A-Za-z0-9-]{{2,63}}(?<!-))\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
KINDS = ("user", "group")


@dataclass(frozen=True)
class Recipient:
    """``kind`` is "address", "user" or "group"; ``value`` the address or the name."""

    kind: str
    value: str

    def __str__(self) -> str:
        return self.value if self.kind == "address" else f"{self.kind}:{self.value}"


class RecipientError(ValueError):
    """Not an address, ``user:NAME`` or ``group:NAME``; ``str(e)`` says why."""


def is_address(text: str) -> bool:
    if len(text) > MAX_ADDRESS or text.count("@") != 1:
        return False
    local, domain = text.split("@")
    if len(local) > MAX_LOCAL or not _LOCAL.match(local):
        return False
    if domain.lower() == "localhost":
        return True
    try:
        ascii_domain = domain.encode("idna").decode("ascii")  # an internationalised domain, as DNS knows it
    except UnicodeError:
        return False
    return bool(_DOMAIN.match(ascii_domain))


def parse(text: object) -> Recipient:
    """One recipient from its text (surrounding blanks ignored)."""
    if not isinstance(text, str):
        raise RecipientError(f"a recipient must be text, not {type(text).__name__}")
    text = text.strip()
    if not text:
        raise RecipientError("a recipient is empty")
    kind, colon, name = text.partition(":")
    if colon and kind in KINDS:
        name = name.strip()
        if not name:
            raise RecipientError(f"{kind}: needs a name after it ({kind}:NAME)")
        if len(name) > MAX_NAME or _CONTROL.search(name):
            raise RecipientError(f"{_short(text)} is not a {kind} name (at most {MAX_NAME} characters, no control characters)")
        return Recipient(kind, name)
    if is_address(text):
        return Recipient("address", text)
    raise RecipientError(f"{_short(text)} is not an e-mail address, user:USERNAME or group:GROUPNAME")


def _short(text: str, limit: int = 80) -> str:
    text = _CONTROL.sub("?", text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
