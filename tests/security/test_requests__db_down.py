"""While the database cannot be reached, the API answers JSON 503 with Retry-After and the pages a plain
"temporarily unavailable" page; it was an HTML "Server Error (500)" for both.

The outage is real: daphne is started with a ``DATABASE_URL`` whose port nobody listens on."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import Web

pytestmark = pytest.mark.e2e


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free again once closed: nothing listens there


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    url = f"postgres://postgres@127.0.0.1:{dead_port()}/flowdesk"
    # a short pool wait: the pool cannot tell a dead database from a busy one until it gives up
    server = Web(tmp_path_factory.mktemp("web"), token="0" * 40, DATABASE_URL=url, FLOWDESK_DB_POOL_TIMEOUT_S="2").start()
    yield server
    server.stop()


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_the_api_answers_json_503_with_retry_after_while_the_database_is_down(web):
    status, body = web.api("GET", "templates/")  # the token is looked up in the database
    assert status == 503, body
    assert body["code"] == "unavailable"
    assert "try again" in body["detail"]
    status, headers, _ = fetch(f"{web.url}/api/v1/templates/", Authorization=f"Token {web.token}")
    assert int(headers["retry-after"]) > 0


def test_a_page_answers_a_temporarily_unavailable_page_while_the_database_is_down(web):
    status, headers, body = fetch(f"{web.url}/", Cookie="sessionid=abcdefghijklmnopqrstuvwxyz012345")
    assert status == 503
    assert headers["content-type"].startswith("text/html")
    assert int(headers["retry-after"]) > 0
    assert b"temporarily unavailable" in body.lower()
    assert b"Flowdesk" in body  # the product's page, not a server's bare error
