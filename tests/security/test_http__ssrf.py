"""The http node reaches only where it may (issue 8 §2).

A workflow's URL is written by whoever designs it, so by default it must not reach what only the
server can reach: this machine, private networks, the cloud metadata service. Addresses are judged
after DNS resolution, on the address actually connected to, on every redirect hop; the allow list
(``FLOWDESK_HTTP_ALLOW``) is the one way to open them. The test servers are on loopback, so every
"allowed" case below also proves the allow list.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from tests.security.http_support import Recorder, fake_dns, recorder, run_http, serve
from workflows.core import http_client
from workflows.core.egress import parse_allow_list, special
from workflows.core.validation import validate

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def assert_refused(step, *words: str) -> None:
    """Failed at once, not retried, with a message that names the reason and the way out."""
    assert (step.status, step.error_type) == ("failed", "DestinationNotAllowed"), step.error_message
    assert step.instance.steps.count() == 1 and step.instance.status == "failed"
    assert "allow it with FLOWDESK_HTTP_ALLOW" in step.error_message
    for word in words:
        assert word in step.error_message


# --- This machine, however it is spelled --------------------------------------------------------


@pytest.mark.parametrize(
    "host, said",
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("localhost", "localhost resolves to"),
        ("2130706433", "2130706433 resolves to 127.0.0.1, a loopback address"),  # decimal
        ("0x7f000001", "resolves to 127.0.0.1, a loopback address"),  # hex
        ("0x7f.1", "resolves to 127.0.0.1, a loopback address"),  # hex, short form
        ("017700000001", "resolves to 127.0.0.1, a loopback address"),  # octal
        ("127.1", "resolves to 127.0.0.1, a loopback address"),
        ("[::ffff:127.0.0.1]", "127.0.0.1 is a loopback address"),  # IPv4-mapped IPv6
        ("[::ffff:7f00:1]", "127.0.0.1 is a loopback address"),
        ("[::1]", "::1 is a loopback address"),
        ("0.0.0.0", "an unspecified"),
        ("0", "resolves to 0.0.0.0, an unspecified"),
    ],
)
def test_every_spelling_of_this_machine_is_refused_by_default(host, said):
    with recorder() as (server, port):
        step = run_http({"url": f"http://{host}:{port}/api/v1/instances/"})
    assert_refused(step, said)
    assert server.seen == []


def test_a_name_that_resolves_to_loopback_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"status.partner.example": ["127.0.0.1"]})
    with recorder() as (server, port):
        step = run_http({"url": f"http://status.partner.example:{port}/"})
    assert_refused(step, "status.partner.example resolves to 127.0.0.1, a loopback address")
    assert server.seen == []


def test_a_name_is_refused_when_none_of_its_addresses_may_be_reached(monkeypatch):
    fake_dns(monkeypatch, {"mixed.partner.example": ["10.1.2.3", "127.0.0.1"]})
    with recorder() as (server, port):
        step = run_http({"url": f"http://mixed.partner.example:{port}/"})
    assert_refused(step, "mixed.partner.example resolves to 10.1.2.3, a private address")
    assert server.seen == []


@pytest.mark.parametrize(
    "url, said",
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "a unique-local address"),
        ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "a translation of 169.254.169.254, a link-local address"),
        ("http://[fe80::1]:8080/", "a link-local address"),
        ("http://10.0.0.1/", "a private address"),
        ("http://172.16.5.4:5432/", "a private address"),
        ("http://192.168.1.1/admin", "a private address"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://224.0.0.1/", "a multicast address"),
    ],
)
def test_internal_and_metadata_addresses_are_refused_before_any_connection(url, said):
    # A short timeout only bounds how long the unprotected code would try to connect.
    assert_refused(run_http({"url": url}, timeout_s=5), said)


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.53", "loopback"),
        ("::1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "link-local"),
        ("fe80::abcd", "link-local"),
        ("fc00::1", "unique-local"),
        ("100.100.100.200", "carrier-grade NAT"),
        ("64:ff9b::7f00:1", "translation of 127.0.0.1"),
        ("2002:7f00:1::1", "translation of 127.0.0.1"),  # 6to4
        ("::7f00:1", "IPv4-compatible"),
        ("2001::1", "Teredo"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("198.18.0.1", "benchmarking"),
    ],
)
def test_each_internal_or_unroutable_range_is_named(address, reason):
    assert reason in special(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1", "::ffff:1.1.1.1"])
def test_public_addresses_are_not_special(address):
    assert special(ipaddress.ip_address(address)) is None


# --- What the allow list opens -----------------------------------------------------------------


@pytest.mark.parametrize("allow", ["127.0.0.1", "127.0.0.0/8", "10.0.0.0/8, 127.0.0.1", "{port}"])
def test_the_allow_list_opens_an_address_a_network_or_one_port(allow):
    with recorder() as (server, port):
        entry = allow.replace("{port}", f"127.0.0.1:{port}")
        step = run_http({"url": f"http://127.0.0.1:{port}/hello"}, allow=entry)
    assert step.status == "completed", step.error_message
    assert step.output["body"]["path"] == "/hello" and len(server.seen) == 1


def test_a_port_entry_opens_no_other_port():
    with recorder() as (server, port), recorder() as (_, other):
        step = run_http({"url": f"http://127.0.0.1:{port}/"}, allow=f"127.0.0.1:{other}")
    assert_refused(step, "127.0.0.1 is a loopback address")
    assert server.seen == []


def test_a_host_entry_allows_that_name_and_a_wildcard_its_subdomains_only(monkeypatch):
    fake_dns(monkeypatch, {"billing.corp.example": ["127.0.0.1"], "corp.example.evil.example": ["127.0.0.1"]})
    with recorder() as (server, port):
        allowed = run_http({"url": f"http://billing.corp.example:{port}/"}, allow="*.corp.example")
        refused = run_http({"url": f"http://corp.example.evil.example:{port}/"}, allow="*.corp.example")
    assert allowed.status == "completed", allowed.error_message
    assert_refused(refused, "corp.example.evil.example resolves to 127.0.0.1")
    assert len(server.seen) == 1


def test_the_connection_goes_to_the_checked_address_and_keeps_the_name_in_the_host_header(monkeypatch):
    """No time-of-check/time-of-use gap: one resolution per hop, and the socket connects to the
    address that was checked (a rebinding DNS's second answer is never asked for)."""
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    lookups = []

    def rebinding(host, port):
        lookups.append(host)
        return next(answers)

    monkeypatch.setattr(http_client, "resolve", rebinding)
    with recorder() as (server, port):
        step = run_http({"url": f"http://rebind.partner.example:{port}/x"}, allow="127.0.0.1")
    assert step.status == "completed", step.error_message
    assert lookups == ["rebind.partner.example"]
    assert server.seen[0]["host"] == f"rebind.partner.example:{port}"


def test_tls_is_verified_for_the_name_while_the_socket_goes_to_the_checked_address(monkeypatch, tmp_path):
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("api.partner.example").configure_cert(server_tls)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    fake_dns(monkeypatch, {"api.partner.example": ["127.0.0.1"], "other.partner.example": ["127.0.0.1"]})
    rec = Recorder()
    with serve(rec.handler, tls_context=server_tls) as port:
        good = run_http({"url": f"https://api.partner.example:{port}/x"}, allow="127.0.0.1", ca_bundle=str(ca_file))
        wrong_name = run_http({"url": f"https://other.partner.example:{port}/x"}, allow="127.0.0.1", ca_bundle=str(ca_file))
        untrusted = run_http({"url": f"https://api.partner.example:{port}/x"}, allow="127.0.0.1")
    assert good.status == "completed", good.error_message
    assert good.output["body"]["host"] == f"api.partner.example:{port}"
    for step in (wrong_name, untrusted):
        assert step.error_type == "HTTPConnectionError" and "certificate" in step.error_message.lower()
    assert len(rec.seen) == 1


# --- Redirects ---------------------------------------------------------------------------------


def test_redirects_are_not_followed_unless_the_node_asks():
    with recorder() as (a, port_a), recorder() as (b, port_b):
        step = run_http({"url": f"http://127.0.0.1:{port_a}/redirect/302?to=http://127.0.0.1:{port_b}/next"}, allow="127.0.0.1")
    assert (step.status, step.error_type) == ("failed", "HTTPRedirect")
    assert "follow_redirects" in step.error_message and step.instance.status == "failed"
    assert len(a.seen) == 1 and b.seen == []


@pytest.mark.parametrize(
    "to",
    [
        "http://127.0.0.1:{b}/secret",
        "http://localhost:{b}/secret",
        "http://[::ffff:127.0.0.1]:{b}/secret",
        "http://2130706433:{b}/secret",
        "http://internal.partner.example:{b}/secret",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_a_redirect_to_a_refused_address_is_refused_even_from_an_allowed_server(monkeypatch, to):
    fake_dns(monkeypatch, {"internal.partner.example": ["127.0.0.1"]})
    with recorder() as (a, port_a), recorder() as (b, port_b):
        target = to.replace("{b}", str(port_b))
        step = run_http(
            {"url": f"http://127.0.0.1:{port_a}/redirect/302?to={target}", "follow_redirects": True},
            allow=f"127.0.0.1:{port_a}",  # only the first server
            timeout_s=5,
        )
    assert_refused(step)
    assert len(a.seen) == 1 and b.seen == []


@pytest.mark.parametrize(
    "code, method, then_method, body_kept",
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (302, "PUT", "PUT", True),  # only POST may become GET on 301/302
        (307, "POST", "POST", True),
        (308, "PATCH", "PATCH", True),
    ],
)
def test_a_followed_redirect_keeps_or_changes_the_method_as_http_says(code, method, then_method, body_kept):
    with recorder() as (server, port):
        config = {"url": f"http://127.0.0.1:{port}/redirect/{code}?to=/next", "method": method, "body": {"n": 1}, "follow_redirects": True}
        step = run_http(config, allow="127.0.0.1")
    assert step.status == "completed", step.error_message
    assert [(r["method"], r["path"]) for r in server.seen] == [(method, f"/redirect/{code}"), (then_method, "/next")]
    assert server.seen[1]["body"] == ('{"n": 1}' if body_kept else None)
    assert step.output["url"] == f"http://127.0.0.1:{port}/next"


def test_redirects_stop_at_max_redirects():
    with recorder() as (server, port):
        step = run_http({"url": f"http://127.0.0.1:{port}/loop", "follow_redirects": True, "max_redirects": 2}, allow="127.0.0.1")
    assert (step.status, step.error_type) == ("failed", "HTTPTooManyRedirects")
    assert len(server.seen) == 3


def test_credentials_are_not_carried_to_another_origin():
    with recorder() as (a, port_a), recorder() as (b, port_b):
        headers = {"Authorization": "Bearer s3cret"}
        same = run_http({"url": f"http://127.0.0.1:{port_a}/redirect/307?to=/again", "headers": headers, "follow_redirects": True}, allow="127.0.0.1")
        other = run_http(
            {"url": f"http://127.0.0.1:{port_a}/redirect/307?to=http://127.0.0.1:{port_b}/x", "headers": headers, "follow_redirects": True},
            allow="127.0.0.1",
        )
    assert same.status == other.status == "completed"
    assert [r["authorization"] for r in a.seen] == ["Bearer s3cret", "Bearer s3cret", "Bearer s3cret"]
    assert [r["authorization"] for r in b.seen] == [None]


@pytest.mark.parametrize("config", [{"max_redirects": 6}, {"max_redirects": 0}, {"max_redirects": 2.5}, {"follow_redirects": "yes"}])
def test_the_redirect_settings_are_validated(config):
    node = {"id": "call", "type": "http", "config": {"url": "https://api.example.com/", **config}}
    result = validate({"version": 1, "settings": {}, "nodes": [node], "edges": []})
    assert not result.valid and result.errors[0].node == "call"


# --- Credentials in URLs -----------------------------------------------------------------------


@pytest.mark.parametrize("userinfo", ["analyst:hunter2@", ":hunter2@", "hunter2@"])
def test_a_url_with_credentials_is_refused_without_repeating_them(userinfo):
    with recorder() as (server, port):
        step = run_http({"url": f"http://{userinfo}127.0.0.1:{port}/x"}, allow="127.0.0.1")
    assert (step.status, step.error_type) == ("failed", "ConfigurationError")
    assert "credentials" in step.error_message and "hunter2" not in step.error_message
    assert server.seen == []


def test_a_redirect_to_a_url_with_credentials_is_refused():
    with recorder() as (server, port):
        to = f"http://admin:hunter2@127.0.0.1:{port}/x"
        step = run_http({"url": f"http://127.0.0.1:{port}/redirect/302?to={to}", "follow_redirects": True}, allow="127.0.0.1")
    assert (step.status, step.error_type) == ("failed", "ConfigurationError")
    assert "hunter2" not in step.error_message and len(server.seen) == 1


@pytest.mark.parametrize("url", ["gopher://127.0.0.1:6379/_FLUSHALL", "file:///etc/passwd", "ftp://10.0.0.1/", "http://[::1/x", "http:///nohost"])
def test_only_well_formed_http_and_https_urls_are_called(url):
    step = run_http({"url": url}, allow="127.0.0.1, ::1, 10.0.0.0/8")
    assert (step.status, step.error_type) == ("failed", "ConfigurationError"), step.error_message
    assert step.instance.status == "failed"


# --- The allow list's syntax -------------------------------------------------------------------


def test_the_allow_list_reads_addresses_networks_names_and_ports():
    rules = parse_allow_list(" 10.0.0.5, 10.0.0.0/8:8443, [fd00::/8]:443, ::1, intranet.example:8080, *.corp.example ,")
    assert [(str(r.network) if r.network else r.host, r.port) for r in rules] == [
        ("10.0.0.5/32", None),
        ("10.0.0.0/8", 8443),
        ("fd00::/8", 443),
        ("::1/128", None),
        ("intranet.example", 8080),
        ("*.corp.example", None),
    ]


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "intranet:0", "intranet:http", "[::1", "bad_host!", "1234", "::ffff:127.0.0.1"])
def test_a_bad_allow_list_entry_is_refused_by_name(entry):
    with pytest.raises(ValueError, match=re.escape(repr(entry))):
        parse_allow_list(f"127.0.0.1,{entry}")


def test_a_bad_allow_list_stops_the_server_from_starting():
    env = {**os.environ, "FLOWDESK_HTTP_ALLOW": "10.0.0.0/33"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "FLOWDESK_HTTP_ALLOW: '10.0.0.0/33'" in result.stderr
