"""Links from outside, fetched one way (lib/domain/links.py reads them).

`open_link` looks the host up itself, refuses private, loopback, link-local, reserved and
multicast addresses (IPv4 inside IPv6 included), connects to the very address it checked
(no second lookup that a hostile name server could answer differently), follows redirects
by hand, checking every hop, and holds the whole fetch to one deadline and a byte cap.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests.certs

from lib.domain.links import (
    MB,
    PRIVATE_MESSAGE,
    Link,
    LinkPolicy,
    LinkRefused,
    ip_or_none,
    is_private_address,
    parse_link,
    private_by_name,
)

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchFailed(Exception):
    """The fetch was tried and did not give the file; str() completes a sentence that
    starts with the link's name ("Picture 2 (the link …) ")."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


# ----- fetching --------------------------------------------------------------------------
Resolver = Callable[[str, int], list[tuple[int, tuple]]]  # -> [(family, sockaddr)]
_lookups = ThreadPoolExecutor(4, thread_name_prefix="link-lookup")


def system_resolver(host: str, port: int) -> list[tuple[int, tuple]]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [(family, sockaddr) for family, _, _, _, sockaddr in found]


@dataclass
class Reply:
    """An answer being read: status, headers, and the body in chunks within the limits."""

    status: int
    headers: http.client.HTTPMessage
    link: Link  # the last hop's link
    _response: http.client.HTTPResponse
    _limits: _Deadline
    _max_bytes: int
    read_bytes: int = 0

    def chunks(self, size: int = 64 * 1024) -> Iterator[bytes]:
        """The body, refused with FetchFailed as soon as it passes the byte cap."""
        while True:
            self._limits.check()
            try:
                chunk = self._response.read1(size)
            except (OSError, http.client.HTTPException) as exc:
                raise self._limits.failure(exc) from None
            if not chunk:
                # A connection shut at the deadline, or closed early, reads as an end.
                self._limits.check()
                if self._response.length:
                    raise FetchFailed("could not be fetched: the connection broke off.", "broken")
                return
            self.read_bytes += len(chunk)
            if self.read_bytes > self._max_bytes:
                raise FetchFailed(
                    f"is larger than {_size_words(self._max_bytes)}, the most the studio takes.",
                    "too_big",
                )
            yield chunk

    def read(self) -> bytes:
        return b"".join(self.chunks())


@dataclass
class _Deadline:
    """One deadline for a whole fetch. At the deadline the connection is shut, so no read
    can outlast it, however slowly the other side sends (a timeout per read can't do that)."""

    seconds: float
    at: float = 0.0
    expired: bool = False
    _sockets: list[socket.socket] = field(default_factory=list)
    _timer: threading.Timer | None = None

    def __post_init__(self) -> None:
        self.at = time.monotonic() + self.seconds
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> None:
        if self.expired or self.left() <= 0:
            raise self.timed_out()

    def timed_out(self) -> FetchFailed:
        return FetchFailed(
            f"could not be fetched: the site did not send it within {self.seconds:g} seconds.",
            "timeout",
        )

    def failure(self, exc: BaseException) -> FetchFailed:
        if self.expired or self.left() <= 0 or isinstance(exc, TimeoutError):
            return self.timed_out()
        return FetchFailed("could not be fetched: the connection broke off.", "broken")

    def watch(self, sock: socket.socket) -> None:
        self._sockets.append(sock.dup())  # the same connection: shutting one shuts both

    def _expire(self) -> None:
        self.expired = True
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self._timer:
            self._timer.cancel()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets.clear()


@contextlib.contextmanager
def open_link(
    url: str | Link,
    policy: LinkPolicy,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    resolver: Resolver = system_resolver,
) -> Iterator[Reply]:
    """Fetch a link within the policy; the body is read from the Reply inside the block.
    Raises LinkRefused (never contacted) or FetchFailed."""
    link = url if isinstance(url, Link) else parse_link(url)
    deadline = _Deadline(policy.deadline_seconds)
    connection: http.client.HTTPConnection | None = None
    try:
        for hop in range(policy.max_redirects + 1):
            try:
                response, connection = _request(
                    link, policy, deadline, method, body, headers, resolver
                )
            except LinkRefused as refused:
                if hop == 0:
                    raise
                raise LinkRefused(f"leads on to a link that {refused}", refused.reason) from None
            location = response.getheader("Location")
            if response.status not in REDIRECTS or not location or policy.max_redirects == 0:
                yield Reply(
                    response.status, response.headers, link, response, deadline, policy.max_bytes
                )
                return
            connection.close()
            if hop == policy.max_redirects:
                raise FetchFailed(
                    "could not be fetched: it sends the studio on to other addresses too "
                    "many times.",
                    "redirects",
                )
            try:
                link = parse_link(urljoin(link.url, location))
            except LinkRefused as refused:
                raise LinkRefused(f"leads on to a link that {refused}", refused.reason) from None
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET", None
    finally:
        deadline.close()
        if connection is not None:
            connection.close()


def fetch(
    url: str | Link, policy: LinkPolicy, resolver: Resolver = system_resolver, accept: str = "*/*"
) -> tuple[bytes, Link]:
    """The whole body of a 200 answer, within the policy -> (bytes, final link)."""
    with open_link(url, policy, headers={"Accept": accept}, resolver=resolver) as reply:
        if reply.status != 200:
            raise FetchFailed(
                f"could not be fetched: {_status_words(reply.status)}", f"http_{reply.status}"
            )
        return reply.read(), reply.link


def _request(
    link: Link,
    policy: LinkPolicy,
    deadline: _Deadline,
    method: str,
    body: bytes | None,
    headers: dict[str, str] | None,
    resolver: Resolver,
) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
    if policy.hop_rule is not None:
        policy.hop_rule(link)
    local = policy.is_local(link)
    if not local and private_by_name(link.host):
        raise LinkRefused(PRIVATE_MESSAGE, "private")
    addresses = _addresses(link, deadline, resolver)
    if not local and any(is_private_address(ipaddress.ip_address(a[1][0])) for a in addresses):
        # One private address is enough to refuse: which one a client uses is not ours to pick.
        raise LinkRefused(PRIVATE_MESSAGE, "private")
    sock = _connect(addresses, policy, deadline)
    connection = http.client.HTTPConnection(link.host, link.port)
    try:
        if link.scheme == "https":
            sock = _tls(sock, link, deadline)
        connection.sock = sock  # already connected, to the address that was checked
        connection.putrequest(method, link.target, skip_host=True, skip_accept_encoding=True)
        sent = {
            "Host": link.authority,
            "User-Agent": policy.user_agent,
            "Accept-Encoding": "identity",
            "Connection": "close",
            **(headers or {}),
        }
        if body is not None:
            sent["Content-Length"] = str(len(body))
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        raise deadline.failure(exc) from None
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        # Asked for none; a compressed body could unpack to far more than the cap.
        connection.close()
        raise FetchFailed("could not be fetched: the site sent it compressed.", "encoding")
    return response, connection


def _addresses(link: Link, deadline: _Deadline, resolver: Resolver) -> list[tuple[int, tuple]]:
    ip = ip_or_none(link.host)
    if ip is not None:
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        return [(family, (link.host, link.port))]
    lookup = _lookups.submit(resolver, link.host, link.port)
    try:
        found = lookup.result(timeout=max(deadline.left(), 0))
    except FutureTimeout:
        raise deadline.timed_out() from None
    except (OSError, UnicodeError):
        found = []
    # getaddrinfo may give an IPv6 address with a zone ("fe80::1%eth0"): judged without it.
    found = [(family, (addr[0].split("%")[0], *addr[1:])) for family, addr in found]
    if not found:
        raise FetchFailed(
            f"could not be fetched: no site called {link.host} was found.", "no_such_host"
        )
    return found


def _connect(
    addresses: list[tuple[int, tuple]], policy: LinkPolicy, deadline: _Deadline
) -> socket.socket:
    refused = False
    for family, address in addresses:
        deadline.check()
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(min(policy.connect_seconds, max(deadline.left(), 0.001)))
        try:
            sock.connect(address)
        except ConnectionRefusedError:
            refused = True
            sock.close()
            continue
        except OSError:
            sock.close()
            continue
        deadline.watch(sock)
        sock.settimeout(max(deadline.left(), 0.001))
        return sock
    deadline.check()
    if refused:
        raise FetchFailed("could not be fetched: the site refused the connection.", "refused")
    raise FetchFailed("could not be fetched: the site could not be reached.", "unreachable")


_tls_context: ssl.SSLContext | None = None


def _tls(sock: socket.socket, link: Link, deadline: _Deadline) -> ssl.SSLSocket:
    global _tls_context
    if _tls_context is None:
        _tls_context = ssl.create_default_context(cafile=requests.certs.where())
    try:
        return _tls_context.wrap_socket(sock, server_hostname=link.host)
    except ssl.SSLCertVerificationError:
        sock.close()
        raise FetchFailed(
            f"could not be fetched: the site's security certificate is not valid for {link.host}.",
            "certificate",
        ) from None
    except OSError as exc:
        sock.close()
        raise deadline.failure(exc) from None


_STATUS_WORDS = {
    401: "the site asks for a login",
    403: "the site does not allow it to be fetched",
    404: "there is nothing at this address (404)",
    410: "it is no longer there (410)",
    429: "the site is busy (too many requests); try again later",
}


def _status_words(status: int) -> str:
    words = _STATUS_WORDS.get(status)
    if words is None:
        words = f"the site answered with error {status}"
        if 300 <= status < 400:
            words = f"the site answered {status} without saying where it went"
    return words + "."


def _size_words(size: int) -> str:
    return f"{size / MB:g} MB" if size >= MB else f"{size:,} bytes"
