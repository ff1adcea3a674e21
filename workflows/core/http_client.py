"""The ``http`` node's client: one exchange, pinned to checked addresses, bounded in bytes and time.

- **No SSRF, no TOCTOU.** The host is resolved once, every address is checked against the
  ``EgressPolicy``, and the socket connects to a checked address; the Host header, TLS SNI and
  certificate verification still use the name. Every redirect hop goes through the same steps.
- **Bounded memory.** The body is read in chunks and the exchange fails past ``max_body_bytes``
  (before reading at all when ``Content-Length`` says so); decompression is bounded per chunk.
- **Bounded time.** A socket timeout bounds one read, not an exchange: a server sending a byte a
  second would hold the thread and its socket for ever. A watchdog shuts the socket down when the
  deadline passes or the worker abandons the step, which wakes the blocked read at once, so the
  handler thread ends with its step. DNS resolution is the one call it cannot interrupt (the
  system resolver's own timeouts bound it).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPException
from urllib.parse import quote, urlencode, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

from .egress import EgressPolicy
from .errors import ConfigurationError, NonRetryableError, StepError

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024
WATCHDOG_POLL_S = 0.25
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_HOST_CHARS = re.compile(r"^[a-z0-9._\-:%]+$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "!$%&'()*+,/:;=@~-._"  # kept as written; spaces, controls and non-ASCII are percent-encoded


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str  # the last hop's URL (after redirects)

    def header(self, name: str, default: str = "") -> str:
        """A header's value, whatever case the server wrote its name in."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), default)


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order (tests replace this to play DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def with_query(url: str, params: Mapping[str, object]) -> str:
    """``url`` with ``params`` appended to its query string."""
    if not params:
        return url
    parts = urlsplit(url)
    extra = urlencode([(str(k), str(v)) for k, v in params.items()])
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def exchange(
    request: Request,
    policy: EgressPolicy,
    *,
    deadline: float,
    follow_redirects: bool = False,
    max_redirects: int = 3,
    abandoned: Callable[[], bool] = lambda: False,
    idle_timeout: float = 30.0,
) -> Response:
    """Send ``request`` and read the answer, within ``deadline`` (epoch seconds) as a whole."""
    with _Watchdog(deadline, abandoned) as watchdog:
        hops = 0
        while True:
            target = _Target.parse(request.url)
            conn = raw = None
            try:
                conn, raw = _send(request, target, policy, watchdog, idle_timeout)
                location = raw.headers.get("Location")
                if follow_redirects and raw.status in REDIRECT_STATUSES and location:
                    hops += 1
                    if hops > max_redirects:
                        raise NonRetryableError(
                            f"{request.url} redirected more than {max_redirects} times", type="HTTPTooManyRedirects"
                        )
                    request = _redirected(request, raw.status, urljoin(request.url, location))
                    continue
                body = _read_body(raw, policy.max_body_bytes, request.url)
                watchdog.check(request.url)  # a socket shut down early ends a body that has no length
                return Response(raw.status, dict(raw.headers), body, request.url)
            except StepError:
                raise
            except (OSError, HTTPException, urllib3.exceptions.HTTPError) as exc:
                watchdog.check(request.url)
                if isinstance(exc, (TimeoutError, urllib3.exceptions.TimeoutError)):
                    raise StepError(f"{request.url} did not answer in {idle_timeout:g} s", type="HTTPTimeout") from exc
                raise StepError(f"could not reach {request.url}: {exc}", type="HTTPConnectionError") from exc
            finally:
                # The response holds the socket past ``conn.close()``: close both, or a refused
                # body would stay on the wire for as long as its error is remembered.
                if raw is not None:
                    raw.close()
                if conn is not None:
                    conn.close()


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as connected to and sent (Host header, SNI): lower case, IDNA, no brackets
    port: int
    path: str  # origin-form request target: path and query

    @classmethod
    def parse(cls, url: str) -> _Target:
        try:
            parts = urlsplit(url)
            scheme, netloc = parts.scheme, parts.netloc
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            raise ConfigurationError(f"url {url[:80]!r} is not a valid URL: {exc}") from exc
        if scheme not in _DEFAULT_PORTS:
            raise ConfigurationError(f"url must start with http:// or https://, got {url[:80]!r}")
        if "@" in netloc:
            # Never echo the URL: it holds a password.
            raise ConfigurationError(
                "the URL carries credentials (user:password@host); send them in a header such as Authorization"
            )
        try:
            host = (parts.hostname or "").encode("idna").decode("ascii")
            port = parts.port or _DEFAULT_PORTS[scheme]
        except (UnicodeError, ValueError) as exc:
            raise ConfigurationError(f"url {url[:80]!r} has an invalid host or port: {exc}") from exc
        if not host or not _HOST_CHARS.match(host):
            raise ConfigurationError(f"url {url[:80]!r} has no valid host")
        path = quote(parts.path or "/", safe=_PATH_SAFE)
        if parts.query:
            path += "?" + quote(parts.query, safe=_PATH_SAFE + "?")
        return cls(scheme, host, port, path)

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def _allowed_addresses(target: _Target, policy: EgressPolicy) -> list[str]:
    """The resolved addresses the policy lets us connect to; refuses when there is none."""
    try:
        found = resolve(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise StepError(f"could not resolve {target.host}: {exc}", type="HTTPConnectionError") from exc
    name = target.host.rstrip(".")
    allowed, refusals = [], []
    for text in found:
        why = policy.refusal(name, ipaddress.ip_address(text), target.port)
        (refusals if why else allowed).append(why or text)
    if not allowed:
        raise NonRetryableError(refusals[0] if refusals else f"{target.host} has no address", type="DestinationNotAllowed")
    return allowed


def _send(request: Request, target: _Target, policy: EgressPolicy, watchdog: _Watchdog, idle_timeout: float):
    addresses = _allowed_addresses(target, policy)
    watchdog.check(request.url)
    conn: _PinnedHTTPConnection | _PinnedHTTPSConnection
    if target.scheme == "https":
        import certifi

        conn = _PinnedHTTPSConnection(
            target.host, target.port, timeout=watchdog.timeout(idle_timeout, request.url),
            cert_reqs="CERT_REQUIRED", ca_certs=policy.ca_bundle or certifi.where(),
        )
    else:
        conn = _PinnedHTTPConnection(target.host, target.port, timeout=watchdog.timeout(idle_timeout, request.url))
    conn.pin(addresses, watchdog, idle_timeout, request.url)
    watchdog.watch(conn)
    try:
        conn.connect()
        watchdog.check(request.url)
        try:
            conn.request(request.method, target.path, body=request.body, headers=dict(request.headers), preload_content=False)
        except ValueError as exc:  # http.client refuses a header with a line break, a bad method...
            raise ConfigurationError(f"cannot send this request: {exc}") from exc
        return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise


def _read_body(raw, cap: int, url: str) -> bytes:
    declared = raw.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _too_large(f"the response from {url} declares {int(declared):,} bytes, more", cap)
    chunks, size = [], 0
    while chunk := raw.read(CHUNK_BYTES):  # decoded bytes; urllib3 bounds decompression to the amount asked
        size += len(chunk)
        if size > cap:
            raise _too_large(f"the response from {url} is longer", cap)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(what: str, cap: int) -> NonRetryableError:
    return NonRetryableError(f"{what} than the limit of {cap:,} bytes (FLOWDESK_HTTP_MAX_BODY_BYTES)", type="HTTPResponseTooLarge")


def _redirected(request: Request, status: int, url: str) -> Request:
    """The next hop's request (RFC 9110 §15.4): 303 (and 301/302 after POST) become a GET without
    body, 307/308 keep method and body; credentials are not sent to another origin."""
    method, body, headers = request.method, request.body, dict(request.headers)
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
    if _Target.parse(url).origin != _Target.parse(request.url).origin:
        headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
    return Request(method, url, headers, body)


class _Watchdog:
    """Shuts the current connection's socket down when the deadline passes or the step is abandoned."""

    def __init__(self, deadline: float, abandoned: Callable[[], bool]):
        self.deadline = deadline
        self.abandoned = abandoned
        self.fired = False
        self._conn: _Pinned | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{threading.current_thread().name}-http-watchdog", daemon=True)

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(max(0.0, min(WATCHDOG_POLL_S, self.deadline - time.time()))):
            if time.time() >= self.deadline or self.abandoned():
                with self._lock:
                    self.fired = True
                    _shutdown(self._conn)
                return

    def watch(self, conn: _Pinned) -> None:
        with self._lock:
            self._conn = conn
            if self.fired:
                _shutdown(conn)

    def check(self, url: str) -> None:
        if self.fired or time.time() >= self.deadline:
            raise StepError(f"{url} did not answer within the step's time budget", type="HTTPTimeout")

    def timeout(self, idle_timeout: float, url: str) -> float:
        """A socket timeout for one blocking call: the idle limit, or what is left of the budget."""
        self.check(url)
        return max(0.001, min(idle_timeout, self.deadline - time.time()))


def _shutdown(conn: _Pinned | None) -> None:
    sock = conn.live_socket if conn is not None else None
    if sock is not None:
        # The plain socket call, also for a TLS socket: it only wakes the reader, never touches
        # the TLS state the reading thread is using. A socket already closed raises, harmlessly.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Pinned:
    """Connects to the checked addresses, never to a fresh DNS answer for the host name."""

    live_socket: socket.socket | None = None  # outlives ``sock`` when the response takes the socket over
    port: int
    timeout: float
    sock: socket.socket | None

    def pin(self, addresses: list[str], watchdog: _Watchdog, idle_timeout: float, url: str) -> None:
        self._addresses, self._watchdog, self._idle_timeout, self._url = addresses, watchdog, idle_timeout, url

    def _new_conn(self) -> socket.socket:
        error: OSError | None = None
        for address in self._addresses:
            try:
                sock = socket.create_connection((address, self.port), self._watchdog.timeout(self._idle_timeout, self._url))
            except OSError as exc:
                error = exc
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self.timeout)
            self.live_socket = sock
            return sock
        assert error is not None
        raise error

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.live_socket = self.sock  # for TLS: the wrapped socket


class _PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass
