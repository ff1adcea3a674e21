"""A WebSocket path that no route matches is refused at the handshake; channels' router raised
"No route found" and daphne answered 500 (and logged an exception) for any such path."""

from __future__ import annotations

import socket

import pytest

from tests.e2e.conftest import Web, web  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e


def handshake(web: Web, path: str) -> int:
    """The HTTP status daphne answers a WebSocket opening handshake for ``path`` with."""
    host = web.url.removeprefix("http://")
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: {web.url}\r\n\r\n"
    )
    hostname, port = host.split(":")
    with socket.create_connection((hostname, int(port)), timeout=30) as s:
        s.sendall(request.encode())
        answer = b""
        while b"\r\n" not in answer:
            data = s.recv(4096)
            if not data:
                break
            answer += data
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("path", ["/ws/nothing-here/", "/ws/instances/not-a-uuid/", "/", "/api/v1/templates/"])
def test_a_socket_to_a_path_nobody_serves_is_refused_cleanly(web, path):
    assert handshake(web, path) == 403
    assert "Exception inside application" not in web.log.read_text(errors="replace")


def test_the_live_socket_route_still_answers(web):
    # anonymous: refused by the consumer itself, which is there to refuse it
    assert handshake(web, "/ws/instances/00000000-0000-0000-0000-000000000000/") == 403
