"""The link through which the video service fetches a video the studio sends it to restyle
(issue 18), when the studio serves its own files (local storage): unguessable, short-lived,
and naming nobody.

    /sources/<expires>/<signature>/<task id>.mp4

`expires` is a Unix time in seconds; `signature` is an HMAC-SHA256 of the expiry and the
file name under a key derived from the studio's server-side secret (the same on every
server, so any of them can check a link another signed). The secret never leaves the
server, and the link carries no identity: it opens that one file until it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import re

SOURCES = "/sources/"
SOURCE_ROUTE = SOURCES + "{expires}/{signature}/{name}"
# Long enough for the service to fetch the source when it takes the task (and for a
# submit whose reply was lost to be sent again with the same key), short enough that a
# link seen in a log is soon useless.
SOURCE_LINK_SECONDS = 3600
_NAME = re.compile(r"^[0-9a-f]{32}\.mp4$")
_EXPIRES = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_PURPOSE = b"imagine-studio/restyle-source-links/v1"


def _key(secret: str) -> bytes:
    """A key of its own for these links, derived from the server's secret: a signature
    made here is never a valid value of anything else the secret protects."""
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def signature(secret: str, name: str, expires: int) -> str:
    message = f"{expires}/{name}".encode()
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def source_path(secret: str, name: str, expires: int) -> str:
    """The signed path of one archived video (`<task id>.mp4`) until `expires`."""
    if not _NAME.match(name):
        raise ValueError(f"not an archived video's name: {name!r}")
    return f"{SOURCES}{expires}/{signature(secret, name, expires)}/{name}"


def valid(secret: str, expires: str, given: str, name: str, now: float) -> bool:
    """Whether a link's parts were signed here for this file and it has not expired."""
    if not (_NAME.match(name) and _EXPIRES.match(expires) and _SIGNATURE.match(given)):
        return False
    if int(expires) < now:
        return False
    return hmac.compare_digest(given.encode(), signature(secret, name, int(expires)).encode())
