"""Request bodies over ``FLOWDESK_MAX_REQUEST_BYTES`` are refused with 413 before they are read, so
no request can grow a web process by the size of its body.

An ASGI middleware alone cannot do this under daphne: Twisted spools the whole body to a temporary
file, and only then does daphne create the application and put all of the body on its queue at once
(a 300 MB POST grew daphne by 311 MB, never given back). So the limit is enforced in daphne's request
object as the bytes arrive: by ``Content-Length`` as soon as the headers are in, by counting for
chunked bodies (at most the limit, on disk, plus the chunk in hand). ``BodyLimit`` applies the same
rule as ASGI middleware, for servers that stream bodies to the application and for callers of the
application itself. A proxy in front should refuse large bodies too (README, "Scaling out").
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from daphne import http_protocol
from django.conf import settings

# After a refusal, the connection reads (and drops) what the client is still sending for this long, so
# the client sees the 413 instead of a reset; then it is closed whatever the client does.
LINGER_S = 5.0


def limit() -> int:
    return settings.FLOWDESK_MAX_REQUEST_BYTES


def refusal(path: str) -> tuple[bytes, bytes]:
    """The 413's content type and body: JSON for the API (its error shape), plain text for pages."""
    message = f"the request body is larger than {limit():,} bytes"
    if path.startswith("/api/"):
        return b"application/json", json.dumps({"detail": message, "code": "too_large", "errors": []}).encode()
    return b"text/plain; charset=utf-8", f"Request body too large: {message}.\n".encode()


class LimitedRequest(http_protocol.WebRequest):
    """daphne's request, refusing an oversized body while it arrives instead of after."""

    refused = False
    received = 0

    def gotLength(self, length):
        super().gotLength(length)
        if length is not None and length > limit():
            self.refuse()

    def handleContentChunk(self, data):
        if self.refused:
            return  # dropped while the connection lingers
        self.received += len(data)
        if self.received > limit():
            self.refuse()
            return
        super().handleContentChunk(data)

    def process(self):
        if not self.refused:
            return super().process()

    def refuse(self) -> None:
        self.refused = True
        # Twisted answers "Expect: 100-continue" right after gotLength: not after a refusal.
        self.requestHeaders.removeHeader(b"expect")
        path = urlsplit(getattr(self.channel, "_path", b"/")).path.decode("latin-1")
        content_type, body = refusal(path)
        transport = self.channel.transport
        transport.write(
            b"HTTP/1.1 413 Content Too Large\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (content_type, len(body), body)
        )
        # Half-close: the client reads the answer and the end of the stream while it is still
        # sending; closing outright with its data unread would reset the connection, answer and all.
        if hasattr(transport, "loseWriteConnection"):
            transport.loseWriteConnection()
        else:
            transport.loseConnection()
        from twisted.internet import reactor  # daphne's, installed by then; importing it early would install another

        reactor.callLater(LINGER_S, transport.abortConnection)


def install_in_daphne() -> None:
    """Make daphne build ``LimitedRequest``s (its HTTP factory looks the class up at each connection)."""
    http_protocol.WebRequest = LimitedRequest


class BodyLimit:
    """ASGI middleware: the same limit for servers that hand the body over as it arrives."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit():
            return await self.refuse(scope, send)
        received, refused, started = 0, False, False

        async def limited_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit():
                    refused = True
                    return {"type": "http.disconnect"}  # the application stops reading and answers nothing
            return message

        async def tracked_send(message):
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracked_send)
        if refused and not started:
            await self.refuse(scope, send)

    @staticmethod
    async def refuse(scope, send) -> None:
        content_type, body = refusal(scope.get("path", "/"))
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
