"""``notify``: e-mail through Django's mail backend, to addresses, users or groups (DESIGN §4).

The message is rendered when the step is reached, so the history shows exactly what was sent
(``{to, subject, body, html?}`` is the step's input); a worker sends it through the sender the
worker puts in ``StepContext.mail`` (``workflows/mail.py``: the core has no Django), under the
node's retry policy: a connection or SMTP failure retries, a recipient that cannot exist does not.

What the instance's data can do to the mail is bounded here: a value inserted in the subject
cannot start a new header (line breaks and control characters become spaces), and with
``html: true`` every inserted value is HTML-escaped while the markup the author wrote is kept; the
plain-text part is then made from that HTML, so it always exists and says the same.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from typing import Any

from .. import recipients
from ..errors import ConfigurationError, GraphError, ValidationError
from ..expressions import ExpressionError, interpolate, render
from .base import CheckContext, StepContext, StepType, object_schema, register

MAX_RECIPIENTS = 100
MAX_SUBJECT = 200  # characters; a longer rendered subject is cut with "…"
MAX_BODY_BYTES = 64 * 1024  # each part (plain text, HTML), UTF-8
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@register
class Notify(StepType):
    name = "notify"
    label = "Send e-mail"
    category = "work"
    description = "E-mails addresses, users or groups; subject and body from {{ templates }}."
    inline = False
    schema = object_schema(
        {
            "to": {
                "type": "array",
                "title": "To",
                "description": "e-mail addresses, user:USERNAME or group:GROUPNAME; a {{ expression }} may give one or a list",
                "items": {"type": "string", "minLength": 1, "maxLength": 500, "title": "recipient", "examples": ["ops@example.com", "user:alice", "group:reviewers"]},
                "minItems": 1,
                "maxItems": MAX_RECIPIENTS,
            },
            "subject": {"type": "string", "minLength": 1, "maxLength": 500, "title": "Subject", "description": "one line; may use {{ expressions }}"},
            "body": {"type": "string", "maxLength": MAX_BODY_BYTES, "title": "Body", "description": "may use {{ expressions }}; with HTML on, the markup you write is kept and inserted values are escaped"},
            "html": {"type": "boolean", "default": False, "title": "HTML body", "description": "send the body as HTML too (a plain-text part is always sent)"},
        },
        ["to", "subject"],
        worker=True,
        heartbeats=False,
    )

    def check(self, node_id: str, config: Mapping[str, Any], ctx: CheckContext) -> list[GraphError]:
        errors = []
        to = config.get("to")
        for index, entry in enumerate(to if isinstance(to, list) else ()):
            if isinstance(entry, str) and "{{" not in entry:
                try:
                    recipients.parse(entry)
                except recipients.RecipientError as exc:
                    errors.append(GraphError("invalid_recipient", f"config.to.{index}: {exc}", node_id, f"config.to.{index}"))
        subject = config.get("subject")
        if isinstance(subject, str) and ("\n" in subject or "\r" in subject):
            errors.append(GraphError("invalid_config", "config.subject: the subject must be one line (a line break would start a new header)", node_id, "config.subject"))
        return errors

    def prepare(self, config: Mapping[str, Any], scope: Mapping[str, Any]) -> Any:
        message: dict[str, Any] = {
            "to": render_recipients(config["to"], scope),
            "subject": render_subject(config["subject"], scope),
        }
        body = config.get("body", "")
        if config.get("html", False):
            markup = _field("body", lambda: interpolate(body, scope, escape=html.escape))
            message["body"] = html_to_text(markup)
            message["html"] = markup
        else:
            message["body"] = _field("body", lambda: interpolate(body, scope))
        for part in ("body", "html"):
            size = len(message.get(part, "").encode("utf-8", "surrogatepass"))
            if size > MAX_BODY_BYTES:
                what = "the HTML body (escaped)" if part == "html" else "the body"
                raise ValidationError(f"{what} is {size:,} bytes once rendered; the limit is {MAX_BODY_BYTES:,}", type="MessageTooLarge")
        return message

    def execute(self, config: Mapping[str, Any], input: Any, ctx: StepContext) -> Any:
        if ctx.mail is None:
            raise ConfigurationError("this worker has no mail sender (StepContext.mail)", type="MailNotConfigured")
        return dict(ctx.mail(input, ctx))


def _field(name: str, make: Callable[[], Any]) -> Any:
    try:
        return make()
    except ExpressionError as exc:
        raise ExpressionError(f"config.{name}: {exc}", expression=exc.expression, path=name) from None


def render_recipients(entries: list, scope: Mapping[str, Any]) -> list[str]:
    """Each entry rendered: text is one recipient, a list several, null or an empty list none.
    Duplicates are dropped (first kept); at least one and at most ``MAX_RECIPIENTS`` remain."""
    found: list[str] = []
    for index, entry in enumerate(entries):
        value = _field(f"to.{index}", lambda entry=entry: render(entry, scope))
        values = value if isinstance(value, list) else [] if value is None else [value]
        for item in values:
            try:
                text = str(recipients.parse(item))
            except recipients.RecipientError as exc:
                raise ValidationError(f"config.to.{index}: {exc}", type="InvalidRecipient") from None
            if text not in found:
                found.append(text)
            if len(found) > MAX_RECIPIENTS:
                raise ValidationError(f"config.to: more than {MAX_RECIPIENTS} recipients", type="TooManyRecipients")
    if not found:
        raise ValidationError("config.to: no recipients (every entry rendered to nothing)", type="InvalidRecipient")
    return found


def render_subject(template: str, scope: Mapping[str, Any]) -> str:
    """One line: what an inserted value holds cannot add a header. Cut to ``MAX_SUBJECT``."""
    subject = _field("subject", lambda: interpolate(template, scope, escape=one_line))
    subject = one_line(subject).strip()  # the template's own text too (a draft not yet validated)
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1].rstrip() + "…"
    return subject


def one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text)


# --------------------------------------------------------------------------- HTML → plain text

#: Tags that end a line, and (the second set) those that also leave a blank line around them.
_LINES = frozenset("div li tr section article header footer dt dd".split())
_PARAGRAPHS = frozenset("p ul ol table blockquote pre hr h1 h2 h3 h4 h5 h6".split())
_HIDDEN = frozenset(("script", "style", "head", "title", "template"))


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pending = 0  # line breaks owed before the next text (blocks collapse; <br> does not)
        self.hidden = 0
        self.pre = 0
        self.links: list[str | None] = []

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self.pending = max(self.pending, 2)
        elif tag in _LINES:
            self.pending = max(self.pending, 1)

    def _write(self, text: str) -> None:
        if self.parts:
            self.parts.append("\n" * self.pending)
        self.pending = 0
        self.parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "br":
            self._write("\n")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        self._block(tag)
        if tag == "li":
            self._write("- ")
        elif tag in ("td", "th") and self.parts and not self.pending and not self.parts[-1].endswith((" ", "\n")):
            self._write(" ")  # cells of a row, side by side

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http:", "https:", "mailto:")) and href not in (self.parts[-1] if self.parts else ""):
                self._write(f" ({href})")
        self._block(tag)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
            if not data.strip() and (self.pending or not self.parts or self.parts[-1].endswith((" ", "\n"))):
                return  # blanks between blocks
        self._write(data)


def html_to_text(markup: str) -> str:
    """The plain-text part of an HTML mail: the text, a line per block, links as "text (url)"."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    lines = [line.rstrip() if parser.pre else line.strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
