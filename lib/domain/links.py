"""Links from outside, read one way (lib/outside/fetch.py fetches them the same way).

Every address that someone typed and the server then fetches is read here first: picture
links pasted on Create (the studio fetches each once and keeps its own checked copy), and,
in the embedded Wave API, the picture links and callback addresses API clients send.

- `parse_link` reads a link once, strictly. Whatever two URL parsers could read
  differently is refused rather than guessed at: a backslash (browsers and requests end the
  host there, `urllib.parse` does not), a user name, a percent sign or an odd number in the
  host. International host names are normalised with IDNA/UTS-46, as browsers and requests
  do, and a host that is only a look-alike spelling of a plain one (`１２７.０.０.１`,
  `ⓛⓞⓒⓐⓛⓗⓞⓢⓣ`) is refused.
- `link_problem` says what is known about a link without the network: private names and
  addresses are refused here, the addresses a name resolves to when it is fetched.

Pure: no lookup, no connection (urllib3 is used only for its URL parser).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import idna
import urllib3.util

MAX_LINK_LENGTH = 2048
MB = 1024 * 1024
# Spelled like this, people see a link they can recognise in a message without a wall of text.
SHOWN_LINK_LENGTH = 80
PRIVATE_MESSAGE = (
    "points inside a private network: use a public web address (https://...) that anyone can open."
)
_WEB_ADDRESS = "must be a public web address starting with http:// or https://"


class LinkRefused(ValueError):
    """A link that is not fetched. str() completes a sentence that starts with the link's
    name ("Picture 2 (the link …) "); `reason` is a short code for code and tests."""

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
        return ip_or_none(self.host) is not None

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
        ip = ip_or_none(host)
        normalised.add((str(ip) if ip else host, port))
    if normalised != {(link.host, link.port)}:
        raise _odd("different programs would read a different host in it")


# ----- which addresses are private -------------------------------------------------------
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def ip_or_none(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
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


def private_by_name(host: str) -> bool:
    """Known without asking DNS: loopback names and private IP literals."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    ip = ip_or_none(host)
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
    if not policy.is_local(link) and private_by_name(link.host):
        return PRIVATE_MESSAGE
    return None
