"""Reading a request's body without trusting it: never more than a limit (a huge body is
refused while it arrives, not after it was buffered whole), a client that hangs up halfway
is not an error of the server's, and JSON nested too deeply is just not valid JSON."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request


class BodyTooLarge(Exception):
    """The body passed the limit (or said it would)."""


class ClientGone(Exception):
    """The client hung up before the body was whole: nobody is waiting for an answer."""


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, or BodyTooLarge as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise BodyTooLarge
    except ClientDisconnect:
        raise ClientGone from None
    return bytes(body)


def parse_json(body: bytes) -> Any:
    """The JSON value, or ValueError for anything else (bad text, nesting too deep)."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("nested too deeply") from None
