"""Links from outside, read one way and fetched one way.

Every address that someone typed and the server then fetches goes through here: picture
links pasted on Create (the studio fetches each once and keeps its own checked copy), and,
in the embedded Wave API, the picture links and callback addresses API clients send.

- `parse_link` reads a link once, strictly. Whatever two URL parsers could read
  differently is refused rather than guessed at: a backslash (browsers and requests end the
  host there, `urllib.parse` does not), a user name, a percent sign or an odd number in the
  host. International host names are normalised with IDNA/UTS-46, as browsers and requests
  do, and a host that is only a look-alike spelling of a plain one (`１２７.０.０.１`,
  `ⓛⓞⓒⓐⓛⓗⓞⓢⓣ`) is refused.
- `open_link` looks the host up itself, refuses private, loopback, link-local, reserved and
  multicast addresses (IPv4 inside IPv6 included), connects to the very address it checked
  (no second lookup that a hostile name server could answer differently), follows redirects
  by hand, checking every hop, and holds the whole fetch to one deadline and a byte cap.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

import idna
import requests.certs
import urllib3.util

MAX_LINK_LENGTH = 2048
MB = 1024 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Spelled like this, people see a link they can recognise in a message without a wall of text.
SHOWN_LINK_LENGTH = 80
_PRIVATE = (
    "points inside a private network: use a public web address (https://...) that anyone can open."
)
_WEB_ADDRESS = "must be a public web address starting with http:// or https://"


class LinkRefused(ValueError):
    """A link that is not fetched. str() completes a sentence that starts with the link's
    name ("Picture 2 (the link …) "); `reason` is a short code for code and tests."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class FetchFailed(Exception):
    """The fetch was tried and did not give the file; str() completes a sentence as above."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def shown_link(text: str, limit: int = SHOWN_LINK_LENGTH) -> str:
    """A link as a message shows it: on one line, cut short when long."""
    one_line = "".join(ch if ch.isprintable() else " " for ch in str(text)).strip()
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


# ----- reading a link --------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    """A link as it will be fetched: every part checked and in its one canonical form."""

    scheme: str  # "http" | "https"
    host: str  # ASCII, lower case, IPv6 without brackets, no trailing dot
    port: int
    target: str  # path and query, percent-encoded, starting with "/"

    @property
    def is_ip(self) -> bool:
        return _ip_or_none(self.host) is not None

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.target}"

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


def parse_link(text: object) -> Link:
    """The link in its canonical form, or LinkRefused saying why it can't be used."""
    if not isinstance(text, str):
        raise LinkRefused("must be a web address written as text.", "not_text")
    if len(text) > MAX_LINK_LENGTH:
        raise LinkRefused(
            f"is too long: {len(text):,} characters, and the limit is {MAX_LINK_LENGTH:,}.",
            "too_long",
        )
    if not text.strip():
        raise LinkRefused("is empty: give a web address starting with https://.", "empty")
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text):
        raise LinkRefused(
            "must be a web address without spaces or invisible characters; copy it again "
            "from the browser's address bar.",
            "spaces",
        )
    scheme_end = text.find("://")
    scheme = text[:scheme_end].lower() if scheme_end > 0 else ""
    if scheme not in ("http", "https"):
        raise LinkRefused(
            f"{_WEB_ADDRESS} (uploads, data: and file: addresses are not accepted here).",
            "scheme",
        )
    if "\\" in text:
        raise _odd("it contains a backslash (\\)")
    rest = text[scheme_end + 3 :]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, remainder = rest[:cut], rest[cut:]
    if "@" in authority:
        raise LinkRefused(
            "contains a user name or password: use a public web address (https://...) "
            "that anyone can open.",
            "userinfo",
        )
    host, port = _split_authority(authority, scheme)
    link = Link(scheme, host, port, _target(remainder))
    _check_parsers_agree(text, link)
    return link


def _odd(what: str) -> LinkRefused:
    return LinkRefused(
        f"is written in an unusual way: {what}, which programs can read differently. Copy "
        "the address again from the browser's address bar.",
        "odd",
    )


_IPV6_LITERAL = re.compile(r"\[([0-9A-Fa-f:.]+)\]")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)
_NUMBERISH = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.ASCII)  # what makes a host an IPv4
_DOTTED_QUAD = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])",
    re.ASCII,
)


def _split_authority(authority: str, scheme: str) -> tuple[str, int]:
    if not authority:
        raise LinkRefused(
            "has no host name: give a web address such as https://example.com/picture.jpg.",
            "no_host",
        )
    port_text = None
    if authority.startswith("["):
        literal = _IPV6_LITERAL.match(authority)
        if not literal:
            raise _odd("the address in [ ] is not an IPv6 address")
        host, after = literal.group(1), authority[literal.end() :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _odd("the address in [ ] is not an IPv6 address") from None
        host = str(ipaddress.IPv6Address(host))
        if after:
            if not after.startswith(":"):
                raise _odd("something follows the address in [ ]")
            port_text = after[1:]
    else:
        host, colon, port_text = authority.partition(":")
        if not colon:
            port_text = None
        host = _normal_host(host)
    return host, _port(port_text, scheme)


def _port(text: str | None, scheme: str) -> int:
    if text is None:
        return 443 if scheme == "https" else 80
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 65535:
        raise _odd(f"“{shown_link(text, 12)}” is not a port number from 1 to 65535")
    return int(text)


def _normal_host(host: str) -> str:
    """The host as DNS and the fetcher will see it; look-alikes and odd spellings refused."""
    if "%" in host:
        raise _odd("its host name contains a percent sign")
    if not host.isascii():
        try:
            encoded = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise _odd("its host name has characters that can't be used in a web address") from None
        if not any(label.startswith("xn--") for label in encoded.split(".")):
            # Only compatibility forms of plain characters: fullwidth digits, circled letters…
            raise LinkRefused(
                f"is written with look-alike characters (its host reads as “{encoded}”): "
                "type the address in plain letters and digits.",
                "lookalike",
            )
        host = encoded
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _odd("its host name has characters that can't be used in a web address")
    # Browsers read a host that ends in a number as an IPv4 address, and accept spellings
    # like 2130706433, 0x7f.1 or 0177.0.0.1 for it: only the plain dotted form is taken.
    if _NUMBERISH.fullmatch(labels[-1]) and not _DOTTED_QUAD.fullmatch(host):
        raise _odd("its host is a number written in an unusual way")
    return host


# Characters that may stay as they are in a path or query (RFC 3986); the rest is encoded.
_SAFE_IN_TARGET = "!$&'()*+,-./:;=?@_~%"
_PERCENT_OK = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _target(remainder: str) -> str:
    """Path and query as sent: fragment dropped, anything unusual percent-encoded."""
    target = remainder.split("#", 1)[0]
    if target.startswith("?") or not target:
        target = "/" + target
    # A lone % is encoded too, so the server decodes exactly what was typed.
    target = _PERCENT_OK.sub("%25", target)
    return quote(target, safe=_SAFE_IN_TARGET)


def _check_parsers_agree(text: str, link: Link) -> None:
    """Belt and braces: the two parsers of the standard stack must read the same host."""
    if not text.isascii():
        return  # non-ASCII hosts were normalised above; these parsers do not normalise
    try:
        split = urlsplit(text)
        parsed = urllib3.util.parse_url(text)
        views = {
            (split.hostname or "", split.port or link.port),
            ((parsed.host or "").strip("[]").lower(), parsed.port or link.port),
        }
    except ValueError:
        raise _odd("its host or port can't be read") from None
    mine = {(h.rstrip("."), p) for h, p in views}
    normalised = set()
    for host, port in mine:
        ip = _ip_or_none(host)
        normalised.add((str(ip) if ip else host, port))
    if normalised != {(link.host, link.port)}:
        raise _odd("different programs would read a different host in it")


# ----- which addresses are private -------------------------------------------------------
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _ip_or_none(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_private_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True unless it is a public unicast address, judged also by the IPv4 address that an
    IPv6 one may carry (mapped, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address.teredo:
            inner = address.teredo[1]
        if inner is None and any(address in net for net in _NAT64):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None and is_private_address(inner):
            return True
    return not address.is_global or address.is_multicast


def _private_by_name(host: str) -> bool:
    """Known without asking DNS: loopback names and private IP literals."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    ip = _ip_or_none(host)
    return ip is not None and is_private_address(ip)


@dataclass(frozen=True)
class LocalPrefix:
    """Links under this prefix may be on a private or loopback address: the studio's own
    /assets/ and callback route, which the embedded API reaches on this machine.
    Written as a link; a port of `*` matches any port ("http://127.0.0.1:*/")."""

    scheme: str
    host: str
    port: int | None  # None: any port
    path: str

    @classmethod
    def parse(cls, text: str) -> LocalPrefix:
        any_port = re.search(r"^[a-z]+://[^/]+(:\*)(?=/|$)", text)
        if any_port:
            text = text[: any_port.start(1)] + text[any_port.end(1) :]
        link = parse_link(text)
        return cls(link.scheme, link.host, None if any_port else link.port, link.path)

    def covers(self, link: Link) -> bool:
        if (link.scheme, link.host) != (self.scheme, self.host):
            return False
        if self.port is not None and link.port != self.port:
            return False
        # No dot segments: /assets/../api/ must not pass as /assets/.
        segments = link.path.split("/")
        if any(s.replace("%2e", ".").replace("%2E", ".") in (".", "..") for s in segments):
            return False
        return link.path.startswith(self.path)


@dataclass(frozen=True)
class LinkPolicy:
    """What one kind of fetch may do."""

    deadline_seconds: float = 15.0  # for the whole fetch: lookup, connect, redirects, body
    max_bytes: int = 20 * MB  # of the body; more is refused while reading
    max_redirects: int = 3
    local_prefixes: tuple[LocalPrefix, ...] = ()
    connect_seconds: float = 5.0  # per address tried, within the deadline
    user_agent: str = "ImagineStudio/1.0"
    # A rule of the caller's that every hop must pass too (raise to refuse it): finished
    # videos, say, come only from the service's own hosts.
    hop_rule: Callable[[Link], None] | None = None

    @classmethod
    def with_local(cls, prefixes: Sequence[str], **limits: float | int) -> LinkPolicy:
        return cls(local_prefixes=tuple(LocalPrefix.parse(p) for p in prefixes), **limits)

    def is_local(self, link: Link) -> bool:
        return any(prefix.covers(link) for prefix in self.local_prefixes)


def link_problem(text: object, policy: LinkPolicy = LinkPolicy()) -> str | None:
    """Why this link is refused, known without the network; None when it may be fetched
    (the host's addresses are judged when it is)."""
    try:
        link = parse_link(text)
    except LinkRefused as refused:
        return str(refused)
    if not policy.is_local(link) and _private_by_name(link.host):
        return _PRIVATE
    return None


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
    if not local and _private_by_name(link.host):
        raise LinkRefused(_PRIVATE, "private")
    addresses = _addresses(link, deadline, resolver)
    if not local and any(is_private_address(ipaddress.ip_address(a[1][0])) for a in addresses):
        # One private address is enough to refuse: which one a client uses is not ours to pick.
        raise LinkRefused(_PRIVATE, "private")
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
    ip = _ip_or_none(link.host)
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
