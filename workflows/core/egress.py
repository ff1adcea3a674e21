"""Where the ``http`` node may connect: public addresses, plus what ``FLOWDESK_HTTP_ALLOW`` opens.

A step's URL is written by whoever designs the workflow, so it must not reach what the server
itself can reach and they cannot: the loopback API, the database, private networks, the cloud
metadata service. The check is made on the address actually connected to, after DNS resolution
(see ``http_client``), so a name that resolves to an internal address is refused like the address.

Allow list syntax (comma-separated): an address or CIDR (``10.0.0.5``, ``10.0.0.0/8``,
``fd00::/8``) allows those addresses on any port; a host name (``intranet.example``) or a
wildcard (``*.corp.example``, its subdomains) allows that name whatever it resolves to; any of
them followed by ``:PORT`` allows that port only (IPv6 in brackets: ``[fd00::/8]:8443``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

ALLOW_SETTING = "FLOWDESK_HTTP_ALLOW"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_PRIVATE = "a private address (RFC 1918)"
_DOCUMENTATION = "a documentation address"

#: Addresses a workflow must not reach unless allowed, with the reason a user is told.
_SPECIAL_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "an unspecified ('this network') address"),
        ("127.0.0.0/8", "a loopback address"),
        ("10.0.0.0/8", _PRIVATE),
        ("172.16.0.0/12", _PRIVATE),
        ("192.168.0.0/16", _PRIVATE),
        ("100.64.0.0/10", "a shared address (carrier-grade NAT)"),
        ("169.254.0.0/16", "a link-local address (where cloud metadata services answer)"),
        ("192.0.0.0/24", "an IETF protocol address"),
        ("192.0.2.0/24", _DOCUMENTATION),
        ("198.51.100.0/24", _DOCUMENTATION),
        ("203.0.113.0/24", _DOCUMENTATION),
        ("198.18.0.0/15", "a benchmarking address"),
        ("192.88.99.0/24", "a 6to4 relay address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
    )
)
_SPECIAL_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(net), reason)
    for net, reason in (
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("::/96", "an IPv4-compatible address (deprecated)"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/32", "a Teredo tunnel address"),
        ("2001:db8::/32", _DOCUMENTATION),
        ("2001::/23", "an IETF protocol address"),
        ("fc00::/7", "a unique-local address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address (deprecated)"),
        ("ff00::/8", "a multicast address"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalized(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is the IPv4 address it maps to."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def special(address: IPAddress) -> str | None:
    """Why ``address`` is internal or not routable (``"a loopback address"``), or None if public."""
    address = normalized(address)
    if isinstance(address, ipaddress.IPv4Address):
        table: tuple = _SPECIAL_V4
    else:
        # Translation prefixes reach the IPv4 address they embed: judge that one.
        embedded = address.sixtofour or (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if embedded is not None:
            inner = special(embedded)
            return f"a translation of {embedded}, {inner}" if inner else None
        table = _SPECIAL_V6
    for network, reason in table:
        if address in network:
            return reason
    # Python 3.11's own tables miss some of the above, but catch what the registries add later.
    if not address.is_global or address.is_reserved or address.is_multicast:
        return "a reserved (not globally routable) address"
    return None


@dataclass(frozen=True)
class AllowRule:
    """One ``FLOWDESK_HTTP_ALLOW`` entry: a network or a host name, on one port or all."""

    network: IPNetwork | None = None
    host: str | None = None  # lower case; "*.corp.example" matches the subdomains of corp.example
    port: int | None = None

    def matches(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return normalized(address) in self.network
        assert self.host is not None
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host


def parse_allow_list(text: str | list[str] | tuple[str, ...]) -> tuple[AllowRule, ...]:
    """Parse the allow list; a bad entry raises ``ValueError`` naming it, so start-up fails loudly."""
    entries = text.split(",") if isinstance(text, str) else list(text)
    return tuple(_parse_entry(entry.strip()) for entry in entries if entry.strip())


def _parse_entry(entry: str) -> AllowRule:
    base, port = entry, None
    if entry.startswith("["):
        base, bracket, rest = entry[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{ALLOW_SETTING}: {entry!r} is not [IPv6] or [IPv6]:PORT")
        port = _port(entry, rest[1:]) if rest else None
    elif entry.count(":") == 1:
        base, _, port_text = entry.partition(":")
        port = _port(entry, port_text)
    try:
        network = ipaddress.ip_network(base, strict=False)
    except ValueError:
        return AllowRule(host=_host(entry, base), port=port)
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped is not None:
        raise ValueError(f"{ALLOW_SETTING}: write {entry!r} as the IPv4 address or network it maps to")
    return AllowRule(network=network, port=port)


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{ALLOW_SETTING}: {entry!r} has no valid port (1-65535) after the colon")
    return int(text)


def _host(entry: str, text: str) -> str:
    host = text.lower().rstrip(".")
    wildcard = host.startswith("*.")
    labels = host[2:].split(".") if wildcard else host.split(".")
    try:
        labels = [label.encode("idna").decode("ascii") for label in labels]
    except UnicodeError:
        labels = []
    if not labels or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"{ALLOW_SETTING}: {entry!r} is not an address, a network (CIDR) or a host name")
    return ("*." if wildcard else "") + ".".join(labels)


@dataclass(frozen=True)
class EgressPolicy:
    """What the http node may reach and read; built from settings by the worker (core reads no settings)."""

    allow: tuple[AllowRule, ...] = ()
    max_body_bytes: int = 1_000_000
    ca_bundle: str | None = None  # PEM file of trusted CAs; None: the certifi bundle

    @classmethod
    def parse(cls, allow: str | list[str] | tuple[str, ...] = "", **kwargs) -> EgressPolicy:
        return cls(allow=parse_allow_list(allow), **kwargs)

    def refusal(self, host: str, address: IPAddress, port: int) -> str | None:
        """Why connecting to ``address`` (resolved from ``host``) on ``port`` is refused, or None."""
        reason = special(address)
        if reason is None or any(rule.matches(host, address, port) for rule in self.allow):
            return None
        shown = normalized(address)
        said = f"{shown} is {reason}" if _same_address(host, address) else f"{host} resolves to {shown}, {reason}"
        return f"{said}; allow it with {ALLOW_SETTING}"


def _same_address(host: str, address: IPAddress) -> bool:
    try:
        return normalized(ipaddress.ip_address(host.strip("[]").split("%")[0])) == normalized(address)
    except ValueError:
        return False
